/// A key press or terminal event, independent of the terminal library.
public enum Key: Sendable, Hashable {
    /// A printable character.
    case character(Character)
    /// Ctrl plus a letter: `.control("a")` is Ctrl-A.
    case control(Character)
    /// Alt (Meta) plus a character.
    case alt(Character)
    case up, down, left, right, home, end, pageUp, pageDown
    case tab, backTab, enter, backspace, delete, escape
    case function(Int)
    /// A mouse click at a screen cell.
    case mouse(row: Int, column: Int)
    /// Text the terminal delivered as one bracketed paste.
    case paste(String)
    case resize(rows: Int, columns: Int)
}
