import Embeddings
import Foundation
import ModelLoader
import TestSupport
import Testing

/// bertscope's alignments against SimAlign's own (PyPI simalign 0.4 on the same weights in the Hugging Face
/// layout), made by scripts/fixtures/make_simalign.sh: every model, pair, method and level must give the
/// identical links.
@Suite("Word alignment identical to SimAlign")
struct SimAlignParityTests {
    struct Fixture: Decodable {
        struct Model: Decodable {
            var name: String
            var layer: Int
            var pairs: [Pair]
        }
        struct Pair: Decodable {
            var source: String
            var target: String
            /// method -> level -> Pharaoh links
            var links: [String: [String: String]]
            var smallest_gap: [String: Double?]
        }
        var models: [Model]
    }

    static let fixture = TestPaths.fixtures.appendingPathComponent("align/simalign.json")

    static func folder(of model: String) throws -> URL {
        switch model {
        case "e5": return try TestPaths.require(TestPaths.e5Model, madeBy: "scripts/fetch_test_assets.sh").deletingLastPathComponent()
        case "minilm": return try TestPaths.require(TestPaths.miniLM, madeBy: "scripts/fetch_test_assets.sh")
        default: throw CocoaError(.fileNoSuchFile, userInfo: [NSLocalizedDescriptionKey: "no test model \(model)"])
        }
    }

    @Test("argmax, itermax and match at piece and word level, on multilingual-e5-small and all-MiniLM-L6-v2",
          arguments: ["e5", "minilm"])
    func identicalLinks(model name: String) throws {
        let fixture = try JSONDecoder().decode(Fixture.self, from: Data(contentsOf: Self.fixture))
        let expected = try #require(fixture.models.first { $0.name == name })
        let (tokenizer, model) = try ModelFolder.open(try Self.folder(of: name))
        var compared = 0
        var differences = [String]()
        for pair in expected.pairs {
            let source = try EmbeddedText(pair.source, tokenizer: tokenizer, model: model)
            let target = try EmbeddedText(pair.target, tokenizer: tokenizer, model: model)
            let sourceWords = try WordPieces(encoding: source.encoding, source: .whitespace).words
            let targetWords = try WordPieces(encoding: target.encoding, source: .whitespace).words
            for method in AlignmentMethod.allCases {
                for level in AlignmentLevel.allCases {
                    let options = WordAlignmentOptions(method: method, level: level, layer: .layer(expected.layer))
                    let links = WordAlignment(source, words: sourceWords, target, words: targetWords, options: options).links
                    let got = links.map { "\($0.source)-\($0.target)" }.joined(separator: " ")
                    let want = try #require(pair.links[method.rawValue]?[level.rawValue])
                    compared += 1
                    if got != want {
                        let gap = pair.smallest_gap[level.rawValue].flatMap { $0 }.map { String($0) } ?? "-"
                        differences.append("\(method) \(level) \"\(pair.source)\" / \"\(pair.target)\": \(got) vs SimAlign's \(want) (smallest gap \(gap))")
                    }
                }
            }
        }
        #expect(compared == expected.pairs.count * 6)
        #expect(differences.isEmpty, "\(differences.count) of \(compared) differ:\n\(differences.joined(separator: "\n"))")
    }
}
