/// A labelled heatmap with a cursor, scrolled to keep the cursor in view: the cosine panes and the
/// attention matrix draw their matrices with it.
struct Heatmap {
    var rows: [String]
    var columns: [String]
    var matrix: [[Double]]
    var selectedRow: Int
    /// The cursor's column (clamped to the matrix).
    var column: Int
    /// The column marked ◆ in each row (a best match), if any.
    var best: [Int]?
    /// Cells marked ● (a word alignment's links), if any: linked[row][column].
    var linked: [[Bool]]?
    /// Maps a value to the -1...1 the palette's heat scale spans.
    var heat: (Double) -> Double = { $0 }
    /// Rows of the pane to leave free under the column legend.
    var reservedRows = 4

    /// Draws the heatmap from `top`; returns the row after its legend.
    func draw(_ screen: inout Screen, colors: ColorMode, top: Int, left: Int, width: Int, bottom: Int) -> Int {
        var row = top
        guard !rows.isEmpty, !columns.isEmpty else { return row }
        let labelWidth = 10
        let cellWidth = 3
        let visibleColumns = max(1, (width - labelWidth - 1) / cellWidth)
        let visibleRows = max(1, bottom - row - 2 - reservedRows)
        let column = min(self.column, columns.count - 1)
        let firstColumn = max(0, min(column - visibleColumns / 2, columns.count - visibleColumns))
        let firstRow = max(0, min(selectedRow - visibleRows / 2, rows.count - visibleRows))
        // Column headers: indices, and the cursor column's label on the footer line.
        var headerText = String(repeating: " ", count: labelWidth + 1)
        for index in firstColumn..<min(columns.count, firstColumn + visibleColumns) { headerText += ExplorerView.pad(String(index % 1000), cellWidth) }
        screen.write(headerText, row: row, column: left, style: Palette.dim, width: width)
        row += 1
        for rowIndex in firstRow..<min(rows.count, firstRow + visibleRows) {
            let isSelected = rowIndex == selectedRow
            screen.write(DisplayWidth.padded(rows[rowIndex], to: labelWidth), row: row, column: left,
                         style: isSelected ? Palette.selected : .plain)
            for columnIndex in firstColumn..<min(columns.count, firstColumn + visibleColumns) {
                var (glyph, style) = Palette.heat(heat(matrix[rowIndex][columnIndex]), mode: colors)
                var text = String(repeating: glyph, count: cellWidth)
                // A link shows over a best match: the list under the heatmap names both.
                let mark = linked?[rowIndex][columnIndex] == true ? "●" : best?[rowIndex] == columnIndex ? "◆" : nil
                if let mark { text = glyph + mark + glyph; style.foreground = .white; style.bold = true }
                if isSelected && columnIndex == column { text = "[" + (mark ?? glyph) + "]"; style.bold = true; style.foreground = .white }
                screen.write(text, row: row, column: left + labelWidth + 1 + (columnIndex - firstColumn) * cellWidth, style: style)
            }
            row += 1
        }
        // The column numbers named: the words of the columns shown, the cursor's in brackets.
        let legend = (firstColumn..<min(columns.count, firstColumn + visibleColumns)).map { index in
            index == column ? "[\(index) \(columns[index])]" : "\(index) \(columns[index])"
        }.joined(separator: " ")
        screen.write(legend, row: row, column: left, style: Palette.dim, width: width)
        return row + 1
    }
}

/// The cosine heatmaps of the Similarity and Compare panes: the value under the cursor next to the baseline.
enum CosineHeatmap {
    /// Returns the row after what it drew.
    @discardableResult
    static func draw(_ screen: inout Screen, _ state: ExplorerState, _ layout: Layout, _ heatmap: Heatmap, title: String, subtitle: String?) -> Int {
        let left = layout.paneLeft + 1
        let width = layout.paneWidth - 2
        var row = layout.bodyTop
        screen.write(title, row: row, column: left, style: Palette.accent, width: width)
        row += 1
        if let subtitle {
            screen.write(subtitle, row: row, column: left, style: Style(bold: true), width: width)
            row += 1
        }
        guard !heatmap.rows.isEmpty, !heatmap.columns.isEmpty else { return row }
        row = heatmap.draw(&screen, colors: state.colors, top: row, left: left, width: width, bottom: layout.bodyTop + layout.bodyHeight)
        // The value under the cursor and the baseline stay right under the heatmap they belong to.
        let column = min(heatmap.column, heatmap.columns.count - 1)
        let value = heatmap.matrix[heatmap.selectedRow][column]
        screen.write("cos(\(heatmap.rows[heatmap.selectedRow]), \(heatmap.columns[column])) = " + String(format: "%.3f", value),
                     row: row, column: left, style: Style(bold: true), width: width)
        var baselineText = "baseline: computing…"
        if let baseline = state.baseline {
            let reference = state.centre ? baseline.centredMeanCosine : baseline.meanCosine
            baselineText = String(format: "baseline (unrelated words, %@) %.3f · %+.3f above", state.centre ? "centred" : "raw",
                                  reference, value - reference)
        }
        screen.write(baselineText, row: row + 1, column: left, style: Palette.dim, width: width)
        screen.write("←→ column · ↑↓ row · c centre (\(state.centre ? "on" : "off")) · ◆ best match" + (heatmap.linked == nil ? "" : " · ● link"),
                     row: row + 2, column: left, style: Palette.dim, width: width)
        return row + 3
    }
}
