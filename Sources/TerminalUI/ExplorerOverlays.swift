/// The boxes drawn over the explorer: the help pages, the export dialog and the language-label editor.
extension ExplorerView {
    static func box(_ screen: inout Screen, top: Int, left: Int, height: Int, width: Int, title: String) {
        screen.fill(row: top, column: left, height: height, width: width, style: Style(background: Color(235)))
        screen.write("┌" + String(repeating: "─", count: max(0, width - 2)) + "┐", row: top, column: left, style: Style(foreground: .cyan, background: Color(235)))
        for row in (top + 1)..<(top + height - 1) {
            screen.write("│", row: row, column: left, style: Style(foreground: .cyan, background: Color(235)))
            screen.write("│", row: row, column: left + width - 1, style: Style(foreground: .cyan, background: Color(235)))
        }
        screen.write("└" + String(repeating: "─", count: max(0, width - 2)) + "┘", row: top + height - 1, column: left, style: Style(foreground: .cyan, background: Color(235)))
        screen.write(" \(title) ", row: top, column: left + 2, style: Style(foreground: .white, background: Color(235), bold: true))
    }

    public static let helpLines = keyHelpLines + ExplorerPanes.all.flatMap(\.keys) + [
        "Everywhere: F1 help · \(ExplorerPanes.functionKeyRange) panes · Ctrl-C quit · mouse click selects",
    ]

    static let keyHelpLines = [
        "Typing (the input line has the cursor)",
        "  any text        edit; tokens update as you type, vectors follow",
        "  ← → Home End    move by character (grapheme) · Ctrl-A/E start/end",
        "  Alt-B Alt-F     move by word · Ctrl-W delete word · Ctrl-K/U kill",
        "  Backspace Delete  delete before/after the cursor (Ctrl-D too)",
        "  ↑ ↓             history · Enter or Esc: browse",
        "Browsing",
        "  ↑ ↓ j k PgUp PgDn g G  select (a pin, in Pins) · ← → h l heatmap column",
        "  Tab Shift-Tab \(ExplorerPanes.digitRange)  panes: \(ExplorerPanes.all.map(\.title).joined(separator: " "))",
        "  [ ]  layer 0…N, sum of last 4   p P  pooling first/mean/max/sum",
        "  w  pieces ⇄ words   W  ICU's words ⇄ the tokenizer's   c  centre",
        "  d  dialect hf/google/spark (WordPiece)   b  precision f32/bf16/int8",
        "  +  add a line (up to \(ExplorerReducer.maxLines))  -  remove it  o  next line  L  language",
        "  m  pin the word (words) or the piece (pieces)   x/Delete  unpin (Pins)",
        "  M  next model (--model given twice): the vector panes follow it",
        "  e  export: json jsonl csv npy projector spark   i / Enter  type",
        "  X  next example set: the same sentences in many languages, one per line",
        "  ?  help (again: what the panes show)   q  quit (asks if pins or lines)",
    ]

    /// The second help page: what each pane compares, against what, and the command that prints the same numbers.
    public static let paneHelpLines = ExplorerPanes.all.flatMap(\.help) + [
        "Lines: up to \(ExplorerReducer.maxLines) (+ adds, - removes); L labels a line's language.",
        "Export (e): json jsonl csv npy projector spark · docs/EXPORTS.md",
    ]

    static func help(_ screen: inout Screen, _ state: ExplorerState) {
        let page = state.helpPage ?? 0
        let lines = page == 0 ? helpLines : paneHelpLines
        let width = min(state.columns - 4, 78)
        let height = min(state.rows - 3, max(helpLines.count, paneHelpLines.count) + 3)
        let top = max(0, (state.rows - height) / 2), left = max(0, (state.columns - width) / 2)
        let title = page == 0 ? "keys · ? or Tab: what the panes show · any other key closes"
            : "what the panes show · ? or Tab: keys · any other key closes"
        box(&screen, top: top, left: left, height: height + 1, width: width, title: title)
        let models = state.models.count > 1 ? "model \(state.activeModel + 1) of \(state.models.count), " : "model "
        screen.write(models + "\(state.model.name): \(state.model.reason)", row: top + height - 1, column: left + 2,
                     style: Style(foreground: .gray, background: Color(235)), width: width - 4)
        for (index, line) in lines.prefix(height - 3).enumerated() {
            let style = line.hasPrefix(" ") ? Style(background: Color(235)) : Style(foreground: .cyan, background: Color(235), bold: true)
            screen.write(line, row: top + 1 + index, column: left + 2, style: style, width: width - 4)
        }
    }

    /// The language label editor for the focused line (L).
    static func languageEditor(_ screen: inout Screen, _ state: ExplorerState, _ editor: LineEditor) {
        let width = min(state.columns - 4, 60)
        let top = max(0, state.rows / 2 - 3), left = max(0, (state.columns - width) / 2)
        box(&screen, top: top, left: left, height: 5, width: width, title: "language of line \(state.focusedLine + 1)")
        let prefix = "label: "
        screen.write(prefix, row: top + 1, column: left + 2, style: Style(background: Color(235)))
        var editor = editor
        let visible = editor.visible(width: width - 4 - prefix.count)
        screen.write(visible.text, row: top + 1, column: left + 2 + prefix.count, style: Style(underline: true))
        screen.cursor = (top + 1, left + 2 + prefix.count + visible.cursorColumn)
        screen.write("e.g. de, ja, sw · exports carry it · Enter keep · Esc cancel", row: top + 3, column: left + 2,
                     style: Palette.dim, width: width - 4)
    }

    static func exportDialog(_ screen: inout Screen, _ state: ExplorerState, _ dialog: ExportDialog) {
        let width = min(state.columns - 4, 72)
        let top = max(0, state.rows / 2 - 4), left = max(0, (state.columns - width) / 2)
        box(&screen, top: top, left: left, height: 8, width: width, title: "export")
        let background = Style(background: Color(235))
        let what = state.pins.isEmpty ? "the words of line \(state.focusedLine + 1) at \(state.layer), \(state.pooling.rawValue)" : "\(state.pins.count) pinned word\(state.pins.count == 1 ? "" : "s")"
        screen.write("writes " + what, row: top + 1, column: left + 2, style: background, width: width - 4)
        var column = screen.write("format: ", row: top + 3, column: left + 2, style: background)
        for (index, format) in ExportDialog.formats.enumerated() {
            column = screen.write(" \(format) ", row: top + 3, column: column, style: index == dialog.formatIndex ? Palette.selected : background)
        }
        let prefix = "path:   "
        screen.write(prefix, row: top + 4, column: left + 2, style: background)
        var editor = dialog.path
        let visible = editor.visible(width: width - 4 - prefix.count)
        screen.write(visible.text, row: top + 4, column: left + 2 + prefix.count, style: Style(underline: true))
        screen.cursor = (top + 4, left + 2 + prefix.count + visible.cursorColumn)
        let hint = dialog.confirmingOverwrite ? "\(dialog.path.text) exists: replace it? y / n" : "Tab format · Enter write · Esc cancel"
        screen.write(hint, row: top + 6, column: left + 2, style: dialog.confirmingOverwrite ? Palette.warning : Palette.dim, width: width - 4)
    }
}
