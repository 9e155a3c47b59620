import Embeddings
import Foundation
import Tokenization

/// Draws the explorer: a pure function of its state.
public enum ExplorerView {
    public static func render(_ state: ExplorerState) -> Screen {
        var screen = Screen(rows: state.rows, columns: state.columns)
        let layout = Layout(state)
        guard !layout.isTooSmall else {
            let message = "bertscope needs at least \(Layout.minimumColumns)x\(Layout.minimumRows); this terminal is "
                + "\(state.columns)x\(state.rows): enlarge it, or press Ctrl-C to quit"
            // When even the wrapped message does not fit, its end (how to quit) is what must show.
            let lines = wrapped(message, width: state.columns).suffix(state.rows)
            for (index, line) in lines.enumerated() {
                screen.write(line, row: max(0, (state.rows - lines.count) / 2) + index, column: max(0, (state.columns - DisplayWidth.of(line)) / 2))
            }
            return screen
        }
        header(&screen, state)
        inputs(&screen, state, layout)
        source(&screen, state, layout)
        tabs(&screen, state, layout)
        tokenList(&screen, state, layout)
        switch state.pane {
        case .vector: vectorPane(&screen, state, layout)
        case .similarity: similarityPane(&screen, state, layout)
        case .compare: comparePane(&screen, state, layout)
        case .pins: pinsPane(&screen, state, layout)
        case .why: whyPane(&screen, state, layout)
        }
        footer(&screen, state, layout)
        if let dialog = state.exportDialog { exportDialog(&screen, state, dialog) }
        if let editor = state.languageEditor { languageEditor(&screen, state, editor) }
        if state.showHelp { help(&screen, state) }
        return screen
    }

    // MARK: Frame

    /// `text` broken at spaces into lines of at most `width` cells (a longer word is cut by the screen).
    static func wrapped(_ text: String, width: Int) -> [String] {
        var lines = [String]()
        for word in text.split(separator: " ") {
            if let last = lines.last, DisplayWidth.of(last) + 1 + DisplayWidth.of(word) <= width {
                lines[lines.count - 1] = last + " " + word
            } else {
                lines.append(String(word))
            }
        }
        return lines
    }

    /// The WordPiece dialect in use, or "sentencepiece" (which has no dialects).
    static func tokenizerLabel(_ state: ExplorerState) -> String {
        state.model.tokenizerFamily == .wordPiece ? "dialect \(state.dialect.rawValue)" : "sentencepiece"
    }

    private static func header(_ screen: inout Screen, _ state: ExplorerState) {
        screen.fill(row: 0, column: 0, height: 1, width: state.columns, style: Palette.header)
        let model = state.model.origin.isEmpty ? state.model.name : "\(state.model.name) (\(state.model.origin))"
        var parts = ["bertscope", model, "\(state.layer)", "pooling \(state.pooling.rawValue)", tokenizerLabel(state)]
        if state.centre { parts.append("centred") }
        if let latency = state.lastLatency { parts.append(String(format: "%.0f ms", latency)) }
        let column = screen.write(parts.joined(separator: " │ "), row: 0, column: 1, style: Palette.header)
        if state.lines.contains(where: \.isStale) {
            screen.write(" ● computing", row: 0, column: column, style: Style(foreground: .yellow, background: Color(24), bold: true))
        }
    }

    private static func inputs(_ screen: inout Screen, _ state: ExplorerState, _ layout: Layout) {
        // Each line's number and language label, padded alike so the texts start in one column.
        let numberWidth = state.lines.count > 1 ? String(state.lines.count).count : 0
        let shown = layout.inputScroll..<(layout.inputScroll + layout.inputRows)
        let labels = shown.map { index in
            let number = numberWidth > 0 ? pad(String(index + 1), numberWidth) : ""
            return state.lines[index].language.map { number + (number.isEmpty ? "" : " ") + $0 } ?? number
        }
        let labelWidth = labels.map(DisplayWidth.of).max() ?? 0
        for (index, label) in zip(shown, labels) {
            let line = state.lines[index]
            let row = layout.inputTop + index - layout.inputScroll
            let focused = index == state.focusedLine
            let prompt = focused ? (state.mode == .typing ? "› " : "» ") : "  "
            var column = screen.write(DisplayWidth.padded(label, to: labelWidth), row: row, column: 0, style: Palette.dim)
            column = screen.write(prompt, row: row, column: column, style: focused ? Palette.accent : Palette.dim)
            // Lines scrolled out of view are counted at the right end of the first and last rows shown.
            let hiddenAbove = index == layout.inputScroll ? layout.inputScroll : 0
            let hiddenBelow = index == layout.inputScroll + layout.inputRows - 1 ? state.lines.count - 1 - index : 0
            let marker = hiddenAbove > 0 ? " ↑\(hiddenAbove) more" : hiddenBelow > 0 ? " ↓\(hiddenBelow) more" : ""
            if !marker.isEmpty { screen.write(marker, row: row, column: state.columns - marker.count, style: Palette.dim) }
            var editor = line.editor
            let visible = editor.visible(width: state.columns - column - 1 - marker.count)
            screen.write(visible.text, row: row, column: column, style: focused ? .plain : Palette.dim)
            if focused && state.mode == .typing && state.exportDialog == nil && state.languageEditor == nil {
                screen.cursor = (row, column + visible.cursorColumn)
            }
            if line.editor.text.isEmpty && focused {
                screen.write(index == 0 ? "type text in any language…" : "type a translation to compare…",
                             row: row, column: column + (state.mode == .typing ? 1 : 0), style: Palette.dim)
            }
        }
    }

