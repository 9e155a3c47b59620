import Foundation
import TestSupport
import Testing

@testable import Tokenization

@Suite("XLM-R Unigram tokenizer")
struct UnigramTokenizerTests {
    static func tokenizer() throws -> UnigramTokenizer { try E5Tokenizer.shared.get() }

    /// The content tokens (no `<s>`/`</s>`) of one text.
    static func content(_ encoding: Encoding) -> [Int] {
        encoding.specialTokensMask.indices.filter { !encoding.specialTokensMask[$0] }
    }

    @Test("text that normalizes to nothing gives only <s> and </s>: the empty text and every deleted scalar")
    func nothingLeft() throws {
        let tokenizer = try Self.tokenizer()
        let deleted = tokenizer.normalization.filter { $0.value.isEmpty }.keys.sorted()
        #expect(deleted.count >= 30)
        var texts = [""]
        texts += deleted.compactMap(Unicode.Scalar.init).map { String($0) }
        texts.append(String(String.UnicodeScalarView(deleted.compactMap(Unicode.Scalar.init))))
        for text in texts {
            let encoding = tokenizer.encode(text)
            #expect(encoding.ids == [tokenizer.classTokenId, tokenizer.separatorTokenId], "\(text.debugDescription)")
        }
    }

    @Test("typed special tokens are cut out whole before normalization, each its own word")
    func typedSpecials() throws {
        let tokenizer = try Self.tokenizer()
        let specials = [tokenizer.classTokenId, tokenizer.padTokenId, tokenizer.separatorTokenId,
                        tokenizer.unknownTokenId, try #require(tokenizer.maskTokenId)]
        for id in specials {
            let special = tokenizer.piece(id)
            let text = "a" + special + "b"
            let encoding = tokenizer.encode(text)
            let index = try #require(Self.content(encoding).first { encoding.ids[$0] == id }, "\(text)")
            #expect(encoding.offsets[index] == TextSpan(1, 1 + special.unicodeScalars.count))
            #expect(encoding.wordIds[index] == 1)
            #expect(!encoding.specialTokensMask[index])
            // The text after it starts a word of its own, so it gets its `▁`.
            #expect(encoding.tokens[index + 1].hasPrefix("▁"))
        }
    }

    /// Scalars that no piece covers on its own and that normalization keeps as they are.
    static func unknownScalars(_ tokenizer: UnigramTokenizer, in range: ClosedRange<UInt32>) -> [UInt32] {
        range.filter { value in
            guard tokenizer.normalization[value] == nil, let scalar = Unicode.Scalar(value) else { return false }
            let encoding = tokenizer.encode(String(scalar))
            return encoding.isUnknown.contains(true)
        }
    }

    @Test("a run of unknown characters becomes one unknown token spanning the run, its text the run")
    func unknownRuns() throws {
        let tokenizer = try Self.tokenizer()
        // Egyptian hieroglyphs: XLM-R has (almost) none.
        let unknown = Self.unknownScalars(tokenizer, in: 0x13000...0x13040)
        #expect(unknown.count >= 10)
        for length in 1...6 {
            let run = String(String.UnicodeScalarView(unknown.prefix(length).compactMap(Unicode.Scalar.init)))
            let encoding = tokenizer.encode("x " + run + " y")
            let unknownIndices = encoding.isUnknown.indices.filter { encoding.isUnknown[$0] }
            #expect(unknownIndices.count == 1, "\(encoding.tokens)")
            guard let index = unknownIndices.first else { continue }
            #expect(encoding.ids[index] == tokenizer.unknownTokenId)
            #expect(encoding.tokens[index] == run)
            #expect(encoding.offsets[index] == TextSpan(2, 2 + length))
        }
    }

    @Test("lone combining marks, emoji, CRLF, ▁ and tabs: offsets in bounds and ordered, pieces rebuild the text")
    func awkwardInput() throws {
        let tokenizer = try Self.tokenizer()
        let texts = ["\u{301}", "\u{301}\u{308}a", "e\u{301}", "😀", "👩‍👩‍👧 family", "🇩🇪🇫🇷", "a\r\nb", "\r\n",
                     "▁", "▁▁x▁", "\tTab\t\t", "  leading and trailing  ", "\u{FEFF}bom", "ﬁ ½ ™", "﷽"]
        for text in texts {
            try checkInvariants(tokenizer, text)
        }
    }

    @Test("20,000 random strings: offsets in bounds and ordered, pieces rebuild the normalized text")
    func randomStrings() throws {
        let tokenizer = try Self.tokenizer()
        var random = SplitMix64(seed: 20261127)
        for _ in 0..<20_000 {
            try checkInvariants(tokenizer, RobustnessTests.randomString(&random))
        }
    }

    /// Checks one text against what must hold whatever the segmentation: spans in bounds and ordered,
    /// byte spans equal to the scalar spans counted in UTF-8, and the pieces of each word spelling the
    /// text SentencePiece sees (normalized, spaces collapsed, `▁` for spaces, one `▁` prepended).
    func checkInvariants(_ tokenizer: UnigramTokenizer, _ text: String) throws {
        let scalars = Array(text.unicodeScalars)
        let encoding = tokenizer.encode(text, maxLength: nil)
        var previousStart = 0
        var spelled = ""
        for index in Self.content(encoding) {
            let span = encoding.offsets[index]
            #expect(span.start >= previousStart && span.start < span.end && span.end <= scalars.count,
                    "\(text.debugDescription): span \(span)")
            previousStart = span.start
            let bytes = encoding.byteOffsets[index]
            #expect(bytes.start == String(String.UnicodeScalarView(scalars[0..<span.start])).utf8.count)
            #expect(bytes.end == String(String.UnicodeScalarView(scalars[0..<span.end])).utf8.count)
            spelled += encoding.tokens[index]
        }
        var expected = String.UnicodeScalarView()
        for scalar in scalars {
            for value in tokenizer.normalization[scalar.value] ?? [scalar.value] {
                let normalized = value == 0x20 ? "▁" : Unicode.Scalar(value)!
                if normalized == "▁" && expected.last == "▁" { continue }
                expected.append(normalized)
            }
        }
        if let first = expected.first, first != "▁" { expected.insert("▁", at: expected.startIndex) }
        #expect(spelled.unicodeScalars.elementsEqual(expected), "\(text.debugDescription): \(encoding.tokens)")
    }

