import Export

/// A JSON value read from one line of a JSON Lines input. Strings hold exactly the scalars the line
/// spells, raw or escaped; a number keeps its literal, so an id is copied digit for digit; an object keeps
/// its members in order (duplicates included).
enum JSONValue {
    case null
    case bool(Bool)
    case number(String)
    case string(String)
    case array([JSONValue])
    case object([(key: String, value: JSONValue)])
}

/// Why a line is not a JSON value, as the end of "the line …".
struct JSONLineSyntaxError: Error {
    var reason: String
}

/// A strict JSON (RFC 8259) parser for one line of UTF-8. bertscope has its own because Foundation's
/// JSONSerialization makes each run of a string between escapes with `String(bytes:encoding: .utf8)`,
/// which takes a U+FEFF at the start of the run for an encoding signature and drops it: a byte-order mark
/// written raw first in a string, or right after an escape, vanished from the text. Here every scalar of
/// a string reaches the caller unchanged, and a bad line is told where and why it is bad.
struct JSONLineParser {
    private let bytes: [UInt8]
    private var position = 0
    private var depth = 0

    /// Deeper nesting is refused: a hostile line of brackets must not exhaust the stack.
    static let maximumDepth = 512

    /// The value of a line that must be valid UTF-8 (raw runs of strings are copied as they are).
    static func parse(_ bytes: [UInt8]) throws(JSONLineSyntaxError) -> JSONValue {
        var parser = JSONLineParser(bytes: bytes)
        parser.skipWhitespace()
        let value = try parser.value()
        parser.skipWhitespace()
        guard parser.position == bytes.count else { throw parser.unexpected("the end of the line after the value") }
        return value
    }

    private init(bytes: [UInt8]) { self.bytes = bytes }

    private func peek() -> UInt8? { position < bytes.count ? bytes[position] : nil }

    private mutating func skipWhitespace() {
        while let byte = peek(), byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D { position += 1 }
    }

    private mutating func value() throws(JSONLineSyntaxError) -> JSONValue {
        guard let byte = peek() else { throw unexpected("a value") }
        switch byte {
        case UInt8(ascii: "{"): return try object()
        case UInt8(ascii: "["): return try array()
        case UInt8(ascii: "\""): return .string(try string())
        case UInt8(ascii: "t"): try literal("true"); return .bool(true)
        case UInt8(ascii: "f"): try literal("false"); return .bool(false)
        case UInt8(ascii: "n"): try literal("null"); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number(try number())
        default: throw unexpected("a value")
        }
    }

    private mutating func object() throws(JSONLineSyntaxError) -> JSONValue {
        try enterContainer()
        defer { depth -= 1 }
        var members = [(key: String, value: JSONValue)]()
        skipWhitespace()
        if peek() == UInt8(ascii: "}") {
            position += 1
            return .object(members)
        }
        while true {
            guard peek() == UInt8(ascii: "\"") else { throw unexpected("a key in double quotes") }
            let key = try string()
            skipWhitespace()
            guard peek() == UInt8(ascii: ":") else { throw unexpected("':' after the key") }
            position += 1
            skipWhitespace()
            members.append((key, try value()))
            skipWhitespace()
            switch peek() {
            case UInt8(ascii: ","): position += 1; skipWhitespace()
            case UInt8(ascii: "}"): position += 1; return .object(members)
            default: throw unexpected("',' or '}'")
            }
        }
    }

    private mutating func array() throws(JSONLineSyntaxError) -> JSONValue {
        try enterContainer()
        defer { depth -= 1 }
        var items = [JSONValue]()
        skipWhitespace()
        if peek() == UInt8(ascii: "]") {
            position += 1
            return .array(items)
        }
        while true {
            items.append(try value())
            skipWhitespace()
            switch peek() {
            case UInt8(ascii: ","): position += 1; skipWhitespace()
            case UInt8(ascii: "]"): position += 1; return .array(items)
            default: throw unexpected("',' or ']'")
            }
        }
    }

    /// Steps over the opening bracket or brace.
    private mutating func enterContainer() throws(JSONLineSyntaxError) {
        guard depth < Self.maximumDepth else {
            throw syntaxError("nests arrays and objects deeper than \(Self.maximumDepth) levels", at: position)
        }
        depth += 1
        position += 1
    }

    /// A string from its opening quote. Runs without escapes are copied byte for byte; escapes are
    /// decoded, an escaped surrogate pair into the one scalar it encodes.
    private mutating func string() throws(JSONLineSyntaxError) -> String {
        position += 1
        var result = ""
        var runStart = position
        while let byte = peek() {
            switch byte {
            case UInt8(ascii: "\""):
                result += String(decoding: bytes[runStart..<position], as: UTF8.self)
                position += 1
                return result
            case UInt8(ascii: "\\"):
                result += String(decoding: bytes[runStart..<position], as: UTF8.self)
                result.unicodeScalars.append(try escape())
                runStart = position
            case 0x00..<0x20:
                throw syntaxError("a raw control character \(Self.scalarName(UInt32(byte))) inside a string, which JSON allows only escaped (\\u\(Self.hex(UInt32(byte))))", at: position)
            default:
                position += 1
            }
        }
        throw unexpected("the closing '\"' of the string")
    }