    /// The focused text with the selected piece's (or word's) characters highlighted. Drawn character by
    /// character (grapheme clusters), so combining marks stay on their base letter; a character is highlighted
    /// when any of its scalars is in the span (a piece may be just a vowel sign or an accent).
    private static func source(_ screen: inout Screen, _ state: ExplorerState, _ layout: Layout) {
        let text = state.focused.editor.text
        guard !text.isEmpty else {
            screen.write(" (no text)", row: layout.sourceRow, column: 0, style: Palette.dim)
            return
        }
        // Each character with the scalar offsets it covers.
        var characters = [(text: String, start: Int, end: Int)]()
        var offset = 0
        for character in text {
            let count = character.unicodeScalars.count
            characters.append((String(character), offset, offset + count))
            offset += count
        }
        let span = selectedSpan(state) ?? TextSpan(0, 0)
        // Show a window of the text around the span, in logical order (right-to-left text stays in memory order).
        let width = state.columns - 2
        var first = characters.firstIndex { $0.end > span.start } ?? characters.count
        var used = 0
        while first > 0 && used < width / 3 {
            first -= 1
            used += DisplayWidth.of(characters[first].text)
        }
        var column = screen.write(first > 0 ? "…" : " ", row: layout.sourceRow, column: 0, style: Palette.dim)
        var index = first
        // Text past the model's positions is drawn dim after a ✂ where the model stops reading.
        let unreadFrom = state.focused.unreadFrom ?? Int.max
        while index < characters.count && column < state.columns - 1 {
            let character = characters[index]
            if character.start >= unreadFrom && (index == 0 || characters[index - 1].start < unreadFrom) {
                column = screen.write("✂", row: layout.sourceRow, column: column, style: Palette.warning, width: state.columns - 1 - column)
            }
            var style = character.start < span.end && character.end > span.start ? Palette.highlight : .plain
            if character.start >= unreadFrom { style = Palette.unread }
            column = screen.write(character.text, row: layout.sourceRow, column: column, style: style, width: state.columns - 1 - column)
            index += 1
        }
        if index < characters.count { screen.write("…", row: layout.sourceRow, column: state.columns - 1, style: Palette.dim) }
    }

    private static func tabs(_ screen: inout Screen, _ state: ExplorerState, _ layout: Layout) {
        let listTitle = state.showWords ? " Words " : " Pieces "
        var column = screen.write(listTitle, row: layout.tabsRow, column: 0, style: Palette.accent)
        let titles = Pane.allCases.map { " \($0.rawValue + 1) \($0.title) " }
        // Over the pane when they fit there; on a narrow terminal they start after the list's title, so none is cut.
        let tabsWidth = titles.reduce(0) { $0 + $1.count + 1 }
        let start = layout.listWidth + tabsWidth <= state.columns ? layout.listWidth : column + 1
        column = screen.write(String(repeating: "─", count: max(0, start - column)), row: layout.tabsRow, column: column, style: Palette.dim)
        for (pane, title) in zip(Pane.allCases, titles) {
            column = screen.write(title, row: layout.tabsRow, column: column + 1, style: pane == state.pane ? Palette.selected : Palette.dim)
        }
        if column < state.columns {
            screen.write(String(repeating: "─", count: state.columns - column), row: layout.tabsRow, column: column, style: Palette.dim)
        }
    }

