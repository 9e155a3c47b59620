import Embeddings

/// The Pins pane: the pins, their cosines with the baseline, the nearest pins and a PCA scatter.
enum PinsPane {
    static let description = PaneDescription(
        pane: .pins, title: "Pins", needs: [], keys: [], help: [
            "Pins: every pin × every pin, raw or centred, with the baseline.",
            "                                   bertscope export (any format)",
        ], render: render, handle: handle)

    /// Here ↑↓ g G move among the pins, and x or Delete removes the selected one.
    static func handle(_ key: Key, _ state: inout ExplorerState) -> Bool {
        switch key {
        case .up, .character("k"): state.selectedPin = max(0, state.selectedPin - 1)
        case .down, .character("j"): state.selectedPin = min(max(0, state.pins.count - 1), state.selectedPin + 1)
        case .home, .character("g"): state.selectedPin = 0
        case .end, .character("G"): state.selectedPin = max(0, state.pins.count - 1)
        case .character("m"):
            // Here ↑↓ move among the pins, so the word list's selection is not what the user is looking at.
            let others = ExplorerPanes.all.filter { $0.pane != .pins }.map { String(ExplorerPanes.digit(of: $0.pane)) }
            state.message = "m pins the word selected in the list: leave the Pins pane (\(others.dropLast().joined(separator: ", ")) or \(others.last!)) to choose one; x removes a pin"
        case .delete, .character("x"):
            if !state.pins.isEmpty {
                state.pins.remove(at: state.selectedPin)
                state.selectedPin = max(0, min(state.selectedPin, state.pins.count - 1))
                PinComparison.refresh(&state)
            }
        default:
            return false
        }
        return true
    }

    static func render(_ screen: inout Screen, _ state: ExplorerState, _ layout: Layout) {
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
            // With several models, each pin says whose vector it is.
            let model = state.models.count > 1 ? " · " + state.models[pin.model].name : ""
            screen.write(ExplorerView.pad(String(index + 1), 2) + " " + pin.label + model + "  line \(pin.line + 1)\(language) «" + pin.sentence + "»",
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
        // Pins of another model have no cosine with this one: their vectors are of unrelated spaces.
        let otherModels = state.pins.filter { !PinComparison.comparable($0, pinned) }.count
        let others = otherModels == 0 ? "" : " · \(otherModels) of another model: no cosine"
        screen.write("nearest to \(pinned.word): " + (text.isEmpty ? "pin more words" : text) + others,
                     row: row, column: left, style: Palette.accent, width: width)
        row += 1
        if state.pins.count >= 2 && cosines.count == state.pins.count {
            row = pinMatrix(&screen, state, cosines: cosines, selected: selected, top: row, left: left, width: width,
                            height: min(state.pins.count + 1, max(2, (bottom - row) / 2)))
        }
        scatter(&screen, state, top: row, left: left, width: width, height: bottom - row)
    }

    /// Every pin against every other: rows and columns numbered as the pin list, the selected pin's row
    /// and column shown; returns the row after it.
    static func pinMatrix(_ screen: inout Screen, _ state: ExplorerState, cosines: [[Double]], selected: Int,
                                  top: Int, left: Int, width: Int, height: Int) -> Int {
        let labelWidth = 12, cellWidth = 7
        let count = state.pins.count
        let visibleColumns = max(1, min(count, (width - labelWidth) / cellWidth))
        let visibleRows = max(1, height - 1)
        let firstColumn = max(0, min(selected - visibleColumns / 2, count - visibleColumns))
        let firstRow = max(0, min(selected - visibleRows / 2, count - visibleRows))
        var header = String(repeating: " ", count: labelWidth)
        for column in firstColumn..<(firstColumn + visibleColumns) { header += ExplorerView.pad(String(column + 1), cellWidth) }
        screen.write(header, row: top, column: left, style: Palette.dim, width: width)
        var row = top + 1
        for index in firstRow..<min(count, firstRow + visibleRows) {
            let label = DisplayWidth.padded(ExplorerView.pad(String(index + 1), 2) + " " + state.pins[index].word, to: labelWidth)
            screen.write(label, row: row, column: left, style: index == selected ? Palette.selected : .plain)
            for column in firstColumn..<(firstColumn + visibleColumns) {
                let value = cosines[index][column]
                let style = index == selected || column == selected ? Style(bold: true) : .plain
                // Two models' pins: not a number, but why there is none.
                let cell = !PinComparison.comparable(state.pins[index], state.pins[column]) ? "≠model"
                    : value.isFinite ? String(format: "%.3f", value) : "–"
                screen.write(ExplorerView.pad(cell, cellWidth), row: row,
                             column: left + labelWidth + (column - firstColumn) * cellWidth, style: style)
            }
            row += 1
        }
        return row
    }

    /// The pins' first two principal components as a labelled scatter plot.
    static func scatter(_ screen: inout Screen, _ state: ExplorerState, top: Int, left: Int, width: Int, height: Int) {
        guard height >= 4, state.pins.count >= 2 else { return }
        // One model's vectors: those of the selected pin's model (another model's are in an unrelated space).
        let selected = state.pins[min(state.selectedPin, state.pins.count - 1)]
        let dimension = selected.vector.count
        let usable = state.pins.enumerated().filter { $0.element.vector.count == dimension && PinComparison.comparable($0.element, selected) }
        guard usable.count >= 2 else { return }
        let points = VectorMath.projectTo2D(usable.map(\.element.vector))
        let xs = points.map(\.x), ys = points.map(\.y)
        let (minX, maxX, minY, maxY) = (xs.min()!, xs.max()!, ys.min()!, ys.max()!)
        let whose = usable.count < state.pins.count && state.models.count > 1 ? " of \(state.models[selected.model].name)" : ""
        screen.write("PCA of the pins\(whose) (x: PC1, y: PC2)", row: top, column: left, style: Palette.dim)
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

}
