import Testing

@testable import TerminalUI

@Suite("Screen model")
struct ScreenTests {
    @Test("CJK and emoji take two cells, combining marks none, and columns stay aligned")
    func widths() {
        var screen = Screen(rows: 1, columns: 20)
        let end = screen.write("a漢e\u{301}😀b", row: 0, column: 0)
        #expect(end == 7)  // a(1) 漢(2) é(1) 😀(2) b(1)
        #expect(screen[0, 1].text == "漢" && screen[0, 2].isContinuation)
        #expect(screen[0, 3].text == "e\u{301}")
        #expect(screen[0, 6].text == "b")
        #expect(screen.text(row: 0).hasPrefix("a漢e\u{301}😀b"))
    }

    @Test("a wide character never straddles the clip edge, and cut text ends in …; control characters become visible symbols")
    func clipping() {
        var screen = Screen(rows: 1, columns: 4)
        screen.write("ab漢", row: 0, column: 1)
        #expect(screen.text(row: 0) == " ab…")
        screen.write("漢字x", row: 0, column: 0, width: 3)
        #expect(screen.text(row: 0) == "漢……")
        screen.write("abcdef", row: 0, column: 0)
        #expect(screen.text(row: 0) == "abc…")
        screen.write("abcd", row: 0, column: 0)
        #expect(screen.text(row: 0) == "abcd", "text that fits is not marked")
        screen.write("\u{7}x", row: 0, column: 0, width: 2)
        #expect(screen[0, 0].text == "\u{2407}")
    }

    @Test("a label cut to fit ends with an ellipsis and keeps its width; one that fits is only padded")
    func paddedLabels() {
        #expect(DisplayWidth.padded("##sgesellschaft", to: 12) == "##sgesellsc…")
        #expect(DisplayWidth.padded("東京タワー", to: 6) == "東京… ")
        #expect(DisplayWidth.padded("dog", to: 5) == "dog  ")
        #expect(DisplayWidth.padded("dog", to: 3) == "dog")
        #expect(DisplayWidth.padded("dog", to: 0) == "")
        #expect(DisplayWidth.padded("Donaudampfschifffahrt", to: 8, keepingEnd: true) == "…fffahrt")
    }

    @Test("writing outside the grid is ignored")
    func outside() {
        var screen = Screen(rows: 2, columns: 3)
        screen.write("abc", row: 5, column: 0)
        screen.write("abc", row: 0, column: 10)
        #expect(screen.text == "\n")
    }
}

@Suite("Line editor")
struct LineEditorTests {
    @Test("left and right move by grapheme: accents, flags, ZWJ families and skin tones are one step")
    func graphemes() {
        var editor = LineEditor(text: "e\u{301}🇩🇪👨‍👩‍👧👍🏽")
        #expect(editor.cursor == 4)
        editor.moveLeft()
        editor.deleteBackward()  // the family
        #expect(editor.text == "e\u{301}🇩🇪👍🏽")
        editor.moveHome()
        editor.moveRight()
        editor.insert("x")
        #expect(editor.text == "e\u{301}x🇩🇪👍🏽")
    }

    @Test("a combining mark typed after a letter joins it")
    func combining() {
        var editor = LineEditor(text: "Cafe")
        editor.insert("\u{301}")
        #expect(editor.characters.count == 4)
        #expect(editor.text == "Cafe\u{301}")
    }

    @Test("Alt-B/F move by word, Ctrl-W deletes one, Ctrl-K and Ctrl-U kill to the ends")
    func words() {
        var editor = LineEditor(text: "Der Hund bellt laut")
        editor.moveWordLeft()
        #expect(editor.cursor == 15)
        editor.deleteWordBackward()
        #expect(editor.text == "Der Hund laut")
        editor.moveHome()
        editor.moveWordRight()
        #expect(editor.cursor == 3)
        editor.killToEnd()
        #expect(editor.text == "Der")
        editor.insert(" Tag")
        editor.moveLeft()
        editor.killToStart()
        #expect(editor.text == "g")
    }

    @Test("history: up recalls older lines, down returns to the draft")
    func history() {
        var editor = LineEditor(text: "first")
        editor.commitToHistory()
        editor.setText("second")
        editor.commitToHistory()
        editor.setText("draft")
        editor.historyPrevious()
        #expect(editor.text == "second")
        editor.historyPrevious()
        #expect(editor.text == "first")
        editor.historyPrevious()
        #expect(editor.text == "first")
        editor.historyNext()
        editor.historyNext()
        #expect(editor.text == "draft")
    }

    @Test("the visible window scrolls so the cursor stays on screen, measured in cells")
    func scrolling() {
        var editor = LineEditor(text: String(repeating: "漢", count: 30))
        let visible = editor.visible(width: 10)
        #expect(DisplayWidth.of(visible.text) <= 10)
        #expect(visible.cursorColumn <= 9)
        editor.moveHome()
        let start = editor.visible(width: 10)
        #expect(start.cursorColumn == 0)
        #expect(start.text.hasPrefix("漢"))
    }
}