    private static func footer(_ screen: inout Screen, _ state: ExplorerState, _ layout: Layout) {
        let row = layout.footerRow
        screen.fill(row: row, column: 0, height: 1, width: state.columns, style: Style(background: Color(236)))
        if let message = state.message {
            screen.write(" " + message, row: row, column: 0, style: Style(foreground: .yellow, background: Color(236)))
            return
        }
        // The essentials first; the rest only as far as they fit whole (F1/? lists them all).
        let (mode, hints) = state.mode == .typing
            ? (" TYPE  ", ["Enter/Esc browse", "F1 help", "Ctrl-C quit", "Tab pane", "↑↓ history"])
            : (" BROWSE  ", ["↑↓ select", "m pin", "+ line", "e export", "? help", "q quit", "[ ] layer", "p pooling", "w words",
                           "c centre", "Tab pane", "L language", "i type"])
        var text = mode
        for (index, hint) in hints.enumerated() {
            let next = text + (index == 0 ? "" : " · ") + hint
            if DisplayWidth.of(next) > state.columns { break }
            text = next
        }
        screen.write(text, row: row, column: 0, style: Style(foreground: .white, background: Color(236)))
    }

    // MARK: Token list

    /// The span of the selected row in the focused text.
    static func selectedSpan(_ state: ExplorerState) -> TextSpan? {
        let encoding = state.focused.encoding
        if state.showWords {
            let words = ExplorerReducer.words(of: state.focused)
            return state.selection < words.count ? words[state.selection].span : nil
        }
        guard state.selection < encoding.count, encoding.sequenceIds[state.selection] != nil else { return nil }
        return encoding.offsets[state.selection]
    }

    private static func tokenList(_ screen: inout Screen, _ state: ExplorerState, _ layout: Layout) {
        let top = layout.bodyTop
        let width = layout.listWidth
        let encoding = state.focused.encoding
        let scroll = layout.listScroll(state)
        if let unreadFrom = state.focused.unreadFrom {
            // The model sees only the first positions: the rest of the text has no pieces and no vectors. The
            // notice has its own rows under the list (Layout leaves them free), in both list modes.
            let cut = encoding.truncation.removedPieces.reduce(0, +)
            screen.write("✂ \(cut) piece\(cut == 1 ? "" : "s") past \(encoding.truncation.maxLength ?? 0) dropped",
                         row: layout.footerRow - 2, column: 0, style: Palette.warning, width: width)
            screen.write("  unread from character \(unreadFrom) (dim)", row: layout.footerRow - 1, column: 0, style: Palette.warning, width: width)
        }
        if state.showWords {
            let words = ExplorerReducer.words(of: state.focused)
            screen.write("  w word            pieces", row: top, column: 0, style: Palette.dim, width: width)
            for (offset, word) in words.dropFirst(scroll).prefix(layout.visibleListRows).enumerated() {
                let row = top + 1 + offset
                let index = scroll + offset
                let unknown = word.tokens.contains { encoding.isUnknown[$0] }
                let style = index == state.selection ? Palette.selected : (unknown ? Palette.unknown : .plain)
                screen.fill(row: row, column: 0, height: 1, width: width, style: index == state.selection ? Palette.selected : .plain)
                let pieces = word.tokens.map { encoding.tokens[$0] }.joined(separator: " ")
                screen.write(pad(String(index), 3) + " " + DisplayWidth.padded(word.text, to: 15) + " "
                             + pad(String(word.tokens.count), 2) + " " + pieces, row: row, column: 0, style: style, width: width)
            }
            if words.isEmpty { screen.write("  (no words yet)", row: top + 1, column: 0, style: Palette.dim) }
            return
        }
        screen.write("  # piece          id   w span", row: top, column: 0, style: Palette.dim, width: width)
        for offset in 0..<min(layout.visibleListRows, max(0, encoding.count - scroll)) {
            let index = scroll + offset
            let row = top + 1 + offset
            let selected = index == state.selection
            var style: Style = .plain
            if encoding.specialTokensMask[index] { style = Palette.special }
            if encoding.isUnknown[index] { style = Palette.unknown }
            if selected { style = Palette.selected }
            screen.fill(row: row, column: 0, height: 1, width: width, style: selected ? Palette.selected : .plain)
            let word = encoding.wordIds[index].map { String($0) } ?? "-"
            let span = encoding.sequenceIds[index] == nil ? "" : "\(encoding.offsets[index].start)-\(encoding.offsets[index].end)"
            let text = pad(String(index), 3) + " " + DisplayWidth.padded(encoding.tokens[index], to: 12) + " "
                + pad(String(encoding.ids[index]), 6) + " " + pad(word, 3) + " " + span
            screen.write(text, row: row, column: 0, style: style, width: width)
        }
    }

    // MARK: Vector pane

