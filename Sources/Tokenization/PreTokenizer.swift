/// A stretch of normalized text the pre-tokenizer produced: one word for the model.
struct PreToken {
    var text: AlignedScalars
    /// True when the stretch starts at the beginning of the input text (Metaspace's `first` scheme).
    var startsText: Bool
}

/// One pre-tokenizer of a tokenizer.json (`pre_tokenizer`, decoded by its `type`): splits words further,
/// every scalar keeping its origin.
indirect enum PreTokenizer: Sendable {
    /// SentencePiece's word marks: spaces become `replacement`, one is prepended per `scheme`, and each
    /// mark begins a word (when `split`).
    case metaspace(replacement: UInt32, scheme: PrependScheme, split: Bool)
    /// `\w+|[^\w\s]+`: runs of word characters and runs of other non-space characters.
    case whitespace
    case whitespaceSplit
    /// BERT's: whitespace split, then every punctuation character on its own.
    case bert
    case punctuation(SplitBehavior)
    case digits(individual: Bool)
    case split(TextPattern, SplitBehavior, invert: Bool)
    case sequence([PreTokenizer])

    enum PrependScheme: String, Sendable { case always, first, never }

    /// How a split treats the scalars its pattern matched (`tokenizers`' SplitDelimiterBehavior).
    enum SplitBehavior: String, Sendable {
        case removed = "Removed", isolated = "Isolated", mergedWithPrevious = "MergedWithPrevious"
        case mergedWithNext = "MergedWithNext", contiguous = "Contiguous"
    }

    func split(_ tokens: [PreToken]) -> [PreToken] {
        switch self {
        case .sequence(let steps):
            return steps.reduce(tokens) { $1.split($0) }
        case .metaspace(let replacement, let scheme, let split):
            return tokens.flatMap { token -> [PreToken] in
                var text = token.text
                for index in text.scalars.indices where text.scalars[index] == 0x20 { text.scalars[index] = replacement }
                let prepend = scheme == .always || (scheme == .first && token.startsText)
                if prepend, let first = text.origins.first, text.scalars[0] != replacement {
                    text.scalars.insert(replacement, at: 0)
                    text.origins.insert(first, at: 0)
                }
                guard split else { return [PreToken(text: text, startsText: token.startsText)] }
                let marks = text.scalars.indices.filter { text.scalars[$0] == replacement }.map { $0..<($0 + 1) }
                return Self.split(token: PreToken(text: text, startsText: token.startsText), at: marks, .mergedWithNext)
            }
        case .whitespace:
            return tokens.flatMap { token in
                Self.split(token: token, at: Self.runs(in: token.text.scalars) { isWordCharacter($0) ? 1 : isWhitespace($0) ? 0 : 2 },
                           .removed, invert: true)
            }
        case .whitespaceSplit:
            return tokens.flatMap { Self.split(token: $0, at: Self.each(in: $0.text.scalars, where: isWhitespace), .removed) }
        case .bert:
            return PreTokenizer.punctuation(.isolated).split(PreTokenizer.whitespaceSplit.split(tokens))
        case .punctuation(let behavior):
            return tokens.flatMap { Self.split(token: $0, at: Self.each(in: $0.text.scalars, where: isPunctuation), behavior) }
        case .digits(let individual):
            return tokens.flatMap { token in
                let digits = Self.each(in: token.text.scalars, where: isNumeric)
                return Self.split(token: token, at: digits, individual ? .isolated : .contiguous)
            }
        case .split(let pattern, let behavior, let invert):
            return tokens.flatMap { Self.split(token: $0, at: pattern.matches(in: $0.text.scalars), behavior, invert: invert) }
        }
    }

    private static func each(in scalars: [UInt32], where test: (UInt32) -> Bool) -> [Range<Int>] {
        scalars.indices.filter { test(scalars[$0]) }.map { $0..<($0 + 1) }
    }

    /// Maximal runs of scalars of the same nonzero class.
    private static func runs(in scalars: [UInt32], class classOf: (UInt32) -> Int) -> [Range<Int>] {
        var runs = [Range<Int>]()
        var start = 0
        while start < scalars.count {
            let kind = classOf(scalars[start])
            var end = start + 1
            while end < scalars.count && classOf(scalars[end]) == kind { end += 1 }
            if kind != 0 { runs.append(start..<end) }
            start = end
        }
        return runs
    }

    /// Cuts one token at `matches` (sorted, disjoint) as `behavior` says; `invert` makes the matches the
    /// parts and what lies between them the delimiters. Empty parts are dropped, as in `tokenizers`.
    private static func split(token: PreToken, at matches: [Range<Int>], _ behavior: SplitBehavior, invert: Bool = false) -> [PreToken] {
        let count = token.text.scalars.count
        var pieces = [(range: Range<Int>, isDelimiter: Bool)]()
        var last = 0
        for match in matches where !match.isEmpty {
            if last < match.lowerBound { pieces.append((last..<match.lowerBound, invert)) }
            pieces.append((match, !invert))
            last = match.upperBound
        }
        if last < count { pieces.append((last..<count, invert)) }
        var ranges = [Range<Int>]()
        var mergeIntoNext: Int?
        var previousWasDelimiter = false
        for piece in pieces {
            switch (behavior, piece.isDelimiter) {
            case (.removed, true): break
            case (.mergedWithPrevious, true) where !ranges.isEmpty && !previousWasDelimiter:
                ranges[ranges.count - 1] = ranges[ranges.count - 1].lowerBound..<piece.range.upperBound
            case (.mergedWithNext, true):
                mergeIntoNext = mergeIntoNext ?? piece.range.lowerBound
                previousWasDelimiter = true
                continue
            case (.contiguous, true) where previousWasDelimiter:
                ranges[ranges.count - 1] = ranges[ranges.count - 1].lowerBound..<piece.range.upperBound
            default:
                if let start = mergeIntoNext {
                    ranges.append(start..<piece.range.upperBound)
                    mergeIntoNext = nil
                } else {
                    ranges.append(piece.range)
                }
            }
            previousWasDelimiter = piece.isDelimiter
        }
        if let start = mergeIntoNext { ranges.append(start..<count) }
        return ranges.enumerated().map { index, range in
            PreToken(
                text: AlignedScalars(scalars: Array(token.text.scalars[range]), origins: Array(token.text.origins[range])),
                startsText: token.startsText && index == 0 && range.lowerBound == 0)
        }
    }
}

/// Regular expressions' `\w`: letters, marks, numbers and connector punctuation.
func isWordCharacter(_ value: UInt32) -> Bool {
    guard let scalar = Unicode.Scalar(value) else { return false }
    if scalar.properties.isAlphabetic || scalar.properties.numericType != nil { return true }
    switch scalar.properties.generalCategory {
    case .nonspacingMark, .spacingMark, .enclosingMark, .connectorPunctuation, .decimalNumber: return true
    default: return value == 0x200C || value == 0x200D
    }
}

/// `tokenizers`' punctuation: ASCII punctuation and the Unicode punctuation categories.
func isPunctuation(_ value: UInt32) -> Bool {
    if value < 0x80 { return isASCIIPunctuation(value) }
    guard let scalar = Unicode.Scalar(value) else { return false }
    switch scalar.properties.generalCategory {
    case .connectorPunctuation, .dashPunctuation, .openPunctuation, .closePunctuation, .initialPunctuation,
         .finalPunctuation, .otherPunctuation: return true
    default: return false
    }
}

func isNumeric(_ value: UInt32) -> Bool { Unicode.Scalar(value)?.properties.numericType != nil }
