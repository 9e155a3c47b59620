/// The Similarity pane: cosine of every two pieces (or words) of the focused line.
enum SimilarityPane {
    static let description = PaneDescription(
        pane: .similarity, title: "Similarity", needs: [.similarity], keys: [], help: [
            "Similarity: cosine of every two pieces (or words) of the focused line.",
            "  Baseline: the mean cosine of words of 12 unrelated sentences in 11",
            "  languages at the same layer and pooling; c centres (subtracts their",
            "  mean vector). A cosine means something only above it.",
            "                                   bertscope similarity --centre",
        ], render: render,
        heatmapColumns: { $0.derived.similarity?.labels.count })

    static func render(_ screen: inout Screen, _ state: ExplorerState, _ layout: Layout) {
        guard let similarity = state.derived.similarity else {
            screen.write("waiting for vectors…", row: layout.bodyTop, column: layout.paneLeft + 1, style: Palette.dim)
            return
        }
        let heatmap = Heatmap(rows: similarity.labels, columns: similarity.labels, matrix: similarity.matrix,
                              selectedRow: min(state.selection, similarity.labels.count - 1), column: state.matrixColumn, best: nil)
        CosineHeatmap.draw(&screen, state, layout, heatmap,
                           title: "cosine between the \(state.showWords ? "words" : "pieces") of line \(state.focusedLine + 1)", subtitle: nil)
    }
}