    @Test("a 1 MB line: truncation keeps the untruncated prefix and reports the cut")
    func megabyteLine() throws {
        let tokenizer = try Self.tokenizer()
        let text = String(repeating: "Wörter und 漢字 ", count: 1_000_000 / 20)
        let encoding = tokenizer.encode(text, maxLength: 512)
        #expect(encoding.count == 512)
        let untruncated = tokenizer.encode(text, maxLength: nil)
        #expect(encoding.truncation.removedPieces == [untruncated.count - 512])
        #expect(Array(encoding.ids.prefix(511)) == Array(untruncated.ids.prefix(511)))
    }

    @Test("tokenizing time grows linearly with the length of a line, also without spaces")
    func linearTime() throws {
        let tokenizer = try Self.tokenizer()
        for unit in ["Wörter und 漢字 ", "Donaudampfschifffahrt", "𓀀𓀁"] {
            let times = encodingTimes(of: unit, repeats: 5_000, with: tokenizer)
            // 4x the text: a linear tokenizer takes about 4x the time; a quadratic one 16x.
            #expect(times.large < times.small * 9, "\(unit): 5k repeats \(times.small) s, 20k repeats \(times.large) s")
        }
    }

    @Test("the trace shows the pieces encode chose, their scores, and what normalization replaced")
    func trace() throws {
        let tokenizer = try Self.tokenizer()
        let text = "ﬁne\u{1}  𓀀𓀁 <mask> words"
        let trace = tokenizer.trace(text)
        let encoding = tokenizer.encode(text)
        #expect(trace.family == .unigram)
        #expect(trace.words.flatMap(\.pieces) == Self.content(encoding).map { encoding.tokens[$0] })
        #expect(trace.removedByCleaning == [3])
        #expect(trace.replacedByWhitespace.isEmpty)
        #expect(trace.replacedByNormalization.map(\.index) == [0])
        for word in trace.words where word.kind == .word {
            for scored in word.scoredPieces where !scored.isUnknown {
                #expect(scored.score == Double(tokenizer.scores[scored.id]))
                #expect(tokenizer.piece(scored.id) == scored.piece)
            }
        }
        #expect(trace.words.contains { $0.scoredPieces.contains(where: \.isUnknown) })
        #expect(trace.words.contains { $0.kind == .specialToken && $0.pieces == ["<mask>"] })
    }

    @Test("unusable plain values are refused with the reason")
    func refusedValues() {
        func make(scores: [Float] = [0, 0, 0, -1], unknown: Int = 3, normalization: [UInt32: [UInt32]] = [:]) throws {
            _ = try UnigramTokenizer(
                pieces: ["<s>", "</s>", "<pad>", "a"], scores: scores, classTokenId: 0, separatorTokenId: 1,
                padTokenId: 2, unknownTokenId: unknown, normalization: normalization)
        }
        #expect(throws: Never.self) { try make() }
        #expect(throws: TokenizerError.self) { try make(scores: [0, 0]) }
        #expect(throws: TokenizerError.self) { try make(unknown: 4) }
        #expect(throws: TokenizerError.self) { try make(normalization: [0x41: [0xD800]]) }
    }

    @Test("the protocol describes both families")
    func protocolConformance() throws {
        let unigram: any TextTokenizer = try Self.tokenizer()
        let wordPiece: any TextTokenizer = try BertTokenizer(modelFolder: TestPaths.multilingualCased)
        #expect(unigram.family == .unigram && wordPiece.family == .wordPiece)
        for tokenizer in [unigram, wordPiece] {
            let mask = try #require(tokenizer.maskTokenId)
            #expect(tokenizer.piece(mask) == tokenizer.maskToken)
            #expect(tokenizer.encode("x").ids == tokenizer.encode("x", pair: nil, maxLength: 512).ids)
            #expect((0..<tokenizer.pieceCount).contains(tokenizer.encode("hello").ids[1]))
        }
    }
}