    private static func vectorPane(_ screen: inout Screen, _ state: ExplorerState, _ layout: Layout) {
        let left = layout.paneLeft + 1
        let width = layout.paneWidth - 2
        var row = layout.bodyTop
        guard !state.focused.editor.text.isEmpty, let embedded = state.focused.embedded,
              let (label, vector) = selectedVector(state, embedded) else {
            screen.write(state.focused.editor.text.isEmpty ? "type some text to see its vectors"
                         : "select a piece or word with ↑↓ (browse mode: Esc)", row: row, column: left, style: Palette.dim)
            return
        }
        let stale = state.focused.isStale ? "  (vectors of the previous text)" : ""
        screen.write("\(label) · \(state.layer)\(stale)", row: row, column: left, style: Palette.accent, width: width)
        row += 1
        let norm = VectorMath.norm(vector)
        screen.write(String(format: "norm %.3f   mean %+.4f   std %.4f   %d dims", norm, VectorMath.mean(vector),
                            VectorMath.standardDeviation(vector), vector.count), row: row, column: left, width: width)
        row += 1
        // The first dimensions as numbers.
        let perRow = max(1, width / 9)
        for line in 0..<2 {
            var text = ""
            for dimension in (line * perRow)..<min(vector.count, (line + 1) * perRow) { text += String(format: "%+8.4f ", vector[dimension]) }
            screen.write(text, row: row, column: left, width: width)
            row += 1
        }
        // Every dimension as a colour strip, scaled to the largest magnitude.
        let scale = Double(vector.map { abs($0) }.max() ?? 1)
        let stripRows = max(1, min(layout.bodyTop + layout.bodyHeight - row - 6, (vector.count + width - 1) / width))
        let perCell = max(1, Int((Double(vector.count) / Double(stripRows * width)).rounded(.up)))
        screen.write(String(format: "all %d dims, %d per cell, scale ±%.3f (blue − … + red)", vector.count, perCell, scale),
                     row: row, column: left, style: Palette.dim, width: width)
        row += 1
        var dimension = 0
        for stripRow in 0..<stripRows {
            for column in 0..<width where dimension < vector.count {
                let chunk = vector[dimension..<min(vector.count, dimension + perCell)]
                let value = Double(chunk.reduce(0, +)) / Double(chunk.count)
                let (glyph, style) = Palette.diverging(scale > 0 ? value / scale : 0, mode: state.colors)
                screen.write(glyph, row: row + stripRow, column: left + column, style: style)
                dimension += perCell
            }
        }
        row += stripRows
        let largest = VectorMath.largestDimensions(vector, count: 6).map { String(format: "d%d %+.2f", $0, vector[$0]) }
        screen.write("largest: " + largest.joined(separator: "  "), row: row, column: left, width: width)
        row += 1
        layerStrip(&screen, state, embedded, row: row, left: left, width: width)
    }

    /// How the selected vector's norm and its cosine to layer 0 change across layers.
    private static func layerStrip(_ screen: inout Screen, _ state: ExplorerState, _ embedded: EmbeddedText, row: Int, left: Int, width: Int) {
        guard row + 3 < state.rows - 1 else { return }
        let layers = 0...embedded.layerCount
        let vectors = layers.map { index -> [Float] in
            var layerState = state
            layerState.layer = .layer(index)
            return selectedVector(layerState, embedded)?.1 ?? []
        }
        let norms = vectors.map(VectorMath.norm)
        let maximum = norms.max() ?? 1
        let cosines = vectors.map { VectorMath.cosine($0, vectors[0]) }
        var numbers = "layer "
        var normLine = "norm  "
        var cosineLine = "cos₀  "
        for index in layers {
            numbers += pad(String(index), 3)
            normLine += "  " + Palette.spark(maximum > 0 ? norms[index] / maximum : 0)
            cosineLine += "  " + Palette.spark(cosines[index])
        }
        screen.write(numbers, row: row, column: left, style: Palette.dim, width: width)
        screen.write(normLine + String(format: "  max %.1f", maximum), row: row + 1, column: left, width: width)
        screen.write(cosineLine + String(format: "  last %.2f", cosines.last ?? 0), row: row + 2, column: left, width: width)
    }

    /// The selected piece's or word's label and vector at the current layer and pooling.
    static func selectedVector(_ state: ExplorerState, _ embedded: EmbeddedText) -> (String, [Float])? {
        if state.showWords {
            let words = embedded.words()
            guard state.selection < words.count else { return nil }
            let word = words[state.selection]
            return ("word \"\(word.text)\" (\(word.tokens.count) piece\(word.tokens.count == 1 ? "" : "s"), \(state.pooling.rawValue))",
                    embedded.wordVector(word, layer: state.layer, pooling: state.pooling))
        }
        guard state.selection < embedded.encoding.count else { return nil }
        return ("piece \"\(embedded.encoding.tokens[state.selection])\" (token \(state.selection))",
                embedded.pieceVector(state.selection, layer: state.layer))
    }

    // MARK: Similarity and compare

