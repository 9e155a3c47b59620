import Embeddings
import Foundation
import Tokenization
import ModelLoader
import TestSupport
import Testing

/// multilingual-e5-small's real weights know that words and sentences mean the same across languages:
/// checks random or mis-loaded weights would fail (each holds by chance with probability 1/2, all
/// fifteen with 1/32768). Vectors: the mean of the last layer's piece vectors, special tokens excluded, as
/// the explorer's sentence vector; no "query: " prefix, as a user types.
@Suite("Real multilingual model: meaning across languages")
struct RealModelSanityTests {
    /// (anchor, its translation, an unrelated text in the translation's language or the anchor's).
    static let cases: [(anchor: String, translation: String, unrelated: String)] = [
        ("dog", "Hund", "Tisch"),                                   // German
        ("cat", "gato", "mesa"),                                    // Spanish
        ("water", "eau", "voiture"),                                // French
        ("house", "дом", "книга"),                                  // Russian
        ("book", "本", "犬"),                                       // Japanese
        ("sun", "太阳", "桌子"),                                    // Chinese
        ("mother", "माँ", "पेड़"),                                     // Hindi
        ("friend", "amigo", "ventana"),                             // Spanish
        ("The weather is nice today.", "Hace buen tiempo hoy.", "The stock market fell sharply."),
        ("Der Zug kommt um acht Uhr an.", "Le train arrive à huit heures.", "Die Katze schläft auf dem Sofa."),
        ("The cat is sleeping on the sofa.", "القطة نائمة على الأريكة.", "I need to renew my passport."),  // Arabic
        ("我喜欢喝咖啡。", "私はコーヒーが好きです。", "明日は雨が降るでしょう。"),
        ("Where is the train station?", "Где находится вокзал?", "Where did you buy those shoes?"),
        ("I love my mother.", "मैं अपनी माँ से प्यार करता हूँ।", "The printer is out of paper."),
        ("bread", "pan", "zapato"),
    ]

    @Test("a text is closer to its translation than to an unrelated text, in 15 cases over 9 languages")
    func translationsAreCloser() throws {
        let folder = try TestPaths.require(TestPaths.e5Model, madeBy: "scripts/fetch_test_assets.sh").deletingLastPathComponent()
        let (tokenizer, model) = try ModelFolder.open(folder)
        let layer = LayerChoice.layer(model.config.layerCount)
        func vector(_ text: String) throws -> [Float] {
            try EmbeddedText(text, tokenizer: tokenizer, model: model).sentenceVector(layer: layer)
        }
        var failures = [String]()
        for (anchor, translation, unrelated) in Self.cases {
            let a = try vector(anchor)
            let close = VectorMath.cosine(a, try vector(translation))
            let far = VectorMath.cosine(a, try vector(unrelated))
            if !(close > far) { failures.append("cos(\(anchor), \(translation)) = \(close) is not above cos(\(anchor), \(unrelated)) = \(far)") }
        }
        #expect(failures.isEmpty, "\(failures.joined(separator: "\n"))")
    }
}

@Suite("Words of a SentencePiece encoding")
struct SentencePieceWordTests {
    @Test("a word's span and text leave out the space its ▁ piece stands for")
    func wordsWithoutSpaces() throws {
        let folder = try TestPaths.require(TestPaths.e5Model, madeBy: "scripts/fetch_test_assets.sh").deletingLastPathComponent()
        let tokenizer = try ModelFolder.tokenizer(in: folder)
        let text = "Der  Hund bellt."
        let encoding = tokenizer.encode(text)
        #expect(encoding.tokens.contains("▁Hund"))
        let words = EmbeddedText.words(of: encoding)
        #expect(words.map(\.text) == ["Der", "Hund", "bellt."])
        #expect(words.map(\.span) == [TextSpan(0, 3), TextSpan(5, 9), TextSpan(10, 16)])
        let invisible = EmbeddedText.words(of: tokenizer.encode("foo\u{200B}bar \u{1}baz"))
        #expect(invisible.map(\.text) == ["foo", "bar", "baz"])
    }
}
