/// A token of tokenizer.json's `added_tokens`, matched in the text before the model sees it.
struct AddedToken: Sendable {
    var scalars: [UInt32]
    var id: Int
    var special: Bool
    /// Matched only where no word character touches it.
    var singleWord = false
    /// The match takes in the whitespace before it (`lstrip`) or after it (`rstrip`).
    var leftStrip = false
    var rightStrip = false
    /// Matched in the normalized text rather than the raw one.
    var normalized = false
}

/// One stretch of a text after the added tokens are cut out: an added token, or text for the pipeline.
struct AddedTokenSegment {
    var text: AlignedScalars
    var addedTokenId: Int?
    /// True for the stretch at the very start of the input text.
    var startsText: Bool
}

/// The added tokens of a tokenizer, matched as `tokenizers` does: leftmost-longest, first the tokens that
/// are not normalized in the raw text, then the normalized ones in each normalized stretch between.
struct AddedTokens: Sendable {
    private let raw: [AddedToken]
    private let normalized: [AddedToken]

    init(_ tokens: [AddedToken]) {
        raw = tokens.filter { !$0.normalized && !$0.scalars.isEmpty }
        normalized = tokens.filter { $0.normalized && !$0.scalars.isEmpty }
    }

    /// Cuts `scalars` into added tokens and normalized text (empty stretches dropped).
    func split(_ scalars: [UInt32], normalizer: Normalizer) -> [AddedTokenSegment] {
        var segments = [AddedTokenSegment]()
        let original = AlignedScalars(scalars: scalars, origins: Array(scalars.indices))
        for part in Self.cut(original, by: raw) {
            if let id = part.id {
                segments.append(AddedTokenSegment(text: part.text, addedTokenId: id, startsText: false))
                continue
            }
            let text = normalizer.normalize(part.text)
            for (index, inner) in Self.cut(text, by: normalized).enumerated() where !inner.text.isEmpty {
                segments.append(AddedTokenSegment(
                    text: inner.text, addedTokenId: inner.id, startsText: part.start == 0 && index == 0))
            }
        }
        return segments
    }

    /// The stretches of `text` between matches of `tokens` and the matches themselves.
    private static func cut(_ text: AlignedScalars, by tokens: [AddedToken]) -> [(text: AlignedScalars, id: Int?, start: Int)] {
        let scalars = text.scalars
        func slice(_ range: Range<Int>) -> AlignedScalars {
            AlignedScalars(scalars: Array(scalars[range]), origins: Array(text.origins[range]))
        }
        var parts = [(text: AlignedScalars, id: Int?, start: Int)]()
        var partStart = 0
        var index = 0
        while !tokens.isEmpty && index < scalars.count {
            guard let token = longest(at: index, in: scalars, among: tokens) else {
                index += 1
                continue
            }
            var (start, stop) = (index, index + token.scalars.count)
            index = stop
            if token.singleWord
                && ((start > 0 && isWordCharacter(scalars[start - 1])) || (stop < scalars.count && isWordCharacter(scalars[stop]))) {
                continue
            }
            if token.leftStrip { while start > partStart && isWhitespace(scalars[start - 1]) { start -= 1 } }
            if token.rightStrip { while stop < scalars.count && isWhitespace(scalars[stop]) { stop += 1 } }
            if partStart < start { parts.append((slice(partStart..<start), nil, partStart)) }
            parts.append((slice(start..<stop), token.id, start))
            partStart = stop
            index = stop
        }
        if partStart < scalars.count || parts.isEmpty { parts.append((slice(partStart..<scalars.count), nil, partStart)) }
        return parts
    }

    private static func longest(at index: Int, in scalars: [UInt32], among tokens: [AddedToken]) -> AddedToken? {
        var found: AddedToken?
        for token in tokens where scalars[index] == token.scalars[0]
            && token.scalars.count > found?.scalars.count ?? 0
            && scalars[index...].starts(with: token.scalars) {
            found = token
        }
        return found
    }
}
