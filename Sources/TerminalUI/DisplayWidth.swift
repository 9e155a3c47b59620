import CNcursesw
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// How many terminal cells text takes, decided in one place for the screen model, the tables the CLI
/// prints and ncurses alike: the C library's `wcwidth`, which is also what ncurses uses to place
/// characters. Agreeing with ncurses is what keeps columns aligned; a private width table would drift
/// whenever the two disagree (regional-indicator flags, soft hyphens, Devanagari vowel signs, ...).
public enum DisplayWidth {
    /// `wcwidth` answers only under a UTF-8 character type; switch to one if the locale is not.
    private static let characterTypeIsUTF8: Bool = {
        if let codeset = nl_langinfo(nl_item(CODESET)), String(cString: codeset) == "UTF-8" { return true }
        for name in ["C.UTF-8", "en_US.UTF-8", "UTF-8"] where setlocale(LC_CTYPE, name) != nil { return true }
        return false
    }()

    /// Cells one scalar occupies. A scalar the terminal cannot print (a control character, an unassigned
    /// code point) counts as one cell: the screen shows a replacement symbol for it.
    public static func of(_ scalar: Unicode.Scalar) -> Int {
        let width = rawWidth(scalar)
        return width < 0 ? 1 : width
    }

    /// `wcwidth`'s answer: -1 for what the terminal cannot print.
    static func rawWidth(_ scalar: Unicode.Scalar) -> Int {
        let value = scalar.value
        if value >= 0x20 && value < 0x7F { return 1 }
        guard characterTypeIsUTF8 else { return value < 0x20 || value == 0x7F ? -1 : 1 }
        return Int(wcwidth(wchar_t(bitPattern: value)))
    }

    /// Cells a string occupies.
    public static func of<S: StringProtocol>(_ text: S) -> Int {
        text.unicodeScalars.reduce(0) { $0 + of($1) }
    }

    /// `text` padded with spaces to `width` cells; if it is wider, cut scalar by scalar and marked with "…", so
    /// a cut label is never mistaken for a whole one (a long WordPiece, say). `keepingEnd` keeps the end
    /// instead of the start (for lists whose entries differ only at their ends).
    public static func padded(_ text: String, to width: Int, keepingEnd: Bool = false) -> String {
        guard width > 0 else { return "" }
        var result = text
        if of(text) > width {
            result = keepingEnd ? "…" + String(String.UnicodeScalarView(fitting(text.unicodeScalars.reversed(), width - 1).reversed()))
                                : String(String.UnicodeScalarView(fitting(text.unicodeScalars, width - 1))) + "…"
        }
        return result + String(repeating: " ", count: max(0, width - of(result)))
    }

    /// The longest run of `scalars`, taken in order, that fits in `width` cells.
    private static func fitting<S: Sequence>(_ scalars: S, _ width: Int) -> [Unicode.Scalar] where S.Element == Unicode.Scalar {
        var result = [Unicode.Scalar]()
        var used = 0
        for scalar in scalars {
            let cells = of(scalar)
            if used + cells > width { break }
            result.append(scalar)
            used += cells
        }
        return result
    }
}
