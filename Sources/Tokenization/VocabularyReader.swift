import Foundation

/// Reads the two shapes a tokenizer.json vocabulary has, straight from its bytes: WordPiece's object of
/// `"token": id` and Unigram's array of `["piece", score]`. A general JSON parser makes an object per
/// entry; this makes only the strings and numbers.
struct VocabularyReader {
    private let bytes: ArraySlice<UInt8>
    private var index: Int
    private let file: String

    init(_ bytes: ArraySlice<UInt8>, file: String) {
        self.bytes = bytes
        index = bytes.startIndex
        self.file = file
    }

    /// `{"token": id, ...}` as (token, id) pairs in file order.
    mutating func tokenIds() throws -> [(String, Int)] {
        var entries = [(String, Int)]()
        try expect(UInt8(ascii: "{"))
        if try peek() == UInt8(ascii: "}") { index += 1; return entries }
        repeat {
            let token = try string()
            try expect(UInt8(ascii: ":"))
            let id = try number()
            guard let whole = Int(exactly: id) else { throw invalid("the id of \(token.debugDescription) is not an integer") }
            entries.append((token, whole))
        } while try separator(closing: UInt8(ascii: "}"))
        return entries
    }

    /// `[["piece", score], ...]` as pieces and scores.
    mutating func scoredPieces() throws -> (pieces: [String], scores: [Float]) {
        var pieces = [String]()
        var scores = [Float]()
        try expect(UInt8(ascii: "["))
        if try peek() == UInt8(ascii: "]") { index += 1; return (pieces, scores) }
        repeat {
            try expect(UInt8(ascii: "["))
            pieces.append(try string())
            try expect(UInt8(ascii: ","))
            scores.append(Float(try number()))
            try expect(UInt8(ascii: "]"))
        } while try separator(closing: UInt8(ascii: "]"))
        return (pieces, scores)
    }

    private func invalid(_ reason: String) -> TokenizerError {
        TokenizerError.invalidConfiguration(file, reason: "its model's vocab: \(reason)")
    }

    private mutating func peek() throws -> UInt8 {
        while index < bytes.endIndex, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[index]) { index += 1 }
        guard index < bytes.endIndex else { throw invalid("it ends early") }
        return bytes[index]
    }

    private mutating func expect(_ byte: UInt8) throws {
        guard try peek() == byte else { throw invalid("expected '\(Character(Unicode.Scalar(byte)))' at byte \(index - bytes.startIndex)") }
        index += 1
    }

    /// True after a comma, false after the closing bracket.
    private mutating func separator(closing: UInt8) throws -> Bool {
        let byte = try peek()
        index += 1
        if byte == UInt8(ascii: ",") { return true }
        if byte == closing { return false }
        throw invalid("expected ',' or '\(Character(Unicode.Scalar(closing)))' at byte \(index - 1 - bytes.startIndex)")
    }

    private mutating func number() throws -> Double {
        _ = try peek()
        let start = index
        while index < bytes.endIndex, "+-0123456789.eE".utf8.contains(bytes[index]) { index += 1 }
        guard let value = Double(String(decoding: bytes[start..<index], as: UTF8.self)) else {
            throw invalid("a number is expected at byte \(start - bytes.startIndex)")
        }
        return value
    }

    private mutating func string() throws -> String {
        try expect(UInt8(ascii: "\""))
        let start = index
        // The common case: no escapes, the bytes are the string.
        while index < bytes.endIndex, bytes[index] != UInt8(ascii: "\""), bytes[index] != UInt8(ascii: "\\") { index += 1 }
        guard index < bytes.endIndex else { throw invalid("a string does not end") }
        if bytes[index] == UInt8(ascii: "\"") {
            index += 1
            guard let text = String(validating: bytes[start..<(index - 1)], as: UTF8.self) else { throw invalid("a token is not UTF-8") }
            return text
        }
        var utf8 = Array(bytes[start..<index])
        while index < bytes.endIndex {
            let byte = bytes[index]
            index += 1
            if byte == UInt8(ascii: "\"") {
                guard let text = String(validating: utf8, as: UTF8.self) else { throw invalid("a token is not UTF-8") }
                return text
            }
            guard byte == UInt8(ascii: "\\") else { utf8.append(byte); continue }
            guard index < bytes.endIndex else { break }
            let escape = bytes[index]
            index += 1
            switch escape {
            case UInt8(ascii: "n"): utf8.append(0x0A)
            case UInt8(ascii: "t"): utf8.append(0x09)
            case UInt8(ascii: "r"): utf8.append(0x0D)
            case UInt8(ascii: "b"): utf8.append(0x08)
            case UInt8(ascii: "f"): utf8.append(0x0C)
            case UInt8(ascii: "u"):
                var value = try hex4()
                if (0xD800..<0xDC00).contains(value), index + 1 < bytes.endIndex,
                   bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u") {
                    index += 2
                    let low = try hex4()
                    guard (0xDC00..<0xE000).contains(low) else { throw invalid("a \\u escape pairs a high surrogate with no low one") }
                    value = 0x10000 + ((value - 0xD800) << 10) + (low - 0xDC00)
                }
                guard Unicode.Scalar(value) != nil else { throw invalid("a \\u escape is a lone surrogate") }
                appendUTF8(value, to: &utf8)
            default: utf8.append(escape)  // \" \\ \/
            }
        }
        throw invalid("a string does not end")
    }

    private mutating func hex4() throws -> UInt32 {
        guard index + 4 <= bytes.endIndex, let value = UInt32(String(decoding: bytes[index..<(index + 4)], as: UTF8.self), radix: 16) else {
            throw invalid("a \\u escape is not four hex digits")
        }
        index += 4
        return value
    }
}
