import Foundation
import TestSupport
import Testing

@testable import Tokenization

/// One reference encoding written by scripts/fixtures/make_tokenizer_goldens.py from Hugging Face
/// `tokenizers`.
struct GoldenEncoding: Decodable {
    var id: String
    var kind: String?
    var text: String?
    var pair: String?
    var max_length: Int?
    var input_ids: [Int]
    var tokens: [String]
    var offsets: [[Int]]
    var word_ids: [Int?]
    var type_ids: [Int]
    var special_tokens_mask: [Int]
}

struct CorpusEntry: Decodable {
    var id: String
    var text: String
}

/// Compares our encodings with the goldens field by field and describes the first differences.
func mismatches(_ tokenizer: some TextTokenizer, goldens: [GoldenEncoding], corpus: [String: String]) -> [String] {
    var problems = [String]()
    for golden in goldens {
        let text = golden.text ?? corpus[golden.id] ?? ""
        let encoding = tokenizer.encode(text, pair: golden.pair, maxLength: golden.max_length)
        var differences = [String]()
        if encoding.ids != golden.input_ids { differences.append("ids \(encoding.ids) != \(golden.input_ids)") }
        if encoding.tokens != golden.tokens { differences.append("tokens \(encoding.tokens) != \(golden.tokens)") }
        let offsets = encoding.offsets.map { [$0.start, $0.end] }
        if offsets != golden.offsets { differences.append("offsets \(offsets) != \(golden.offsets)") }
        if encoding.wordIds != golden.word_ids { differences.append("word ids \(encoding.wordIds) != \(golden.word_ids)") }
        if encoding.typeIds != golden.type_ids { differences.append("type ids differ") }
        if encoding.specialTokensMask.map({ $0 ? 1 : 0 }) != golden.special_tokens_mask {
            differences.append("special tokens mask differs")
        }
        if !differences.isEmpty {
            problems.append("\(golden.id) \(text.debugDescription): " + differences.joined(separator: "; "))
        }
    }
    return problems
}

func loadCorpus() throws -> [String: String] {
    let entries = try readJSONLines(TestPaths.fixtures.appendingPathComponent("tokenizer/corpus.jsonl"), as: CorpusEntry.self)
    return Dictionary(entries.map { ($0.id, $0.text) }, uniquingKeysWith: { first, _ in first })
}

func goldens(_ name: String, _ kind: String) throws -> [GoldenEncoding] {
    try readJSONLines(TestPaths.fixtures.appendingPathComponent("tokenizer/\(name).\(kind).jsonl"), as: GoldenEncoding.self)
}

/// Goldens written with `--base`: `base`'s rows with `name`'s (the rows that differ) put in their place.
func goldens(_ name: String, over base: String, _ kind: String) throws -> [GoldenEncoding] {
    func key(_ golden: GoldenEncoding) -> String { "\(golden.id)|\(golden.kind ?? "")|\(golden.max_length ?? -1)" }
    let differing = Dictionary(try goldens(name, kind).map { (key($0), $0) }, uniquingKeysWith: { first, _ in first })
    let rows = try goldens(base, kind)
    #expect(Set(rows.map(key)).isSuperset(of: differing.keys), "every differing row replaces one of \(base)'s")
    return rows.map { differing[key($0)] ?? $0 }
}

@Suite("Parity with Hugging Face tokenizers on the multilingual corpus")
struct GoldenParityTests {
    static let kinds = ["singles", "pairs", "truncation"]

    @Test("bert-base-multilingual-cased: ids, tokens, offsets and word ids identical", arguments: kinds)
    func multilingualCased(kind: String) throws {
        let tokenizer = try BertTokenizer(modelFolder: TestPaths.multilingualCased)
        let references = try goldens("mbert-cased", kind)
        #expect(references.count >= (kind == "singles" ? 3000 : 400))
        let problems = mismatches(tokenizer, goldens: references, corpus: try loadCorpus())
        let problemCount = problems.count
        #expect(problemCount == 0, "\(problems.count) of \(references.count) differ:\n\(problems.prefix(8).joined(separator: "\n"))")
    }

    @Test("all-MiniLM-L6-v2 (uncased, accents stripped): identical", arguments: kinds)
    func uncased(kind: String) throws {
        let folder = try TestPaths.require(TestPaths.miniLM, madeBy: "scripts/fetch_test_assets.sh")
        let tokenizer = try BertTokenizer(modelFolder: folder)
        #expect(tokenizer.configuration.lowercase)
        let references = try goldens("minilm-uncased", kind)
        let problems = mismatches(tokenizer, goldens: references, corpus: try loadCorpus())
        let problemCount = problems.count
        #expect(problemCount == 0, "\(problems.count) of \(references.count) differ:\n\(problems.prefix(8).joined(separator: "\n"))")
    }

    @Test("the corpus covers at least 3,000 strings in at least 30 scripts")
    func corpusCoverage() throws {
        let corpus = try loadCorpus()
        #expect(corpus.count >= 3000)
        // Scripts, approximated by the first word of each letter's Unicode name (LATIN, CYRILLIC, ...).
        var scripts = Set<String>()
        for text in corpus.values {
            for scalar in text.unicodeScalars where scalar.properties.isAlphabetic {
                if let name = scalar.properties.name, let first = name.split(separator: " ").first { scripts.insert(String(first)) }
            }
        }
        #expect(scripts.count >= 30, "scripts: \(scripts.sorted())")
    }
}

@Suite("Parity with Hugging Face tokenizers: XLM-R Unigram (multilingual-e5-small)")
struct UnigramGoldenParityTests {
    @Test("the rebuilt XLM-R tokenizer.json: ids, tokens, offsets and word ids identical",
          arguments: GoldenParityTests.kinds)
    func multilingualE5(kind: String) throws {
        let tokenizer = try E5Tokenizer.shared.get()
        let references = try goldens("xlmr-e5", kind)
        #expect(references.count >= (kind == "singles" ? 3000 : 400))
        let problems = mismatches(tokenizer, goldens: references, corpus: try loadCorpus())
        let problemCount = problems.count
        #expect(problemCount == 0, "\(problems.count) of \(references.count) differ:\n\(problems.prefix(8).joined(separator: "\n"))")
    }
}
