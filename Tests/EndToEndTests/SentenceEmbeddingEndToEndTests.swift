import Foundation
import TestSupport
import Testing

/// `embed`'s sentence_embedding and prompts, and `similarity`'s model_sentence_cosine, on the
/// sentence-transformers fixtures (scripts/fixtures/make_sentence_fixtures.py) against what
/// sentence-transformers' encode gave.
@Suite("the model's own sentence vector, end to end")
struct SentenceEmbeddingEndToEndTests {
    static let fixtures = TestPaths.fixtures.appendingPathComponent("sentence")
    let model = Self.fixtures.appendingPathComponent("tiny-st-cls-dense").path

    func expected(_ text: String, prompt: String?) throws -> [Double] {
        let object = try #require(JSONSerialization.jsonObject(with: Data(contentsOf: Self.fixtures.appendingPathComponent("expected.json"))) as? [String: Any])
        let cases = object["cases"] as? [[String: Any]] ?? []
        let match = try #require(cases.first {
            $0["model"] as? String == "tiny-st-cls-dense" && $0["text"] as? String == text && ($0["prompt"] as? String) == prompt
        })
        return (match["sentence_embedding"] as? [NSNumber] ?? []).map(\.doubleValue)
    }

    func json(_ arguments: [String]) throws -> [String: Any] {
        let result = try Bertscope.run(arguments)
        #expect(result.status == 0, "\(result.standardError)")
        return try #require(JSONSerialization.jsonObject(with: Data(result.standardOutput.utf8)) as? [String: Any])
    }

    func close(_ a: [Double], _ b: [Double]) -> Bool {
        a.count == b.count && !a.isEmpty && zip(a, b).allSatisfy { abs($0 - $1) < 1e-5 }
    }

    @Test("embed: sentence_embedding is the model's vector, with and without the prompt it defines; the prompt's pieces are in tokens")
    func embed() throws {
        let plain = try json(["embed", "--model", model, "--layers", "last", "the dog sleeps"])
        let sentence = try #require(plain["sentence_embedding"] as? [String: Any])
        #expect(close((sentence["vector"] as? [NSNumber] ?? []).map(\.doubleValue), try expected("the dog sleeps", prompt: nil)))
        #expect((sentence["modules"] as? String)?.contains("Dense 96→16") == true)
        #expect(plain["prompt"] == nil)

        let prompted = try json(["embed", "--model", model, "--layers", "last", "--prompt", "query", "the dog sleeps"])
        let vector = ((prompted["sentence_embedding"] as? [String: Any])?["vector"] as? [NSNumber] ?? []).map(\.doubleValue)
        #expect(close(vector, try expected("the dog sleeps", prompt: "query")))
        #expect(prompted["prompt"] as? String == "query: ")
        #expect(prompted["text"] as? String == "query: the dog sleeps", "offsets are into what the model read")
        let literal = try json(["embed", "--model", model, "--layers", "last", "--prompt-text", "query: ", "the dog sleeps"])
        #expect(((literal["sentence_embedding"] as? [String: Any])?["vector"] as? [NSNumber] ?? []).map(\.doubleValue) == vector)

        let other = try json(["embed", "--model", TestPaths.fixtures.appendingPathComponent("engine/tiny-google").path, "--layers", "last", "dog"])
        #expect(other["sentence_embedding"] is NSNull, "a folder without modules.json has no sentence vector of its own")
    }

    @Test("embed: a prompt the model does not define is refused, naming those it does")
    func unknownPrompt() throws {
        let result = try Bertscope.run(["embed", "--model", model, "--prompt", "passage", "dog"])
        #expect(result.status != 0)
        #expect(result.standardError.contains("defines the prompts document, query"), "\(result.standardError)")
        let both = try Bertscope.run(["embed", "--model", model, "--prompt", "query", "--prompt-text", "x", "dog"])
        #expect(both.status != 0)
    }

    @Test("similarity: model_sentence_cosine is the cosine of the model's own sentence vectors; null for a plain BERT folder")
    func similarity() throws {
        let object = try json(["similarity", "--model", model, "--json", "the dog sleeps", "a river bank"])
        let a = try expected("the dog sleeps", prompt: nil), b = try expected("a river bank", prompt: nil)
        let dot = zip(a, b).map(*).reduce(0, +)
        let norms = (a.map { $0 * $0 }.reduce(0, +) * b.map { $0 * $0 }.reduce(0, +)).squareRoot()
        let cosine = try #require(object["model_sentence_cosine"] as? Double)
        #expect(abs(cosine - dot / norms) < 1e-5)
        #expect((object["model_sentence_vector"] as? String)?.hasPrefix("sentence-transformers modules: ") == true)
        #expect(object["sentence_cosine"] is Double, "bertscope's mean of the pieces stays")

        let plain = try json(["similarity", "--model", TestPaths.fixtures.appendingPathComponent("engine/tiny-google").path, "--json", "dog", "cat"])
        #expect(plain["model_sentence_cosine"] is NSNull)
    }
}
