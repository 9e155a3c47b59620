import CICU

/// What ICU's word break rules say a word-like segment is.
public enum WordKind: String, Sendable, Hashable, Codable {
    case number
    /// Letters of alphabets and syllabaries that are not kana (Latin, Cyrillic, Thai, Hangul, ...).
    case letter
    case kana
    case ideograph
}

/// One linguistic word of a text.
public struct WordSegment: Sendable, Hashable {
    /// Span in Unicode scalars of the text: the offsets bertscope's encodings use.
    public var scalars: Range<Int>
    public var kind: WordKind

    public init(scalars: Range<Int>, kind: WordKind) {
        self.scalars = scalars
        self.kind = kind
    }
}

public struct WordSegmentationError: Error, CustomStringConvertible {
    public var description: String
}

/// The words of a text by ICU's word break iterator: UAX #29 rules, and dictionaries for the scripts written
/// without spaces (Chinese, Japanese, Thai, Lao, Khmer, Burmese). Only word-like segments are kept: spaces and
/// punctuation are not words.
public enum WordSegmenter {
    /// The installed ICU's version ("72.1"): its rules and dictionaries decide the boundaries.
    public static var icuVersion: String {
        var text = [CChar](repeating: 0, count: Int(BERTSCOPE_ICU_VERSION_LENGTH))
        bertscope_icu_version(&text)
        return String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    public static func words(of text: String) throws -> [WordSegment] {
        let units = Array(text.utf16)
        guard !units.isEmpty else { return [] }
        // ICU reports boundaries in UTF-16 units; scalarIndex[u] is the scalar that starts at unit u (and
        // scalarIndex[units.count] the end), so a span converts exactly even across surrogate pairs.
        var scalarIndex = [Int](repeating: 0, count: units.count + 1)
        var unit = 0
        for (index, scalar) in text.unicodeScalars.enumerated() {
            let width = UTF16.width(scalar)
            for offset in 0..<width { scalarIndex[unit + offset] = index }
            unit += width
        }
        scalarIndex[units.count] = text.unicodeScalars.count

        var error: UnsafePointer<CChar>?
        return try units.withUnsafeBufferPointer { buffer in
            guard let iterator = bertscope_word_breaks_open(buffer.baseAddress, Int32(buffer.count), &error) else {
                throw WordSegmentationError(description: "ICU's word break iterator failed: \(error.map { String(cString: $0) } ?? "unknown error")")
            }
            defer { bertscope_word_breaks_close(iterator) }
            var segments = [WordSegment]()
            var start = Int(bertscope_word_breaks_first(iterator))
            while true {
                let end = Int(bertscope_word_breaks_next(iterator))
                guard end >= 0 else { break }
                if let kind = kind(ruleStatus: bertscope_word_breaks_rule_status(iterator)) {
                    segments.append(WordSegment(scalars: scalarIndex[start]..<scalarIndex[end], kind: kind))
                }
                start = end
            }
            return segments
        }
    }

    /// The kind of a segment from its rule status, or nil for one that is not word-like (UBRK_WORD_NONE).
    static func kind(ruleStatus: Int32) -> WordKind? {
        switch ruleStatus {
        case 100..<200: return .number
        case 200..<300: return .letter
        case 300..<400: return .kana
        case 400..<500: return .ideograph
        default: return nil
        }
    }
}
