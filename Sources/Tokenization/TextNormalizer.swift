import Foundation
import Synchronization

/// Scalars together with, for each, the index of the original scalar it came from.
///
/// Every step of BERT's normalization maps one original scalar to zero or more new ones, never merges
/// two, so a token's original span is [origin of its first scalar, origin of its last scalar + 1).
public struct AlignedScalars: Sendable, Equatable {
    public var scalars: [UInt32] = []
    public var origins: [Int] = []

    public init() {}

    public init(scalars: [UInt32], origins: [Int]) {
        self.scalars = scalars
        self.origins = origins
    }

    mutating func append(_ scalar: UInt32, from origin: Int) {
        scalars.append(scalar)
        origins.append(origin)
    }

    public var text: String {
        var result = String.UnicodeScalarView()
        for value in scalars { if let scalar = Unicode.Scalar(value) { result.append(scalar) } }
        return String(result)
    }

    var isEmpty: Bool { scalars.isEmpty }
}

/// BERT's normalization steps, in the order and with the character classes of one dialect.
struct TextNormalizer: Sendable {
    let configuration: TokenizerConfiguration
    let classifier: CharacterClassifier

    /// Deletes what cleaning deletes and turns whitespace into plain spaces.
    func clean(_ original: [UInt32], range: Range<Int>) -> AlignedScalars {
        var result = AlignedScalars()
        result.scalars.reserveCapacity(range.count)
        result.origins.reserveCapacity(range.count)
        for index in range {
            let value = original[index]
            if value < 0x80 && value >= 0x20 && value != 0x7F {  // printable ASCII: nothing to clean
                result.append(value, from: index)
                continue
            }
            let flags = classifier.flags(value)
            guard configuration.cleanText else {
                result.append(value, from: index)
                continue
            }
            if flags.contains(.removedByCleaning) { continue }
            result.append(flags.contains(.whitespace) ? 0x20 : value, from: index)
        }
        return result
    }

    /// Lowercasing and accent stripping, in the dialect's order: Hugging Face strips accents first, Google
    /// and Spark lowercase first.
    func foldCaseAndAccents(_ text: AlignedScalars) -> AlignedScalars {
        let strip = configuration.effectiveStripAccents
        let lower = configuration.lowercase
        guard strip || lower else { return text }
        var result = text
        if configuration.dialect == .hf {
            if strip { result = stripAccents(result) }
            if lower { result = lowercased(result) }
        } else {
            if lower { result = lowercased(result) }
            if strip { result = stripAccents(result) }
        }
        return result
    }

    /// Canonical decomposition (NFD), then deletion of the dialect's non-spacing marks.
    func stripAccents(_ text: AlignedScalars) -> AlignedScalars {
        if text.scalars.allSatisfy({ $0 < 0x80 }) { return text }
        var decomposed = AlignedScalars()
        for (value, origin) in zip(text.scalars, text.origins) {
            for part in canonicalDecomposition(value) { decomposed.append(part, from: origin) }
        }
        reorderCombiningMarks(&decomposed)
        var result = AlignedScalars()
        for (value, origin) in zip(decomposed.scalars, decomposed.origins)
        where !classifier.flags(value).contains(.nonspacingMark) {
            result.append(value, from: origin)
        }
        return result
    }

    /// Full lowercase mapping per scalar. Google's Python `str.lower()` and Spark's Java `toLowerCase()`
    /// also apply the final-sigma rule; Hugging Face maps every capital sigma to σ.
    func lowercased(_ text: AlignedScalars) -> AlignedScalars {
        var result = AlignedScalars()
        for (index, (value, origin)) in zip(text.scalars, text.origins).enumerated() {
            if value < 0x80 {
                result.append((0x41...0x5A).contains(value) ? value + 0x20 : value, from: origin)
                continue
            }
            guard let scalar = Unicode.Scalar(value), scalar.properties.changesWhenLowercased else {
                result.append(value, from: origin)
                continue
            }
            if value == 0x3A3 && configuration.dialect != .hf && isFinalSigma(at: index, in: text.scalars) {
                result.append(0x3C2, from: origin)
                continue
            }
            for lower in scalar.properties.lowercaseMapping.unicodeScalars { result.append(lower.value, from: origin) }
        }
        return result
    }

    /// Unicode's Final_Sigma condition: a cased letter before (skipping case-ignorables), none after.
    private func isFinalSigma(at index: Int, in scalars: [UInt32]) -> Bool {
        func isCased(_ offset: Int, step: Int) -> Bool {
            var position = offset + step
            while position >= 0 && position < scalars.count {
                guard let scalar = Unicode.Scalar(scalars[position]) else { return false }
                if scalar.properties.isCaseIgnorable { position += step; continue }
                return scalar.properties.isCased
            }
            return false
        }
        return isCased(index, step: -1) && !isCased(index, step: 1)
    }
}

/// The canonical decomposition of one scalar (itself when it has none).
func canonicalDecomposition(_ value: UInt32) -> [UInt32] {
    if value < 0xC0 { return [value] }
    // Hangul syllables decompose algorithmically into two or three conjoining jamo.
    if (0xAC00...0xD7A3).contains(value) {
        let index = value - 0xAC00
        let trailing = index % 28
        var jamo: [UInt32] = [0x1100 + index / 588, 0x1161 + (index % 588) / 28]
        if trailing != 0 { jamo.append(0x11A7 + trailing) }
        return jamo
    }
    return decompositionCache.withLock { cache in
        if let known = cache[value] { return known }
        let decomposed = Unicode.Scalar(value).map {
            String(String.UnicodeScalarView([$0])).decomposedStringWithCanonicalMapping.unicodeScalars.map(\.value)
        } ?? [value]
        cache[value] = decomposed
        return decomposed
    }
}

private let decompositionCache = Mutex<[UInt32: [UInt32]]>([:])

/// The canonical ordering step of NFD: runs of combining marks sorted, stably, by combining class.
private func reorderCombiningMarks(_ text: inout AlignedScalars) {
    var start = 0
    let count = text.scalars.count
    while start < count {
        guard combiningClass(text.scalars[start]) != 0 else { start += 1; continue }
        var end = start
        while end < count && combiningClass(text.scalars[end]) != 0 { end += 1 }
        if end - start > 1 {
            let run = (start..<end).map { (text.scalars[$0], text.origins[$0]) }
            let sorted = run.enumerated().sorted {
                let (left, right) = (combiningClass($0.element.0), combiningClass($1.element.0))
                return left != right ? left < right : $0.offset < $1.offset
            }
            for (offset, entry) in sorted.enumerated() {
                text.scalars[start + offset] = entry.element.0
                text.origins[start + offset] = entry.element.1
            }
        }
        start = end
    }
}

private func combiningClass(_ value: UInt32) -> UInt8 {
    value < 0x300 ? 0 : Unicode.Scalar(value).map { $0.properties.canonicalCombiningClass.rawValue } ?? 0
}