    /// Columns of the heatmap the current pane shows (Similarity: the line's pieces or words; Compare: the
    /// next line's words), or nil when it shows none.
    static func heatmapColumnCount(_ state: ExplorerState) -> Int? {
        switch state.pane {
        case .similarity:
            guard let embedded = state.focused.embedded else { return nil }
            return state.showWords ? embedded.words().count : embedded.encoding.count
        case .compare:
            guard state.lines.count > 1 else { return nil }
            return state.lines[(state.focusedLine + 1) % state.lines.count].embedded?.words().count
        default:
            return nil
        }
    }

    /// Row and column labels with their vectors for a heatmap of one line.
    private static func labelledVectors(_ state: ExplorerState, _ embedded: EmbeddedText, words: Bool) -> [(String, [Float])] {
        var rows: [(String, [Float])]
        if words {
            rows = embedded.words().map { ($0.text, embedded.wordVector($0, layer: state.layer, pooling: state.pooling)) }
        } else {
            rows = (0..<embedded.encoding.count).map { (embedded.encoding.tokens[$0], embedded.pieceVector($0, layer: state.layer)) }
        }
        if state.centre, let centroid = state.baseline?.centroid, centroid.count == rows.first?.1.count {
            rows = rows.map { ($0.0, VectorMath.subtract($0.1, centroid)) }
        }
        return rows
    }

    private static func similarityPane(_ screen: inout Screen, _ state: ExplorerState, _ layout: Layout) {
        guard let embedded = state.focused.embedded else {
            screen.write("waiting for vectors…", row: layout.bodyTop, column: layout.paneLeft + 1, style: Palette.dim)
            return
        }
        let items = labelledVectors(state, embedded, words: state.showWords)
        let matrix = VectorMath.cosineMatrix(items.map(\.1), items.map(\.1))
        let selectedRow = min(state.selection, items.count - 1)
        heatmap(&screen, state, layout, rows: items.map(\.0), columns: items.map(\.0), matrix: matrix,
                selectedRow: selectedRow, best: nil,
                title: "cosine between the \(state.showWords ? "words" : "pieces") of line \(state.focusedLine + 1)", subtitle: nil)
    }

    private static func comparePane(_ screen: inout Screen, _ state: ExplorerState, _ layout: Layout) {
        let left = layout.paneLeft + 1
        guard state.lines.count > 1 else {
            screen.write("Compare needs a second line: press + (in browse mode) and type", row: layout.bodyTop, column: left, style: Palette.dim)
            screen.write("a translation, e.g. \"Der Hund bellt\" next to \"The dog barks\".", row: layout.bodyTop + 1, column: left, style: Palette.dim)
            return
        }
        let other = (state.focusedLine + 1) % state.lines.count
        guard let a = state.focused.embedded, let b = state.lines[other].embedded else {
            screen.write("waiting for vectors…", row: layout.bodyTop, column: left, style: Palette.dim)
            return
        }
        let comparison = CrossSimilarity(a, b, layer: state.layer, pooling: state.pooling,
                                         centroid: state.centre ? state.baseline?.centroid : nil)
        guard !comparison.wordsA.isEmpty, !comparison.wordsB.isEmpty else {
            screen.write("both lines need words", row: layout.bodyTop, column: left, style: Palette.dim)
            return
        }
        var summary = String(format: "sentence cosine (mean) %.3f", comparison.sentenceCosine)
        if let pooler = comparison.poolerCosine { summary += String(format: " · pooler %.3f", pooler) }
        // In piece view the selected piece's word is the selected row.
        let selectedWord = state.showWords ? state.selection : (state.focused.encoding.wordIds[safe: state.selection] ?? nil) ?? 0
        heatmap(&screen, state, layout, rows: comparison.wordsA.map(\.text), columns: comparison.wordsB.map(\.text),
                matrix: comparison.matrix, selectedRow: min(selectedWord, comparison.wordsA.count - 1),
                best: comparison.bestMatchesA, title: "words of line \(state.focusedLine + 1) × line \(other + 1)", subtitle: summary)
    }

