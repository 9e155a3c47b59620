/// What made a word stand alone.
public enum WordKind: String, Sendable, Hashable, Codable {
    /// Delimited by whitespace (or by the punctuation and ideographs around it).
    case word
    /// A punctuation character, split off on its own.
    case punctuation
    /// A CJK ideograph, split off on its own.
    case cjk
    /// A special token typed in the text, such as "[MASK]", kept whole (Hugging Face only).
    case specialToken
}

/// A word from BERT's basic tokenizer: normalized scalars aligned to the original text.
struct BasicWord: Sendable {
    var text: AlignedScalars
    var kind: WordKind
    /// The vocabulary id when the word is a special token typed in the text.
    var specialTokenId: Int?
}

/// BERT's basic tokenizer: special tokens, cleaning, case and accent folding, whitespace, punctuation and
/// CJK splitting, in the order of the configured dialect.
struct BasicTokenizer: Sendable {
    let normalizer: TextNormalizer
    /// Special tokens matched in the raw text, longest first, with their ids.
    let specialTokens: [(scalars: [UInt32], id: Int)]

    init(configuration: TokenizerConfiguration, classifier: CharacterClassifier, vocabulary: Vocabulary) {
        normalizer = TextNormalizer(configuration: configuration, classifier: classifier)
        // Only Hugging Face's tokenizer extracts special tokens typed as text; Google and Spark split them
        // at their brackets like any other punctuation.
        guard configuration.dialect == .hf else {
            specialTokens = []
            return
        }
        specialTokens = configuration.specialTokens.compactMap { token in
            guard !token.isEmpty, let id = vocabulary.id(of: token) else { return nil }
            return (token.unicodeScalars.map(\.value), id)
        }.sorted { $0.scalars.count > $1.scalars.count }
    }

    var configuration: TokenizerConfiguration { normalizer.configuration }

    /// The words of `original`, in order.
    func words(_ original: [UInt32]) -> [BasicWord] {
        var words = [BasicWord]()
        var segmentStart = 0
        var index = 0
        while index < original.count {
            if let match = specialToken(at: index, in: original) {
                appendWords(of: original, range: segmentStart..<index, to: &words)
                var text = AlignedScalars()
                for offset in 0..<match.length { text.append(original[index + offset], from: index + offset) }
                words.append(BasicWord(text: text, kind: .specialToken, specialTokenId: match.id))
                index += match.length
                segmentStart = index
            } else {
                index += 1
            }
        }
        appendWords(of: original, range: segmentStart..<original.count, to: &words)
        return words
    }

    /// Leftmost-longest match of a special token starting at `index`.
    private func specialToken(at index: Int, in original: [UInt32]) -> (length: Int, id: Int)? {
        guard !specialTokens.isEmpty else { return nil }
        for token in specialTokens where index + token.scalars.count <= original.count {
            if original[index] == token.scalars[0]
                && token.scalars.indices.allSatisfy({ original[index + $0] == token.scalars[$0] })
            {
                return (token.scalars.count, token.id)
            }
        }
        return nil
    }

    private func appendWords(of original: [UInt32], range: Range<Int>, to words: inout [BasicWord]) {
        guard !range.isEmpty else { return }
        let cleaned = normalizer.clean(original, range: range)
        if configuration.dialect == .spark {
            // Spark splits the raw text first, then normalizes each word alone.
            for word in split(cleaned) {
                let folded = normalizer.foldCaseAndAccents(word.text)
                if !folded.isEmpty { words.append(BasicWord(text: folded, kind: word.kind)) }
            }
        } else {
            words.append(contentsOf: split(normalizer.foldCaseAndAccents(cleaned)))
        }
    }

    /// Splits on whitespace, and isolates every punctuation character and CJK ideograph.
    func split(_ text: AlignedScalars) -> [BasicWord] {
        var words = [BasicWord]()
        var current = AlignedScalars()
        func flush() {
            if !current.isEmpty {
                words.append(BasicWord(text: current, kind: .word))
                current = AlignedScalars()
            }
        }
        let classifier = normalizer.classifier
        let isolateCJK = configuration.tokenizeChineseChars
        for (value, origin) in zip(text.scalars, text.origins) {
            if value >= 0x30 && value < 0x7F && (value | 0x20) >= 0x61 && (value | 0x20) <= 0x7A {
                current.append(value, from: origin)  // ASCII letter: the common case
                continue
            }
            let flags = classifier.flags(value)
            if value == 0x20 || flags.contains(.splitWhitespace) {
                flush()
            } else if flags.contains(.punctuation) || (isolateCJK && flags.contains(.cjk)) {
                flush()
                var single = AlignedScalars()
                single.append(value, from: origin)
                words.append(BasicWord(text: single, kind: flags.contains(.punctuation) ? .punctuation : .cjk))
            } else {
                current.append(value, from: origin)
            }
        }
        flush()
        return words
    }
}
