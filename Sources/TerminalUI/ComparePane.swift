/// The Compare pane: the focused line's words against the next line's.
enum ComparePane {
    static let description = PaneDescription(
        pane: .compare, title: "Compare", needs: [.comparison], keys: [], help: [
            "Compare: the focused line's words × the next line's (o moves on).",
            "                                   bertscope similarity TEXT_A TEXT_B",
        ], render: render,
        heatmapColumns: { $0.derived.comparison?.1.wordsB.count })

    static func render(_ screen: inout Screen, _ state: ExplorerState, _ layout: Layout) {
        let left = layout.paneLeft + 1
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
        // In piece view the selected piece's word is the selected row.
        let owner = state.focused.vectorWords?.pieceWords[safe: state.selection] ?? nil
        let selectedWord = state.showWords ? state.selection : owner.flatMap { owner in comparison.wordsA.firstIndex { $0.index == owner } } ?? 0
        let heatmap = Heatmap(rows: comparison.wordsA.map(\.text), columns: comparison.wordsB.map(\.text), matrix: comparison.matrix,
                              selectedRow: min(selectedWord, comparison.wordsA.count - 1), column: state.matrixColumn,
                              best: comparison.bestMatchesA)
        CosineHeatmap.draw(&screen, state, layout, heatmap, title: "words of line \(state.focusedLine + 1) × line \(other + 1)", subtitle: summary)
    }
}
