import Testing

@testable import Tokenization

/// The smaller stages, on hand-worked cases (the corpus parity exercises Precompiled, Replace, Metaspace,
/// BERT's stages, WordPiece, Unigram and the templates).
@Suite("tokenizer.json stages: pre-tokenizers and normalizers")
struct PipelineStageTests {
    static func aligned(_ text: String) -> AlignedScalars {
        let scalars = text.unicodeScalars.map(\.value)
        return AlignedScalars(scalars: scalars, origins: Array(scalars.indices))
    }

    static func words(_ pre: PreTokenizer, _ text: String) -> [String] {
        pre.split([PreToken(text: aligned(text), startsText: true)]).map(\.text.text)
    }

    @Test("pre-tokenizers split as tokenizers does")
    func preTokenizers() throws {
        #expect(Self.words(.whitespaceSplit, "a  b\tc") == ["a", "b", "c"])
        #expect(Self.words(.whitespace, "Hey, you!") == ["Hey", ",", "you", "!"])
        #expect(Self.words(.bert, "Hey, you!") == ["Hey", ",", "you", "!"])
        #expect(Self.words(.punctuation(.isolated), "a.b") == ["a", ".", "b"])
        #expect(Self.words(.digits(individual: false), "ab123c") == ["ab", "123", "c"])
        #expect(Self.words(.digits(individual: true), "ab12c") == ["ab", "1", "2", "c"])
        let dash = TextPattern(literal: "-")
        #expect(Self.words(.split(dash, .removed, invert: false), "a-b-") == ["a", "b"])
        #expect(Self.words(.split(dash, .isolated, invert: false), "a-b") == ["a", "-", "b"])
        #expect(Self.words(.split(dash, .mergedWithPrevious, invert: false), "a-b-") == ["a-", "b-"])
        #expect(Self.words(.split(dash, .mergedWithNext, invert: false), "a-b-") == ["a", "-b", "-"])
        #expect(Self.words(.split(dash, .contiguous, invert: false), "a--b") == ["a", "--", "b"])
        #expect(Self.words(.sequence([.whitespaceSplit, .digits(individual: true)]), "x1 y") == ["x", "1", "y"])
        let regex = try TextPattern(regex: "\\d+", file: "test")
        #expect(Self.words(.split(regex, .removed, invert: true), "a12b3") == ["12", "3"])
    }

    @Test("normalizers keep each scalar's origin")
    func normalizers() throws {
        func run(_ normalizer: Normalizer, _ text: String) -> (String, [Int]) {
            let result = normalizer.normalize(Self.aligned(text))
            return (result.text, result.origins)
        }
        #expect(run(.unicode(.nfd), "xé") == ("xe\u{301}", [0, 1, 1]))
        #expect(run(.unicode(.nfc), "xe\u{301}") == ("xé", [0, 1]))
        #expect(run(.unicode(.nfkc), "ﬁ") == ("fi", [0, 0]))
        #expect(run(.lowercase, "ÄB") == ("äb", [0, 1]))
        #expect(run(.stripAccents, "e\u{301}a") == ("ea", [0, 2]))
        #expect(run(.replace(TextPattern(literal: "a"), content: [0x78, 0x79]), "bab") == ("bxyb", [0, 1, 1, 2]))
        #expect(run(.replace(TextPattern.spaceRuns, content: [0x20]), "a   b") == ("a b", [0, 3, 4]))
        #expect(run(.prepend([0x2581]), "ab") == ("▁ab", [0, 0, 1]))
        #expect(run(.strip(left: true, right: true), "  a ") == ("a", [2]))
        #expect(run(.sequence([.lowercase, .strip(left: true, right: false)]), " A") == ("a", [1]))
    }
}
