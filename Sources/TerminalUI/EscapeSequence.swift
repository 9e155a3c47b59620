/// The keys a terminal sends as escape sequences, decoded without ncurses: curses knows only the sequences
/// of the terminal TERM names, and tmux, screen, xterm and rxvt each send Home and End their own way.
enum EscapeSequence {
    /// The key for `ESC introducer body` (introducer `[` for CSI, `O` for SS3; body: parameters and the final
    /// character, "1~" or "H"), or nil for a sequence bertscope has no use for.
    static func key(introducer: Character, body: String) -> Key? {
        guard let final = body.last else { return nil }
        // Modifiers (ESC [ 1 ; 5 H is Ctrl-Home) are ignored: the key is what matters here.
        let parameter = body.dropLast().split(separator: ";").first.flatMap { Int($0) }
        // Arrows, Home and End end both kinds of sequence alike (xterm sends ESC [ H or ESC O H by mode).
        let shared: [Character: Key] = ["A": .up, "B": .down, "C": .right, "D": .left, "H": .home, "F": .end]
        if let key = shared[final] { return key }
        if introducer == "O" {
            guard let scalar = final.unicodeScalars.first, ("P"..."S").contains(final) else { return nil }
            return .function(Int(scalar.value - Unicode.Scalar("P").value) + 1)  // F1-F4
        }
        switch final {
        case "Z": return .backTab
        case "~":
            switch parameter {
            case 1, 7: return .home  // xterm/tmux/screen (1), rxvt (7)
            case 4, 8: return .end
            case 3: return .delete
            case 5: return .pageUp
            case 6: return .pageDown
            case let number? where (11...15).contains(number): return .function(number - 10)
            case let number? where (17...21).contains(number): return .function(number - 11)
            case let number? where (23...24).contains(number): return .function(number - 12)
            default: return nil
            }
        default: return nil
        }
    }

    /// A sequence's body ends with its final character (`@` to `~`); parameters and intermediates come before.
    static func isFinal(_ scalar: Unicode.Scalar) -> Bool { (0x40...0x7E).contains(scalar.value) }
}
