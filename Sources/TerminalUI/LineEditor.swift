/// A single-line text editor for any Unicode text: the cursor moves by grapheme cluster (so an emoji
/// with skin tone, a flag or a letter with combining accents is one step), words for Alt-B/F and
/// Ctrl-W are runs of letters and digits, and history is browsed with Up/Down.
public struct LineEditor: Sendable, Equatable {
    /// The text as grapheme clusters.
    public private(set) var characters: [Character] = []
    /// Cursor position, 0...characters.count.
    public private(set) var cursor = 0
    public private(set) var history: [String] = []
    /// Index into history while browsing it; nil when editing a fresh line.
    private var historyIndex: Int?
    /// The line being edited before history browsing began.
    private var draft: [Character] = []
    /// First visible grapheme, kept so the cursor stays on screen.
    public private(set) var scrollOffset = 0

    public init(text: String = "") {
        characters = Array(text)
        cursor = characters.count
    }

    public var text: String { String(characters) }

    public mutating func setText(_ text: String) {
        characters = Array(text)
        cursor = characters.count
        historyIndex = nil
    }

    // MARK: Editing

    public mutating func insert(_ text: String) {
        // Re-split only around the cursor: a combining mark typed after a letter joins its grapheme, and
        // grapheme clusters never reach further than the neighbouring characters. Re-splitting the whole
        // line would make every key cost as much as the line is long.
        let before = cursor > 0 ? String(characters[cursor - 1]) : ""
        let after = cursor < characters.count ? String(characters[cursor]) : ""
        let joined = Array(before + text + after)
        let prefixCount = Array(before + text).count
        let replaced = (cursor > 0 ? cursor - 1 : cursor)..<(cursor < characters.count ? cursor + 1 : cursor)
        characters.replaceSubrange(replaced, with: joined)
        cursor = min(replaced.lowerBound + prefixCount, characters.count)
        historyIndex = nil
    }

    public mutating func deleteBackward() {
        guard cursor > 0 else { return }
        characters.remove(at: cursor - 1)
        cursor -= 1
    }

    public mutating func deleteForward() {
        guard cursor < characters.count else { return }
        characters.remove(at: cursor)
    }

    /// Ctrl-K: delete from the cursor to the end.
    public mutating func killToEnd() { characters.removeSubrange(cursor...) }

    /// Ctrl-U: delete from the start to the cursor.
    public mutating func killToStart() {
        characters.removeSubrange(..<cursor)
        cursor = 0
    }

    /// Ctrl-W: delete the word before the cursor (and the spaces after it).
    public mutating func deleteWordBackward() {
        let start = wordStart(before: cursor)
        characters.removeSubrange(start..<cursor)
        cursor = start
    }

    // MARK: Moving

    public mutating func moveLeft() { cursor = max(0, cursor - 1) }
    public mutating func moveRight() { cursor = min(characters.count, cursor + 1) }
    public mutating func moveHome() { cursor = 0 }
    public mutating func moveEnd() { cursor = characters.count }
    public mutating func moveWordLeft() { cursor = wordStart(before: cursor) }

    public mutating func moveWordRight() {
        var position = cursor
        while position < characters.count && !isWordCharacter(characters[position]) { position += 1 }
        while position < characters.count && isWordCharacter(characters[position]) { position += 1 }
        cursor = position
    }

    private func wordStart(before position: Int) -> Int {
        var start = position
        while start > 0 && !isWordCharacter(characters[start - 1]) { start -= 1 }
        while start > 0 && isWordCharacter(characters[start - 1]) { start -= 1 }
        return start
    }

    private func isWordCharacter(_ character: Character) -> Bool {
        character.isLetter || character.isNumber || character.unicodeScalars.first?.properties.isAlphabetic == true
    }

    // MARK: History

    /// Records the current line (if new and not empty) at the end of the history.
    public mutating func commitToHistory() {
        let line = text
        historyIndex = nil
        guard !line.isEmpty, history.last != line else { return }
        history.append(line)
        if history.count > 500 { history.removeFirst() }
    }

    public mutating func historyPrevious() {
        guard !history.isEmpty else { return }
        if historyIndex == nil {
            draft = characters
            historyIndex = history.count
        }
        guard let index = historyIndex, index > 0 else { return }
        historyIndex = index - 1
        characters = Array(history[index - 1])
        cursor = characters.count
    }

    public mutating func historyNext() {
        guard let index = historyIndex else { return }
        if index + 1 < history.count {
            historyIndex = index + 1
            characters = Array(history[index + 1])
        } else {
            historyIndex = nil
            characters = draft
        }
        cursor = characters.count
    }

    // MARK: Display

    /// The visible part of the line for a field `width` cells wide, and the cursor's column in it.
    /// Scrolls horizontally so the cursor is always visible, measuring in display cells.
    public mutating func visible(width: Int) -> (text: String, cursorColumn: Int) {
        guard width > 1 else { return ("", 0) }
        func cells(_ index: Int) -> Int { DisplayWidth.of(String(characters[index])) }
        if cursor < scrollOffset { scrollOffset = cursor }
        // Keep the cursor inside the field: if the text from the start to the cursor is too wide, start
        // just far enough left of the cursor. Only the visible neighbourhood is measured.
        var used = 0
        var start = cursor
        while start > scrollOffset {
            let next = cells(start - 1)
            if used + next > width - 1 { break }
            used += next
            start -= 1
        }
        if start > scrollOffset { scrollOffset = start }
        var column = 0
        for index in scrollOffset..<cursor { column += cells(index) }
        var end = scrollOffset
        var total = 0
        while end < characters.count {
            let next = cells(end)
            if total + next > width { break }
            total += next
            end += 1
        }
        return (String(characters[scrollOffset..<end]), column)
    }
}
