/// The character classes that drive BERT's basic tokenizer, one set per Unicode scalar.
public struct CharacterFlags: OptionSet, Sendable, Hashable {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    /// Deleted by text cleaning (NUL, U+FFFD, control and format characters, ...).
    public static let removedByCleaning = CharacterFlags(rawValue: 1)
    /// Turned into a plain space by text cleaning.
    public static let whitespace = CharacterFlags(rawValue: 2)
    /// Split off as a token of its own.
    public static let punctuation = CharacterFlags(rawValue: 4)
    /// A CJK ideograph: surrounded by spaces, so it becomes a token of its own.
    public static let cjk = CharacterFlags(rawValue: 8)
    /// Deleted by accent stripping (after canonical decomposition).
    public static let nonspacingMark = CharacterFlags(rawValue: 16)
    /// Separates words when the text is split on whitespace.
    public static let splitWhitespace = CharacterFlags(rawValue: 32)
}

/// Looks up `CharacterFlags` for any scalar: a flat table for the BMP, a rule or range search above it.
public struct CharacterClassifier: Sendable {
    private let basicPlane: [UInt8]
    private let supplementary: @Sendable (UInt32) -> CharacterFlags

    init(rule: @escaping @Sendable (Unicode.Scalar) -> CharacterFlags) {
        var table = [UInt8](repeating: 0, count: 0x10000)
        for value in 0..<0x10000 {
            if let scalar = Unicode.Scalar(UInt32(value)) { table[value] = rule(scalar).rawValue }
        }
        basicPlane = table
        supplementary = { value in Unicode.Scalar(value).map(rule) ?? [] }
    }

    init(ranges: [(UInt32, UInt32, UInt8)]) {
        var table = [UInt8](repeating: 0, count: 0x10000)
        for (first, last, flags) in ranges where first < 0x10000 {
            for value in first...min(last, 0xFFFF) { table[Int(value)] = flags }
        }
        basicPlane = table
        let upper = ranges.filter { $0.1 >= 0x10000 }
        supplementary = { value in
            var low = 0, high = upper.count
            while low < high {
                let middle = (low + high) / 2
                if upper[middle].1 < value { low = middle + 1 } else { high = middle }
            }
            guard low < upper.count, upper[low].0 <= value else { return [] }
            return CharacterFlags(rawValue: upper[low].2)
        }
    }

    /// The flags of one scalar value.
    @inline(__always)
    public func flags(_ value: UInt32) -> CharacterFlags {
        value < 0x10000 ? CharacterFlags(rawValue: basicPlane[Int(value)]) : supplementary(value)
    }
}

extension CharacterClassifier {
    /// Hugging Face's fast tokenizer, from tables probed out of it (its Unicode data is older than Swift's).
    public static let huggingFace = CharacterClassifier(ranges: CharacterFlags.huggingFaceRanges)

    /// Google's tokenization.py on the Unicode data Swift ships.
    public static let google = CharacterClassifier(rule: googleFlags)

    /// Spark NLP's BasicTokenizer, which looks at Java `char`s: UTF-16 code units.
    public static let spark = CharacterClassifier(rule: sparkFlags)
}

/// ASCII characters that BERT treats as punctuation although Unicode calls them symbols ($, +, ^, ...).
@inline(__always)
func isASCIIPunctuation(_ value: UInt32) -> Bool {
    (33...47).contains(value) || (58...64).contains(value) || (91...96).contains(value) || (123...126).contains(value)
}

/// The CJK Unified Ideograph blocks listed in Google's tokenization.py `_is_chinese_char`.
func isCJKIdeograph(_ value: UInt32) -> Bool {
    switch value {
    case 0x4E00...0x9FFF, 0x3400...0x4DBF, 0x20000...0x2A6DF, 0x2A700...0x2B73F, 0x2B740...0x2B81F,
        0x2B820...0x2CEAF, 0xF900...0xFAFF, 0x2F800...0x2FA1F:
        return true
    default:
        return false
    }
}

extension Unicode.GeneralCategory {
    var isPunctuation: Bool {
        switch self {
        case .connectorPunctuation, .dashPunctuation, .openPunctuation, .closePunctuation,
            .initialPunctuation, .finalPunctuation, .otherPunctuation:
            return true
        default:
            return false
        }
    }
}

@Sendable func googleFlags(_ scalar: Unicode.Scalar) -> CharacterFlags {
    let value = scalar.value
    let category = scalar.properties.generalCategory
    var flags: CharacterFlags = []
    let isTabOrNewline = value == 0x09 || value == 0x0A || value == 0x0D
    if value == 0 || value == 0xFFFD || (!isTabOrNewline && (category == .control || category == .format)) {
        flags.insert(.removedByCleaning)
    } else if (isTabOrNewline || category == .spaceSeparator) && value != 0x20 {
        flags.insert(.whitespace)
    }
    // Python's str.split() also splits on the line and paragraph separators and the information separators.
    if value == 0x20 || isTabOrNewline || category == .spaceSeparator || (0x0B...0x0C).contains(value)
        || (0x1C...0x1F).contains(value) || value == 0x85 || value == 0x2028 || value == 0x2029
    {
        flags.insert(.splitWhitespace)
    }
    if isASCIIPunctuation(value) || category.isPunctuation { flags.insert(.punctuation) }
    if isCJKIdeograph(value) { flags.insert(.cjk) }
    if category == .nonspacingMark { flags.insert(.nonspacingMark) }
    return flags
}

@Sendable func sparkFlags(_ scalar: Unicode.Scalar) -> CharacterFlags {
    let value = scalar.value
    var flags: CharacterFlags = []
    // Spark splits at control characters (Java's isISOControl) instead of deleting them, and keeps format
    // characters; so does it at NUL and U+FFFD.
    let isControl = value < 0x20 || (0x7F...0x9F).contains(value)
    if value == 0x20 || isControl || value == 0xFFFD || isJavaWhitespace(value) { flags.insert(.splitWhitespace) }
    // Punctuation is ASCII punctuation or a character whose Unicode name says PUNCTUATION: quotation marks,
    // ideographic full stops and fullwidth commas are not.
    if isASCIIPunctuation(value) || (scalar.properties.name?.contains("PUNCTUATION") ?? false) {
        flags.insert(.punctuation)
    }
    // Java tests a `char`, a UTF-16 code unit: ideographs outside the BMP are never seen as CJK.
    if value < 0x10000 && isCJKIdeograph(value) { flags.insert(.cjk) }
    // Only the Combining Diacritical Marks block is stripped (the regex \p{InCombiningDiacriticalMarks}).
    if (0x300...0x36F).contains(value) { flags.insert(.nonspacingMark) }
    return flags
}

/// Java's Character.isWhitespace: space separators except the no-break ones, line and paragraph
/// separators, and the ASCII separators U+0009-000D, U+001C-001F.
func isJavaWhitespace(_ value: UInt32) -> Bool {
    if (0x09...0x0D).contains(value) || (0x1C...0x1F).contains(value) { return true }
    if value == 0xA0 || value == 0x2007 || value == 0x202F { return false }
    guard let scalar = Unicode.Scalar(value) else { return false }
    switch scalar.properties.generalCategory {
    case .spaceSeparator, .lineSeparator, .paragraphSeparator: return true
    default: return false
    }
}