    /// One escape from its backslash.
    private mutating func escape() throws(JSONLineSyntaxError) -> Unicode.Scalar {
        let start = position
        position += 1
        guard let letter = peek() else { throw unexpected("an escape after '\\'") }
        position += 1
        switch letter {
        case UInt8(ascii: "\""): return "\""
        case UInt8(ascii: "\\"): return "\\"
        case UInt8(ascii: "/"): return "/"
        case UInt8(ascii: "b"): return "\u{08}"
        case UInt8(ascii: "f"): return "\u{0C}"
        case UInt8(ascii: "n"): return "\n"
        case UInt8(ascii: "r"): return "\r"
        case UInt8(ascii: "t"): return "\t"
        case UInt8(ascii: "u"): break
        default:
            position -= 1
            throw unexpected("an escape: \\\" \\\\ \\/ \\b \\f \\n \\r \\t or \\uXXXX")
        }
        let unit = try hexUnit()
        switch unit {
        case 0xD800...0xDBFF:
            // A high surrogate stands for a character only with an escaped low surrogate right after it.
            let afterHigh = position
            if bytes[position...].starts(with: [UInt8(ascii: "\\"), UInt8(ascii: "u")]) {
                position += 2
                let low = try hexUnit()
                if (0xDC00...0xDFFF).contains(low) {
                    return Unicode.Scalar(0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00))!
                }
            }
            position = afterHigh
            throw loneSurrogate(unit, at: start)
        case 0xDC00...0xDFFF:
            throw loneSurrogate(unit, at: start)
        default:
            return Unicode.Scalar(unit)!
        }
    }

    /// The four hex digits of a \u escape.
    private mutating func hexUnit() throws(JSONLineSyntaxError) -> UInt32 {
        var unit: UInt32 = 0
        for _ in 0..<4 {
            guard let byte = peek(), let digit = Self.hexDigit(byte) else { throw unexpected("four hex digits after \\u") }
            unit = unit << 4 | digit
            position += 1
        }
        return unit
    }

    private static func hexDigit(_ byte: UInt8) -> UInt32? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): UInt32(byte - UInt8(ascii: "0"))
        case UInt8(ascii: "a")...UInt8(ascii: "f"): UInt32(byte - UInt8(ascii: "a") + 10)
        case UInt8(ascii: "A")...UInt8(ascii: "F"): UInt32(byte - UInt8(ascii: "A") + 10)
        default: nil
        }
    }

    /// A number's literal, checked against JSON's grammar: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?
    private mutating func number() throws(JSONLineSyntaxError) -> String {
        let start = position
        func isDigit(_ byte: UInt8?) -> Bool { byte.map { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) } ?? false }
        func digits() throws(JSONLineSyntaxError) {
            guard isDigit(peek()) else { throw unexpected("a digit") }
            while isDigit(peek()) { position += 1 }
        }
        if peek() == UInt8(ascii: "-") { position += 1 }
        if peek() == UInt8(ascii: "0") { position += 1 } else { try digits() }
        if peek() == UInt8(ascii: ".") {
            position += 1
            try digits()
        }
        if peek() == UInt8(ascii: "e") || peek() == UInt8(ascii: "E") {
            position += 1
            if peek() == UInt8(ascii: "+") || peek() == UInt8(ascii: "-") { position += 1 }
            try digits()
        }
        return String(decoding: bytes[start..<position], as: UTF8.self)
    }

    private mutating func literal(_ word: String) throws(JSONLineSyntaxError) {
        guard bytes[position...].starts(with: word.utf8) else { throw unexpected("a value") }
        position += word.utf8.count
    }

    // MARK: Errors

    /// Valid JSON syntax, but not text: no Swift (or Rust) string can hold half a surrogate pair.
    private func loneSurrogate(_ unit: UInt32, at offset: Int) -> JSONLineSyntaxError {
        JSONLineSyntaxError(reason: "has the escape \\u\(Self.hex(unit)) at column \(column(at: offset)), half of a UTF-16 surrogate pair without its other half: it stands for no character, so the string is not text")
    }

    /// "is not valid JSON: expected …, found … at column N".
    private func unexpected(_ expected: String) -> JSONLineSyntaxError {
        var found = "the end of the line"
        if position < bytes.count {
            let scalar = String(decoding: bytes[position...].prefix(4), as: UTF8.self).unicodeScalars.first!
            found = (0x21..<0x7F).contains(scalar.value) ? "'\(scalar)'" : Self.scalarName(scalar.value)
            // Only the start of the file may hold a byte-order mark, as a signature (JSONLReader skips it).
            if scalar.value == 0xFEFF { found += " (a byte-order mark, which only the start of the file may hold)" }
        }
        return syntaxError("expected \(expected), found \(found)", at: position)
    }

    private func syntaxError(_ reason: String, at offset: Int) -> JSONLineSyntaxError {
        JSONLineSyntaxError(reason: "is not valid JSON: \(reason) at column \(column(at: offset))")
    }

    /// Columns count Unicode scalars from 1: every byte that does not continue a UTF-8 sequence starts one.
    private func column(at offset: Int) -> Int {
        bytes[..<min(offset, bytes.count)].count(where: { $0 & 0xC0 != 0x80 }) + 1
    }

    private static func hex(_ value: UInt32) -> String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: max(0, 4 - digits.count)) + digits
    }

    private static func scalarName(_ value: UInt32) -> String { "U+" + hex(value).uppercased() }
}

extension JSONWriter {
    /// Writes a value read from the input back as compact JSON (numbers as they were written).
    mutating func value(_ value: JSONValue) {
        switch value {
        case .null: null()
        case .bool(let flag): bool(flag)
        case .number(let literal): raw(literal)
        case .string(let text): string(text)
        case .array(let items):
            beginArray()
            for item in items { self.value(item) }
            endArray()
        case .object(let members):
            beginObject()
            for member in members {
                key(member.key)
                self.value(member.value)
            }
            endObject()
        }
    }
}