    /// A cosine heatmap with labels, a cursor, best matches and the value under the cursor next to the baseline.
    private static func heatmap(_ screen: inout Screen, _ state: ExplorerState, _ layout: Layout, rows: [String], columns: [String],
                                matrix: [[Double]], selectedRow: Int, best: [Int]?, title: String, subtitle: String?) {
        let left = layout.paneLeft + 1
        let width = layout.paneWidth - 2
        var row = layout.bodyTop
        screen.write(title, row: row, column: left, style: Palette.accent, width: width)
        row += 1
        if let subtitle {
            screen.write(subtitle, row: row, column: left, style: Style(bold: true), width: width)
            row += 1
        }
        guard !rows.isEmpty, !columns.isEmpty else { return }
        let labelWidth = 10
        let cellWidth = 3
        let visibleColumns = max(1, (width - labelWidth - 1) / cellWidth)
        let visibleRows = max(1, layout.bodyTop + layout.bodyHeight - row - 6)
        let column = min(state.matrixColumn, columns.count - 1)
        let firstColumn = max(0, min(column - visibleColumns / 2, columns.count - visibleColumns))
        let firstRow = max(0, min(selectedRow - visibleRows / 2, rows.count - visibleRows))
        // Column headers: indices, and the cursor column's label on the footer line.
        var headerText = String(repeating: " ", count: labelWidth + 1)
        for index in firstColumn..<min(columns.count, firstColumn + visibleColumns) { headerText += pad(String(index % 1000), cellWidth) }
        screen.write(headerText, row: row, column: left, style: Palette.dim, width: width)
        row += 1
        for rowIndex in firstRow..<min(rows.count, firstRow + visibleRows) {
            let isSelected = rowIndex == selectedRow
            screen.write(DisplayWidth.padded(rows[rowIndex], to: labelWidth), row: row, column: left,
                         style: isSelected ? Palette.selected : .plain)
            for columnIndex in firstColumn..<min(columns.count, firstColumn + visibleColumns) {
                let value = matrix[rowIndex][columnIndex]
                var (glyph, style) = Palette.heat(value, mode: state.colors)
                var text = String(repeating: glyph, count: cellWidth)
                if best?[rowIndex] == columnIndex { text = glyph + "◆" + glyph; style.foreground = .white; style.bold = true }
                if isSelected && columnIndex == column { text = "[" + (best?[rowIndex] == columnIndex ? "◆" : glyph) + "]"; style.bold = true; style.foreground = .white }
                screen.write(text, row: row, column: left + labelWidth + 1 + (columnIndex - firstColumn) * cellWidth, style: style)
            }
            row += 1
        }
        // The column numbers named: the words of the columns shown, the cursor's in brackets.
        let legend = (firstColumn..<min(columns.count, firstColumn + visibleColumns)).map { index in
            index == column ? "[\(index) \(columns[index])]" : "\(index) \(columns[index])"
        }.joined(separator: " ")
        screen.write(legend, row: row, column: left, style: Palette.dim, width: width)
        row += 1
        // The value under the cursor and the baseline stay right under the heatmap they belong to.
        let value = matrix[selectedRow][column]
        screen.write("cos(\(rows[selectedRow]), \(columns[column])) = " + String(format: "%.3f", value),
                     row: row, column: left, style: Style(bold: true), width: width)
        var baselineText = "baseline: computing…"
        if let baseline = state.baseline {
            let reference = state.centre ? baseline.centredMeanCosine : baseline.meanCosine
            baselineText = String(format: "baseline (unrelated words, %@) %.3f · %+.3f above", state.centre ? "centred" : "raw",
                                  reference, value - reference)
        }
        screen.write(baselineText, row: row + 1, column: left, style: Palette.dim, width: width)
        screen.write("←→ column · ↑↓ row · c centre (\(state.centre ? "on" : "off")) · ◆ best match", row: row + 2, column: left,
                     style: Palette.dim, width: width)
    }

    // MARK: Pins

