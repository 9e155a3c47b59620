import ResourceFiles

/// Example sets as lines: `bertscope --example NAME` at start and the X key load them the same way.
extension ExplorerReducer {
    /// Replaces the lines with the set's texts (those of `languages`, all when empty), each labelled with its
    /// language, as many as the explorer holds.
    @discardableResult
    public static func load(_ set: ExampleSet, languages: [String], _ state: inout ExplorerState, _ context: ExplorerContext) -> [ExplorerEffect] {
        let rows = set.rows(languages: languages)
        let shown = rows.prefix(maxLines)
        state.lines = shown.map { row in
            var line = InputLine(encodings: context.encodings(row.text, state.dialect), words: state.wordSource, activeModel: state.activeModel)
            line.editor.setText(row.text)
            line.language = row.language
            return line
        }
        state.focusedLine = 0
        state.selection = 0
        state.mode = .browsing
        state.loadedExample = state.examples.firstIndex(of: set)
        let left = rows.count > shown.count ? " of \(rows.count) (the explorer holds \(maxLines); --languages chooses)" : ""
        state.message = "example \(set.name): \(shown.count) lines\(left) · X next example"
        return state.lines.indices.flatMap { textChanged(&state, line: $0, context) }
    }

    /// X: the next example set. Lines holding text of the person's own are replaced only after a second X.
    static func nextExample(_ state: inout ExplorerState, _ context: ExplorerContext, asked: Bool) -> [ExplorerEffect] {
        guard !state.examples.isEmpty else {
            state.message = "no example sets were found (bertscope examples says where it looked)"
            return []
        }
        let next = state.examples[state.loadedExample.map { ($0 + 1) % state.examples.count } ?? 0]
        let exampleTexts = Set(state.examples.flatMap { $0.rows.map(\.text) })
        let ownLines = state.lines.filter { !$0.editor.text.isEmpty && !exampleTexts.contains($0.editor.text) }.count
        if ownLines > 0 && !asked {
            state.confirmingExample = true
            state.message = "replace your \(ownLines) line\(ownLines == 1 ? "" : "s") with example \"\(next.name)\"? X replaces, any other key keeps them"
            return []
        }
        return load(next, languages: [], &state, context)
    }
}
