import CNcursesw
import Foundation
import Synchronization

/// The terminal, through ncursesw: paints a `Screen` (only the cells that changed) and turns input into
/// `Key`s. The only file that talks to ncurses.
final class CursesTerminal {
    private var previous: Screen?
    private var pairs: [PairKey: Int32] = [:]
    let colorMode: ColorMode

    private struct PairKey: Hashable {
        var foreground: Int16
        var background: Int16
    }

    init() {
        setlocale(LC_ALL, "")
        // ncursesw draws Unicode only under a UTF-8 character type; DisplayWidth switches to one if needed.
        _ = DisplayWidth.of("x")
        initscr()
        raw()
        noecho()
        nonl()
        keypad(bertscope_stdscr(), true)
        set_escdelay(25)
        timeout(30)
        if ProcessInfo.processInfo.environment["NO_COLOR"].map({ !$0.isEmpty }) ?? false || !has_colors() {
            colorMode = .none
        } else {
            start_color()
            use_default_colors()
            colorMode = bertscope_colors() >= 256 ? .full : .basic
        }
        bertscope_enable_mouse()
        // Bracketed paste: a paste arrives as one event instead of thousands of keys.
        writeToTerminal("\u{1b}[?2004h")
    }

    var size: (rows: Int, columns: Int) { (Int(bertscope_lines()), Int(bertscope_columns())) }

    /// A control sequence curses does not send itself. write(2), not FileHandle: a terminal that has gone
    /// away must not stop the program with a fatal error while it restores the screen.
    private func writeToTerminal(_ sequence: String) {
        var sequence = sequence
        _ = sequence.withUTF8 { write(STDOUT_FILENO, $0.baseAddress, $0.count) }
    }

    /// Puts the terminal back as it was. Safe to call more than once.
    func restore() {
        writeToTerminal("\u{1b}[?2004l")
        mousemask(0, nil)
        endwin()
    }

    // MARK: Output

    func draw(_ screen: Screen) {
        let full = previous == nil || previous!.rows != screen.rows || previous!.columns != screen.columns
        if full { clear() }
        for row in 0..<screen.rows {
            for column in 0..<screen.columns {
                let cell = screen[row, column]
                if cell.isContinuation { continue }
                if !full, let previous, previous[row, column] == cell { continue }
                put(cell, row: row, column: column)
            }
        }
        if let cursor = screen.cursor {
            curs_set(1)
            move(Int32(cursor.row), Int32(cursor.column))
        } else {
            curs_set(0)
        }
        refresh()
        previous = screen
    }

    private func put(_ cell: Cell, row: Int, column: Int) {
        let style = cell.style
        let attributes = bertscope_attribute(style.bold ? 1 : 0, style.reverse ? 1 : 0, style.underline ? 1 : 0, style.dim ? 1 : 0)
        var characters = cell.text.unicodeScalars.prefix(5).map { wchar_t(bitPattern: $0.value) }
        if characters.isEmpty { characters = [wchar_t(32)] }
        characters.append(0)
        _ = bertscope_put_cell(Int32(row), Int32(column), characters, attributes, pair(for: style))
    }

    /// A colour pair for the style's colours, created on first use (pair 0 is the terminal's default).
    private func pair(for style: Style) -> Int32 {
        guard colorMode != .none, style.foreground != nil || style.background != nil else { return 0 }
        func index(_ color: Color?) -> Int16 {
            guard let color else { return -1 }
            return Int16(colorMode == .full ? color.index : color.basic.index)
        }
        let key = PairKey(foreground: index(style.foreground), background: index(style.background))
        if let known = pairs[key] { return known }
        let next = Int32(pairs.count + 1)
        guard next < bertscope_color_pairs(), next < 32767 else { return 0 }
        init_pair(Int16(next), key.foreground, key.background)
        pairs[key] = next
        return next
    }

    // MARK: Input

    /// Keys already decoded but not yet handed out: an Escape read together with the key after it.
    private var pending: [Key] = []

    /// The next key, or nil when none arrived within the input timeout.
    func readKey() -> Key? {
        if !pending.isEmpty { return pending.removeFirst() }
        var value: wint_t = 0
        let status = bertscope_read_key(&value)
        if status == ERR { return nil }
        if status == bertscope_key_code_yes() { return functionKey(Int32(value)) }
        return characterKey(UInt32(value))
    }

    /// A key that is already waiting, without waiting for one.
    func readKeyWithoutWaiting() -> Key? {
        if !pending.isEmpty { return pending.removeFirst() }
        timeout(0)
        defer { timeout(30) }
        return readKey()
    }