    private static func pinsPane(_ screen: inout Screen, _ state: ExplorerState, _ layout: Layout) {
        let left = layout.paneLeft + 1
        let width = layout.paneWidth - 2
        var row = layout.bodyTop
        guard !state.pins.isEmpty else {
            screen.write("No pins yet: select a word (or, in pieces mode, a piece) and press m (browse mode).", row: row, column: left, style: Palette.dim, width: width)
            screen.write("Pinned words keep their line, sentence, layer and pooling.", row: row + 1, column: left, style: Palette.dim, width: width)
            return
        }
        let bottom = layout.bodyTop + layout.bodyHeight
        let listHeight = min(state.pins.count, max(3, layout.bodyHeight / 4))
        let selected = min(state.selectedPin, state.pins.count - 1)
        let scroll = max(0, min(selected - listHeight / 2, state.pins.count - listHeight))
        for (offset, pin) in state.pins.dropFirst(scroll).prefix(listHeight).enumerated() {
            let index = scroll + offset
            let language = pin.language.map { " \($0)" } ?? ""
            screen.write(pad(String(index + 1), 2) + " " + pin.label + "  line \(pin.line + 1)\(language) «" + pin.sentence + "»",
                         row: row, column: left, style: index == selected ? Palette.selected : .plain, width: width)
            row += 1
        }
        // What the numbers are: raw or centred cosines, next to the baseline of the selected pin's layer and pooling.
        let pinned = state.pins[selected]
        let centred = PinComparison.comparedVector(pinned, state).centred
        var baselineText = "baseline: computing…"
        if let baseline = state.baselines[pinned.baselineKey] {
            baselineText = String(format: "baseline %.3f (unrelated words)", centred ? baseline.centredMeanCosine : baseline.meanCosine)
        }
        let mode = centred ? "centred" : (state.centre ? "raw (centring waits for the baseline)" : "raw")
        screen.write("cosines \(mode) · \(baselineText)", row: row, column: left, style: Palette.dim, width: width)
        row += 1
        // Nearest neighbours of the selected pin among the pins; one at another layer or pooling says so.
        let cosines = state.pinCosines
        let neighbours = state.pins.indices.filter { $0 != selected && selected < cosines.count && cosines[selected][$0].isFinite }
            .map { ($0, cosines[selected][$0]) }
            .sorted { $0.1 > $1.1 }.prefix(3)
        let text = neighbours.map { index, cosine in
            let other = state.pins[index]
            let differs = other.layer != pinned.layer || other.pooling != pinned.pooling || other.unit != pinned.unit
            return String(format: "%@ %.3f", other.word, cosine) + (differs ? " (\(other.layer), \(other.unit == .piece ? "piece" : other.pooling.rawValue))" : "")
        }.joined(separator: " · ")
        screen.write("nearest to \(pinned.word): " + (text.isEmpty ? "pin more words" : text), row: row, column: left, style: Palette.accent, width: width)
        row += 1
        if state.pins.count >= 2 && cosines.count == state.pins.count {
            row = pinMatrix(&screen, state, cosines: cosines, selected: selected, top: row, left: left, width: width,
                            height: min(state.pins.count + 1, max(2, (bottom - row) / 2)))
        }
        scatter(&screen, state, top: row, left: left, width: width, height: bottom - row)
    }

    /// Every pin against every other: rows and columns numbered as the pin list, the selected pin's row
    /// and column shown; returns the row after it.
    private static func pinMatrix(_ screen: inout Screen, _ state: ExplorerState, cosines: [[Double]], selected: Int,
                                  top: Int, left: Int, width: Int, height: Int) -> Int {
        let labelWidth = 12, cellWidth = 7
        let count = state.pins.count
        let visibleColumns = max(1, min(count, (width - labelWidth) / cellWidth))
        let visibleRows = max(1, height - 1)
        let firstColumn = max(0, min(selected - visibleColumns / 2, count - visibleColumns))
        let firstRow = max(0, min(selected - visibleRows / 2, count - visibleRows))
        var header = String(repeating: " ", count: labelWidth)
        for column in firstColumn..<(firstColumn + visibleColumns) { header += pad(String(column + 1), cellWidth) }
        screen.write(header, row: top, column: left, style: Palette.dim, width: width)
        var row = top + 1
        for index in firstRow..<min(count, firstRow + visibleRows) {
            let label = DisplayWidth.padded(pad(String(index + 1), 2) + " " + state.pins[index].word, to: labelWidth)
            screen.write(label, row: row, column: left, style: index == selected ? Palette.selected : .plain)
            for column in firstColumn..<(firstColumn + visibleColumns) {
                let value = cosines[index][column]
                let style = index == selected || column == selected ? Style(bold: true) : .plain
                screen.write(pad(value.isFinite ? String(format: "%.3f", value) : "–", cellWidth), row: row,
                             column: left + labelWidth + (column - firstColumn) * cellWidth, style: style)
            }
            row += 1
        }
        return row
    }

    /// The pins' first two principal components as a labelled scatter plot.
    private static func scatter(_ screen: inout Screen, _ state: ExplorerState, top: Int, left: Int, width: Int, height: Int) {
        guard height >= 4, state.pins.count >= 2 else { return }
        let dimension = state.pins[0].vector.count
        let usable = state.pins.enumerated().filter { $0.element.vector.count == dimension }
        let points = VectorMath.projectTo2D(usable.map(\.element.vector))
        let xs = points.map(\.x), ys = points.map(\.y)
        let (minX, maxX, minY, maxY) = (xs.min()!, xs.max()!, ys.min()!, ys.max()!)
        screen.write("PCA of the pins (x: PC1, y: PC2)", row: top, column: left, style: Palette.dim)
        let plotTop = top + 1, plotHeight = height - 1
        for r in plotTop..<(plotTop + plotHeight) { screen.write("│", row: r, column: left, style: Palette.dim) }
        for (point, (index, pin)) in zip(points, usable) {
            let x = maxX > minX ? (point.x - minX) / (maxX - minX) : 0.5
            let y = maxY > minY ? (point.y - minY) / (maxY - minY) : 0.5
            let column = left + 2 + Int(x * Double(max(1, width - 14)))
            let row = plotTop + Int((1 - y) * Double(max(1, plotHeight - 1)))
            let style = index == state.selectedPin ? Palette.selected : Palette.accent
            screen.write("● " + pin.word, row: row, column: column, style: style, width: 14)
        }
    }

