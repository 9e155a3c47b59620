/// How label text is written into CSV and TSV cells so that it reads back unchanged.
public enum TextCells {
    /// An RFC 4180 field: quoted (with inner quotes doubled) when it holds a comma, a quote, CR or LF.
    public static func csvField(_ text: String) -> String {
        let needsQuotes = text.utf8.contains { $0 == UInt8(ascii: ",") || $0 == UInt8(ascii: "\"") || $0 == 0x0A || $0 == 0x0D }
        guard needsQuotes else { return text }
        return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    /// An RFC 4180 record: fields joined by commas, ended by CRLF.
    public static func csvRecord(_ fields: [String]) -> String {
        fields.map(csvField).joined(separator: ",") + "\r\n"
    }

    /// A TensorBoard Projector TSV cell. The Projector splits lines on "\n" and cells on "\t" and has no
    /// quoting, so tab, LF and CR are written as the two-character escapes \t, \n, \r and a backslash as
    /// \\ (a reader that wants the text back replaces the four escapes).
    public static func tsvCell(_ text: String) -> String {
        guard text.utf8.contains(where: { $0 == 0x5C || $0 == 0x09 || $0 == 0x0A || $0 == 0x0D }) else { return text }
        var result = ""
        result.reserveCapacity(text.utf8.count + 8)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\\": result += "\\\\"
            case "\t": result += "\\t"
            case "\n": result += "\\n"
            case "\r": result += "\\r"
            default: result.unicodeScalars.append(scalar)
            }
        }
        return result
    }

    /// A float written so it reads back to the same float32 ("0.31631312", "-1.5e-05").
    static func number(_ value: Float) -> String { "\(value)" }
}