    private func functionKey(_ code: Int32) -> Key? {
        switch code {
        case KEY_UP: return .up
        case KEY_DOWN: return .down
        case KEY_LEFT: return .left
        case KEY_RIGHT: return .right
        case KEY_HOME: return .home
        case KEY_END: return .end
        case KEY_PPAGE: return .pageUp
        case KEY_NPAGE: return .pageDown
        case KEY_BACKSPACE: return .backspace
        case KEY_DC: return .delete
        case KEY_ENTER: return .enter
        case KEY_BTAB: return .backTab
        case KEY_RESIZE: return .resize(rows: size.rows, columns: size.columns)
        case KEY_MOUSE:
            var row: Int32 = 0, column: Int32 = 0
            return bertscope_mouse_click(&row, &column) != 0 ? .mouse(row: Int(row), column: Int(column)) : nil
        default:
            for number in 1...12 where code == bertscope_key_f(Int32(number)) { return .function(number) }
            return nil
        }
    }

    private func characterKey(_ value: UInt32) -> Key? {
        switch value {
        case 0x1B: return escapeSequence()
        case 0x7F, 0x08: return .backspace
        case 0x09: return .tab
        case 0x0D, 0x0A: return .enter
        case 0x01...0x1A: return .control(Character(Unicode.Scalar(value + 0x60)!))
        default:
            guard let scalar = Unicode.Scalar(value), value >= 0x20 else { return nil }
            return .character(Character(scalar))
        }
    }

    /// After ESC: a key's escape sequence (every common Home/End encoding, EscapeSequence), a bracketed
    /// paste, Alt+character, or ESC alone. ESC followed at once by something that is not a printable character
    /// (Enter, another ESC) is ESC and that key; ESC [ or ESC O with nothing after them is ESC and the character.
    private func escapeSequence() -> Key? {
        timeout(0)
        defer { timeout(30) }
        var value: wint_t = 0
        let status = bertscope_read_key(&value)
        if status == ERR { return .escape }
        if status == bertscope_key_code_yes() { return functionKey(Int32(value)) }
        guard let scalar = Unicode.Scalar(UInt32(value)) else { return .escape }
        guard scalar == "[" || scalar == "O" else {
            if scalar.value >= 0x20 && scalar.value != 0x7F { return .alt(Character(scalar)) }
            if let next = characterKey(UInt32(value)) { pending.append(next) }
            return .escape
        }
        var body = ""
        while body.unicodeScalars.count < 16, bertscope_read_key(&value) != ERR, let next = Unicode.Scalar(UInt32(value)) {
            body.unicodeScalars.append(next)
            if EscapeSequence.isFinal(next) { break }
        }
        if body.isEmpty {
            pending.append(.character(Character(scalar)))
            return .escape
        }
        if scalar == "[" && body == "200~" { return readPaste() }
        return EscapeSequence.key(introducer: Character(scalar), body: body)
    }

    /// Reads pasted text up to the closing ESC [ 2 0 1 ~.
    private func readPaste() -> Key {
        timeout(200)
        var text = String.UnicodeScalarView()
        let end = Array("\u{1b}[201~".unicodeScalars)
        var value: wint_t = 0
        while bertscope_read_key(&value) != ERR, let scalar = Unicode.Scalar(UInt32(value)) {
            text.append(scalar)
            if text.count >= end.count && Array(text.suffix(end.count)) == end {
                text.removeLast(end.count)
                break
            }
            if text.count > 1_000_000 { break }  // a runaway paste: keep what arrived
        }
        return .paste(String(text))
    }
}

/// Set by signal handlers; the event loop checks it and exits cleanly.
let terminationRequested = Atomic<Bool>(false)

/// Restores the terminal from a signal handler before the process dies of a fatal signal.
func installSignalHandlers() {
    signal(SIGTERM) { _ in terminationRequested.store(true, ordering: .relaxed) }
    signal(SIGHUP) { _ in terminationRequested.store(true, ordering: .relaxed) }
    signal(SIGINT) { _ in terminationRequested.store(true, ordering: .relaxed) }
    for fatal in [SIGSEGV, SIGBUS, SIGILL, SIGTRAP, SIGABRT, SIGFPE] {
        signal(fatal) { number in
            endwin()
            let reset = "\u{1b}[?2004l\u{1b}[?1000l\u{1b}[?25h\u{1b}[0m\n"
            _ = reset.withCString { write(2, $0, strlen($0)) }
            signal(number, SIG_DFL)
            raise(number)
        }
    }
}
