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
        let lineWords = state.focused.words
        let words = lineWords.words
        let piece = state.showWords ? nil : encoding.tokens.indices.contains(state.selection) ? state.selection : nil
        let wordRow: Int?
        if state.showWords {
            wordRow = state.selection < words.count ? state.selection : nil
        } else {
            wordRow = piece.flatMap { lineWords.pieceWords[$0] }.flatMap { owner in words.firstIndex { $0.index == owner } }
        }
        guard let wordRow else {
            if let piece, !encoding.specialTokensMask[piece] {
                screen.write("piece \"\(encoding.tokens[piece])\" belongs to no word: spaces and punctuation are not words", row: row, column: left,
                             style: Palette.dim, width: width)
                screen.write("(W: the tokenizer's words, where it has one)", row: row + 1, column: left, style: Palette.dim, width: width)
                return
            }
            // The tokenizer's own special tokens, as this encoding has them ([CLS] [SEP], or <s> </s>).
            var specials = [String]()
            for (token, special) in zip(encoding.tokens, encoding.specialTokensMask) where special && !specials.contains(token) { specials.append(token) }
            screen.write("\(specials.joined(separator: " and ")) are added around every text: no word of yours.", row: row, column: left, style: Palette.dim)
            return
        }
        let word = words[wordRow]
        let tokens = word.tokens.map { encoding.tokens[$0] }.joined(separator: " ")
        screen.write("word \(word.index) \"\(word.text)\" → \(tokens)", row: row, column: left, style: Palette.accent, width: width)
        row += 1
        screen.write("characters \(word.span.start)..<\(word.span.end) of the text · \(ExplorerView.tokenizerLabel(state)) · \(state.wordSource.rawValue) words",
                     row: row, column: left, style: Palette.dim, width: width)
        row += 1
        // A SentencePiece piece can run across a word boundary (`▁犬が`): the piece's vector is shared by words.
        for token in piece.map({ [$0] }) ?? Array(word.tokens) where lineWords.crossesWordBoundary[token] {
            let span = encoding.offsets[token]
            let covered = words.filter { $0.span.start < span.end && span.start < $0.span.end }.map(\.text)
            screen.write("piece \"\(encoding.tokens[token])\" crosses a word boundary: it covers \(covered.joined(separator: " · "))",
                         row: row, column: left, style: Palette.warning, width: width)
            row += 1
        }
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
