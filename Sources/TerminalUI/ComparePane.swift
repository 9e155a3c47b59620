import Embeddings

/// The Compare pane: the focused line's words against the next line's, and their word alignment.
enum ComparePane {
    static let description = PaneDescription(
        pane: .compare, title: "Compare", needs: [.comparison], keys: [
            "Compare pane: A  alignment method argmax → itermax → match (● links)",
        ], help: [
            "Compare: the focused line's words × the next line's (o moves on).",
            "                                   bertscope similarity TEXT_A TEXT_B",
            "  ● links: SimAlign's word alignment of the two lines at the layer (A:",
            "  argmax itermax match).      bertscope align --layer L --method M A B",
            "  model's own: a sentence-transformers folder's pooling (modules.json).",
        ], render: render, handle: handle,
        heatmapColumns: { $0.derived.comparison?.1.wordsB.count })

    static func handle(_ key: Key, _ state: inout ExplorerState) -> Bool {
        guard case .character("A") = key else { return false }
        let methods = AlignmentMethod.allCases
        state.alignmentMethod = methods[(methods.firstIndex(of: state.alignmentMethod)! + 1) % methods.count]
        state.message = "alignment: \(state.alignmentMethod.rawValue)"
        return true
    }

    static func render(_ screen: inout Screen, _ state: ExplorerState, _ layout: Layout) {
        let left = layout.paneLeft + 1
        let width = layout.paneWidth - 2
        guard state.lines.count > 1 else {
            screen.write("Compare needs a second line: press + (in browse mode) and type", row: layout.bodyTop, column: left, style: Palette.dim)
            screen.write("a translation, e.g. \"Der Hund bellt\" next to \"The dog barks\".", row: layout.bodyTop + 1, column: left, style: Palette.dim)
            return
        }
        guard state.focused.embedded != nil, state.lines[(state.focusedLine + 1) % state.lines.count].embedded != nil else {
            screen.write("waiting for vectors…", row: layout.bodyTop, column: left, style: Palette.dim)
            return
        }
        guard let (other, comparison) = state.derived.comparison else {
            screen.write("both lines need words", row: layout.bodyTop, column: left, style: Palette.dim)
            return
        }
        var summary = String(format: "sentence cosine (mean) %.3f", comparison.sentenceCosine)
        if let pooler = comparison.poolerCosine { summary += String(format: " · pooler %.3f", pooler) }
        if let own = state.derived.modelSentenceCosine { summary += String(format: " · model's own %.3f", own) }
        // In piece view the selected piece's word is the selected row.
        let owner = state.focused.vectorWords?.pieceWords[safe: state.selection] ?? nil
        let selectedWord = state.showWords ? state.selection : owner.flatMap { owner in comparison.wordsA.firstIndex { $0.index == owner } } ?? 0
        // Links name words by their number in the text (`Word.index`); the heatmap's rows and columns are the words with pieces.
        let rowOf = Dictionary(uniqueKeysWithValues: comparison.wordsA.enumerated().map { ($0.element.index, $0.offset) })
        let columnOf = Dictionary(uniqueKeysWithValues: comparison.wordsB.enumerated().map { ($0.element.index, $0.offset) })
        let links = (state.derived.alignment?.links ?? []).compactMap { link in
            rowOf[link.source].flatMap { row in columnOf[link.target].map { (row: row, column: $0, cosine: link.cosine) } }
        }
        var linked = comparison.matrix.map { $0.map { _ in false } }
        for link in links { linked[link.row][link.column] = true }
        let listRows = min(4, max(1, links.count))
        var heatmap = Heatmap(rows: comparison.wordsA.map(\.text), columns: comparison.wordsB.map(\.text), matrix: comparison.matrix,
                              selectedRow: min(selectedWord, comparison.wordsA.count - 1), column: state.matrixColumn,
                              best: comparison.bestMatchesA, linked: linked)
        heatmap.reservedRows += 1 + listRows
        var row = CosineHeatmap.draw(&screen, state, layout, heatmap, title: "words of line \(state.focusedLine + 1) × line \(other + 1)",
                                     subtitle: summary)
        let layer = state.layer.exportLabel
        screen.write("links (\(state.alignmentMethod.rawValue), layer \(layer); A: method) = bertscope align --layer \(layer) --method \(state.alignmentMethod.rawValue)",
                     row: row, column: left, style: Palette.accent, width: width)
        row += 1
        let items = links.map { "\(comparison.wordsA[$0.row].text) ↔ \(comparison.wordsB[$0.column].text) \(String(format: "%.2f", $0.cosine))" }
        let lines = ExplorerView.packed(items, separator: "   ", width: width)
        let bottom = layout.bodyTop + layout.bodyHeight
        let (shown, more) = ExplorerView.listFit(lines.count, rows: bottom - row)
        for line in lines.prefix(shown) {
            screen.write(line, row: row, column: left, width: width)
            row += 1
        }
        if more > 0 { screen.write("… \(more) more rows of links (all: bertscope align --json)", row: row, column: left, style: Palette.dim, width: width) }
        if items.isEmpty { screen.write("(no links)", row: row, column: left, style: Palette.dim, width: width) }
    }
}
