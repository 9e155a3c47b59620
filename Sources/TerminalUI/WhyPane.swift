import Embeddings

/// The Why pane: how the tokenizer cut the selected word.
enum WhyPane {
    static let description = PaneDescription(
        pane: .why, title: "Why", needs: [], keys: [], help: ["Why: how the tokenizer cut the word.  bertscope tokenize --trace"],
        render: render)

    static func render(_ screen: inout Screen, _ state: ExplorerState, _ layout: Layout) {
        let left = layout.paneLeft + 1
        let width = layout.paneWidth - 2
        var row = layout.bodyTop
        let encoding = state.focused.encoding
        let words = ExplorerReducer.words(of: state.focused)
        let wordIndex: Int?
        if state.showWords {
            wordIndex = state.selection < words.count ? state.selection : nil
        } else {
            wordIndex = state.selection < encoding.count ? encoding.wordIds[state.selection] : nil
        }
        guard let wordIndex, wordIndex < words.count else {
            // The tokenizer's own special tokens, as this encoding has them ([CLS] [SEP], or <s> </s>).
            var specials = [String]()
            for (token, special) in zip(encoding.tokens, encoding.specialTokensMask) where special && !specials.contains(token) { specials.append(token) }
            screen.write("\(specials.joined(separator: " and ")) are added around every text: no word of yours.", row: row, column: left, style: Palette.dim)
            return
        }
        let word = words[wordIndex]
        let tokens = word.tokens.map { encoding.tokens[$0] }.joined(separator: " ")
        screen.write("word \(wordIndex) \"\(word.text)\" → \(tokens)", row: row, column: left, style: Palette.accent, width: width)
        row += 1
        screen.write("characters \(word.span.start)..<\(word.span.end) of the text · \(ExplorerView.tokenizerLabel(state))", row: row, column: left, style: Palette.dim, width: width)
        row += 1
        // The traced word may be wider than the word shown: a SentencePiece word's span excludes the space its ▁ stands for.
        if let traced = state.wordTrace, traced.span.start <= word.span.start, word.span.end <= traced.span.end {
            screen.write("after normalization: \"\(traced.text)\" (\(traced.kind.rawValue))", row: row, column: left, width: width)
            row += 1
            switch traced.unknownReason {
            case .tooLong(let characters, let limit)?:
                screen.write("[UNK]: \(characters) characters, more than the \(limit) WordPiece splits", row: row, column: left, style: Palette.unknown, width: width)
                row += 1
            case .noMatch(let position)?:
                screen.write("[UNK]: no piece matches from character \(position) on,", row: row, column: left, style: Palette.unknown, width: width)
                screen.write("so the whole word becomes [UNK]", row: row + 1, column: left, style: Palette.unknown, width: width)
                row += 2
            case nil:
                break
            }
            // The tokenizer's steps for this word: Unigram's scored pieces, or WordPiece's look-ups.
            let title: String
            let steps: [(text: String, style: Style)]
            if !traced.scoredPieces.isEmpty {
                title = "Unigram best segmentation (log probability):"
                steps = traced.scoredPieces.map { scored in
                    let why = scored.isUnknown ? "unknown: no piece covers it" : "id \(scored.id)"
                    return ("  \(DisplayWidth.padded(scored.piece, to: 24)) \(String(format: "%8.3f", scored.score)) \(why)",
                            scored.isUnknown ? Palette.unknown : Style(foreground: .green))
                }
            } else {
                title = "WordPiece look-ups (longest first):"
                steps = traced.attempts.map { attempt in
                    ("  \(DisplayWidth.padded(attempt.candidate, to: 24, keepingEnd: true)) \(attempt.id.map { "✓ id \($0)" } ?? "✗")",
                     attempt.id == nil ? Palette.dim : Style(foreground: .green))
                }
            }
            screen.write(title, row: row, column: left, style: Palette.dim)
            row += 1
            let (shown, more) = ExplorerView.listFit(steps.count, rows: layout.footerRow - 1 - row)
            for step in steps.prefix(shown) {
                screen.write(step.text, row: row, column: left, style: step.style, width: width)
                row += 1
            }
            if more > 0 { screen.write("  … \(more) more (all: bertscope tokenize --trace)", row: row, column: left, style: Palette.dim, width: width) }
        }
    }
}
