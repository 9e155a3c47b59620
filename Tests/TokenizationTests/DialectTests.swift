import Foundation
import TestSupport
import Testing

@testable import Tokenization

/// Each documented difference between the dialects (docs/TOKENIZATION.md), shown on one input.
@Suite("Dialects: google and spark differ from hf exactly where documented")
struct DialectTests {
    static let vocabulary = try! Vocabulary(contentsOf: TestPaths.multilingualCased.appendingPathComponent("vocab.txt"))

    func tokenizer(_ dialect: Dialect, lowercase: Bool = false) throws -> BertTokenizer {
        var configuration = try TokenizerConfiguration.load(fromModelFolder: TestPaths.multilingualCased, dialect: dialect)
        configuration.lowercase = lowercase
        return try BertTokenizer(vocabulary: Self.vocabulary, configuration: configuration)
    }

    func words(_ text: String, _ dialect: Dialect, lowercase: Bool = false) throws -> [String] {
        try tokenizer(dialect, lowercase: lowercase).trace(text).words.map(\.text)
    }

    func tokens(_ text: String, _ dialect: Dialect) throws -> [String] {
        Array(try tokenizer(dialect).encode(text).tokens.dropFirst().dropLast())
    }

    @Test("google keeps private-use characters (they become [UNK]); hf deletes them")
    func privateUse() throws {
        #expect(try words("a\u{E000}b", .hf) == ["ab"])
        #expect(try words("a\u{E000}b", .google) == ["a\u{E000}b"])
        #expect(try tokens("a\u{E000}b", .google) == ["[UNK]"])
    }

    @Test("google splits words of up to 200 characters; hf stops at 100")
    func wordLengthLimit() throws {
        let word = String(repeating: "ab", count: 75)
        #expect(try tokens(word, .hf) == ["[UNK]"])
        #expect(try tokens(word, .google).count > 1)
        #expect(try tokens(String(repeating: "a", count: 201), .google) == ["[UNK]"])
    }

    @Test("google isolates U+2B820..2B91F ideographs; hf's range typo does not")
    func cjkExtensionRange() throws {
        #expect(try words("a\u{2B820}b", .hf) == ["a\u{2B820}b"])
        #expect(try words("a\u{2B820}b", .google) == ["a", "\u{2B820}", "b"])
        #expect(try words("a\u{2B920}b", .hf) == ["a", "\u{2B920}", "b"])
    }

    @Test("only hf keeps special tokens typed as text whole")
    func specialTokensInText() throws {
        #expect(try tokens("[MASK]", .hf) == ["[MASK]"])
        #expect(try words("[MASK]", .google) == ["[", "MASK", "]"])
        #expect(try words("[MASK]", .spark) == ["[", "MASK", "]"])
    }

    @Test("google uses Swift's newer Unicode data: U+061D is punctuation there, not in hf")
    func unicodeVersion() throws {
        #expect(try words("a\u{061D}b", .hf) == ["a\u{061D}b"])
        #expect(try words("a\u{061D}b", .google) == ["a", "\u{061D}", "b"])
    }

    @Test("uncased google applies Python's final-sigma rule; hf lowercases every Σ to σ")
    func finalSigma() throws {
        #expect(try words("ΟΔΟΣ", .hf, lowercase: true) == ["οδοσ"])
        #expect(try words("ΟΔΟΣ", .google, lowercase: true) == ["οδος"])
    }

    @Test("spark decomposes and strips accents even for a cased model")
    func sparkStripsAccents() throws {
        #expect(try words("Café", .hf) == ["Café"])
        #expect(try words("Café", .spark) == ["Cafe"])
        #expect(try words("한", .spark) == ["\u{1112}\u{1161}\u{11AB}"])
    }

    @Test("spark strips only the Combining Diacritical Marks block")
    func sparkMarkBlock() throws {
        // U+093C DEVANAGARI SIGN NUKTA is a non-spacing mark outside U+0300..036F.
        #expect(try words("क\u{093C}", .spark, lowercase: true) == ["क\u{093C}"])
        #expect(try words("क\u{093C}", .google, lowercase: true) == ["क"])
    }

    @Test("spark's punctuation is ASCII or named PUNCTUATION: quotation marks stay attached")
    func sparkPunctuationByName() throws {
        #expect(try words("«a»", .hf) == ["«", "a", "»"])
        #expect(try words("«a»", .spark) == ["«a»"])
        #expect(try words("a\u{FF0C}b", .spark) == ["a\u{FF0C}b"])  // FULLWIDTH COMMA
    }

    @Test("spark: no-break spaces join, control characters split, format characters stay")
    func sparkWhitespaceAndControls() throws {
        #expect(try words("a\u{00A0}b", .hf) == ["a", "b"])
        #expect(try words("a\u{00A0}b", .spark) == ["a\u{00A0}b"])
        #expect(try words("a\u{0001}b", .hf) == ["ab"])
        #expect(try words("a\u{0001}b", .spark) == ["a", "b"])
        #expect(try words("a\u{200B}b", .hf) == ["ab"])
        #expect(try words("a\u{200B}b", .spark) == ["a\u{200B}b"])
    }

    @Test("spark tests CJK per UTF-16 unit: supplementary ideographs are not isolated")
    func sparkSupplementaryCJK() throws {
        #expect(try words("a\u{20000}b", .google) == ["a", "\u{20000}", "b"])
        #expect(try words("a\u{20000}b", .spark) == ["a\u{20000}b"])
    }

    @Test("spark counts the 200-character limit in UTF-16 units")
    func sparkUTF16Limit() throws {
        let word = String(repeating: "\u{1D400}", count: 150)  // 150 scalars, 300 UTF-16 units
        #expect(try tokenizer(.google).trace(word).words[0].unknownReason != .tooLong(characters: 150, limit: 200))
        #expect(try tokenizer(.spark).trace(word).words[0].unknownReason == .tooLong(characters: 300, limit: 200))
    }

    @Test("the public cases from Google's tests")
    func publicCases() throws {
        for dialect in Dialect.allCases {
            #expect(try words(" \tHeLLo!how  \n Are yoU?  ", dialect) == ["HeLLo", "!", "how", "Are", "yoU", "?"])
            #expect(try words("ah\u{535A}\u{63A8}zz", dialect) == ["ah", "\u{535A}", "\u{63A8}", "zz"])
        }
        #expect(try tokens("Ich mag Weißbier und Kartoffel .", .hf)
            == ["Ich", "mag", "Weiß", "##bier", "und", "Kar", "##tof", "##fel", "."])
    }
}