    // MARK: Why

    private static func whyPane(_ screen: inout Screen, _ state: ExplorerState, _ layout: Layout) {
        let left = layout.paneLeft + 1
        let width = layout.paneWidth - 2
        var row = layout.bodyTop
        let encoding = state.focused.encoding
        let words = ExplorerReducer.words(of: state.focused)
        let wordIndex: Int?
        if state.showWords {
            wordIndex = state.selection < words.count ? state.selection : nil
        } else {
            wordIndex = state.selection < encoding.count ? encoding.wordIds[state.selection] : nil
        }
        guard let wordIndex, wordIndex < words.count else {
            // The tokenizer's own special tokens, as this encoding has them ([CLS] [SEP], or <s> </s>).
            var specials = [String]()
            for (token, special) in zip(encoding.tokens, encoding.specialTokensMask) where special && !specials.contains(token) { specials.append(token) }
            screen.write("\(specials.joined(separator: " and ")) are added around every text: no word of yours.", row: row, column: left, style: Palette.dim)
            return
        }
        let word = words[wordIndex]
        let tokens = word.tokens.map { encoding.tokens[$0] }.joined(separator: " ")
        screen.write("word \(wordIndex) \"\(word.text)\" → \(tokens)", row: row, column: left, style: Palette.accent, width: width)
        row += 1
        screen.write("characters \(word.span.start)..<\(word.span.end) of the text · \(tokenizerLabel(state))", row: row, column: left, style: Palette.dim, width: width)
        row += 1
        // The traced word may be wider than the word shown: a SentencePiece word's span excludes the space its ▁ stands for.
        if let traced = state.wordTrace, traced.span.start <= word.span.start, word.span.end <= traced.span.end {
            screen.write("after normalization: \"\(traced.text)\" (\(traced.kind.rawValue))", row: row, column: left, width: width)
            row += 1
            switch traced.unknownReason {
            case .tooLong(let characters, let limit)?:
                screen.write("[UNK]: \(characters) characters, more than the \(limit) WordPiece splits", row: row, column: left, style: Palette.unknown, width: width)
                row += 1
            case .noMatch(let position)?:
                screen.write("[UNK]: no piece matches from character \(position) on,", row: row, column: left, style: Palette.unknown, width: width)
                screen.write("so the whole word becomes [UNK]", row: row + 1, column: left, style: Palette.unknown, width: width)
                row += 2
            case nil:
                break
            }
            // The tokenizer's steps for this word: Unigram's scored pieces, or WordPiece's look-ups.
            let title: String
            let steps: [(text: String, style: Style)]
            if !traced.scoredPieces.isEmpty {
                title = "Unigram best segmentation (log probability):"
                steps = traced.scoredPieces.map { scored in
                    let why = scored.isUnknown ? "unknown: no piece covers it" : "id \(scored.id)"
                    return ("  \(DisplayWidth.padded(scored.piece, to: 24)) \(String(format: "%8.3f", scored.score)) \(why)",
                            scored.isUnknown ? Palette.unknown : Style(foreground: .green))
                }
            } else {
                title = "WordPiece look-ups (longest first):"
                steps = traced.attempts.map { attempt in
                    ("  \(DisplayWidth.padded(attempt.candidate, to: 24, keepingEnd: true)) \(attempt.id.map { "✓ id \($0)" } ?? "✗")",
                     attempt.id == nil ? Palette.dim : Style(foreground: .green))
                }
            }
            screen.write(title, row: row, column: left, style: Palette.dim)
            row += 1
            let (shown, more) = listFit(steps.count, rows: layout.footerRow - 1 - row)
            for step in steps.prefix(shown) {
                screen.write(step.text, row: row, column: left, style: step.style, width: width)
                row += 1
            }
            if more > 0 { screen.write("  … \(more) more (all: bertscope tokenize --trace)", row: row, column: left, style: Palette.dim, width: width) }
        }
    }

    /// How many of `count` lines fit in `rows`, and how many are left for a "… N more" line (which then takes
    /// the last row).
    static func listFit(_ count: Int, rows: Int) -> (shown: Int, more: Int) {
        let rows = max(0, rows)
        if count <= rows { return (count, 0) }
        let shown = max(0, rows - 1)
        return (shown, count - shown)
    }

    static func pad(_ text: String, _ width: Int) -> String {
        String(repeating: " ", count: max(0, width - text.count)) + text
    }
}

extension Array {
    /// The element at `index`, or nil when it is out of range.
    subscript(safe index: Int) -> Element? { indices.contains(index) ? self[index] : nil }
}
