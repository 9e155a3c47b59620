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
        modelCuts(&screen, state, layout)
        tabs(&screen, state, layout)
        tokenList(&screen, state, layout)
        ExplorerPanes.description(of: state.pane).render(&screen, state, layout)
        footer(&screen, state, layout)
        if let dialog = state.exportDialog { exportDialog(&screen, state, dialog) }
        if let editor = state.languageEditor { languageEditor(&screen, state, editor) }
        if state.showHelp { help(&screen, state) }
        return screen
    }

    // MARK: Frame

    /// `text` broken at spaces into lines of at most `width` cells (a longer word is cut by the screen).
    static func wrapped(_ text: String, width: Int) -> [String] {
        packed(text.split(separator: " ").map(String.init), separator: " ", width: width)
    }

    /// The items side by side, `separator` apart, in lines of at most `width` cells; an item never breaks.
    static func packed(_ items: [String], separator: String, width: Int) -> [String] {
        var lines = [String]()
        for item in items {
            if let last = lines.last, DisplayWidth.of(last) + DisplayWidth.of(separator) + DisplayWidth.of(item) <= width {
                lines[lines.count - 1] = last + separator + item
            } else {
                lines.append(item)
            }
        }
        return lines
    }

    /// The WordPiece dialect in use, or "sentencepiece" (which has no dialects), for the active model or `model`.
    static func tokenizerLabel(_ state: ExplorerState, model: Int? = nil) -> String {
        state.models[model ?? state.activeModel].tokenizerFamily == .wordPiece ? "dialect \(state.dialect.rawValue)" : "sentencepiece"
    }

    private static func header(_ screen: inout Screen, _ state: ExplorerState) {
        screen.fill(row: 0, column: 0, height: 1, width: state.columns, style: Palette.header)
        var model = state.model.origin.isEmpty ? state.model.name : "\(state.model.name) (\(state.model.origin))"
        // With several models, which one the panes show: "model 2/2 multilingual-e5-small".
        if state.models.count > 1 { model = "model \(state.activeModel + 1)/\(state.models.count) " + model }
        var parts = ["bertscope", model, state.precision.rawValue, "\(state.layer)", "pooling \(state.pooling.rawValue)", tokenizerLabel(state)]
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
        let span = state.selectedSpan ?? TextSpan(0, 0)
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

    /// With several models, a row each under the text: the model (▸ the one the panes show), how many pieces it
    /// cuts the focused line into, how many are unknown, pieces per linguistic word (fertility), and the pieces
    /// themselves, those of the selected piece's or word's characters highlighted.
    private static func modelCuts(_ screen: inout Screen, _ state: ExplorerState, _ layout: Layout) {
        guard layout.modelRows > 0 else { return }
        let nameWidth = min(state.models.map { DisplayWidth.of($0.name) }.max() ?? 0, state.columns >= 100 ? 24 : 16)
        let span = state.selectedSpan
        for (index, facts) in state.models.enumerated() {
            let row = layout.sourceRow + 1 + index
            let cut = state.focused.models[index]
            let active = index == state.activeModel
            var column = screen.write(active ? "▸ " : "  ", row: row, column: 0, style: Palette.accent)
            // A long name keeps its end, where model names differ (bert-base-multilingual-cased, multilingual-e5-small).
            column = screen.write(DisplayWidth.padded(facts.name, to: nameWidth, keepingEnd: true), row: row, column: column, style: active ? Palette.accent : Palette.dim)
            column = screen.write(" " + countsLabel(cut.counts) + " │", row: row, column: column, style: Palette.dim)
            let encoding = cut.encoding
            let pieces = encoding.offsets.indices.filter { encoding.sequenceIds[$0] != nil }
            let selected = pieces.filter { index in
                span.map { encoding.offsets[index].start < max($0.end, $0.start + 1) && encoding.offsets[index].end > $0.start } ?? false
            }
            // Pieces that do not all fit start a little before the selected ones, so they stay in view.
            let width = state.columns - column - 1
            var first = 0
            if let firstSelected = selected.first.flatMap({ pieces.firstIndex(of: $0) }) {
                let used = pieces[...firstSelected].reduce(0) { $0 + DisplayWidth.of(encoding.tokens[$1]) + 1 }
                if used > width * 2 / 3 { first = max(0, firstSelected - 2) }
            }
            if first > 0 { column = screen.write(" …", row: row, column: column, style: Palette.dim) }
            for piece in pieces.dropFirst(first) {
                guard column < state.columns - 1 else { break }
                var style: Style = encoding.isUnknown[piece] ? Palette.unknown : .plain
                if selected.contains(piece) { style = Palette.highlight }
                column = screen.write(" ", row: row, column: column, width: state.columns - column)
                column = screen.write(encoding.tokens[piece], row: row, column: column, style: style, width: state.columns - column)
            }
        }
    }

    /// "9 pieces · 1 unk · 1.50/word": a model's cut of a text in a few cells.
    static func countsLabel(_ counts: PieceCounts) -> String {
        let fertility = counts.piecesPerWord.map { String(format: "%.2f", $0) } ?? "–"
        return "\(pad(String(counts.pieces), 3)) pieces · \(counts.unknowns) unk · \(fertility)/word"
    }

    private static func tabs(_ screen: inout Screen, _ state: ExplorerState, _ layout: Layout) {
        let listTitle = state.showWords ? " Words " : " Pieces "
        var column = screen.write(listTitle, row: layout.tabsRow, column: 0, style: Palette.accent)
        let titles = ExplorerPanes.all.map { " \(ExplorerPanes.digit(of: $0.pane)) \($0.title) " }
        // Over the pane when they fit there; on a narrow terminal they start after the list's title, so none is cut.
        let tabsWidth = titles.reduce(0) { $0 + $1.count + 1 }
        let start = layout.listWidth + tabsWidth <= state.columns ? layout.listWidth : column + 1
        column = screen.write(String(repeating: "─", count: max(0, start - column)), row: layout.tabsRow, column: column, style: Palette.dim)
        for (pane, title) in zip(ExplorerPanes.all, titles) {
            column = screen.write(title, row: layout.tabsRow, column: column + 1, style: pane.pane == state.pane ? Palette.selected : Palette.dim)
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
            : (" BROWSE  ", ["↑↓ select", "m pin", "+ line", "e export", "? help", "q quit"] + (state.models.count > 1 ? ["M model"] : [])
                + ["[ ] layer", "p pooling", "w words", "c centre", "Tab pane", "L language", "i type"])
        var text = mode
        for (index, hint) in hints.enumerated() {
            let next = text + (index == 0 ? "" : " · ") + hint
            if DisplayWidth.of(next) > state.columns { break }
            text = next
        }
        screen.write(text, row: row, column: 0, style: Style(foreground: .white, background: Color(236)))
    }

    // MARK: Token list

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
            let words = state.focused.words.words
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
            // The piece's word in the explorer's words (a full stop is in no linguistic word).
            let word = state.focused.words.pieceWords[index].map { String($0) } ?? "-"
            let span = encoding.sequenceIds[index] == nil ? "" : "\(encoding.offsets[index].start)-\(encoding.offsets[index].end)"
            let text = pad(String(index), 3) + " " + DisplayWidth.padded(encoding.tokens[index], to: 12) + " "
                + pad(String(encoding.ids[index]), 6) + " " + pad(word, 3) + " " + span
            screen.write(text, row: row, column: 0, style: style, width: width)
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
