import Embeddings
import Foundation
import TestSupport
import Testing

private let model = TinyModel.folder.path

/// The `align` contract of issue 13, run through the real binary.
@Suite("bertscope align, end to end")
struct AlignCommandEndToEndTests {
    /// The mean word vector of the baseline sentences at `layer`, which align subtracts unless --no-centre.
    static func centroid(_ layer: LayerChoice) throws -> [Float] {
        let (tokenizer, tinyModel) = try TinyModel.loaded.get()
        return try Baseline(sentences: TestPaths.baselineSentences, tokenizer: tokenizer, model: tinyModel, layer: layer, pooling: .mean).centroid
    }

    /// The links the library computes in-process for the tiny model with align's defaults (2 layers: too few
    /// for a range, so layer 1 of them, centred).
    static func expectedLinks(_ source: String, _ target: String, method: AlignmentMethod = .argmax,
                              words: WordSource = .linguistic) throws -> [AlignmentLink] {
        let a = try TinyModel.embed(source), b = try TinyModel.embed(target)
        #expect(WordAlignmentOptions.defaultLayer(layerCount: 2) == .layer(1))
        let options = WordAlignmentOptions(method: method, level: .piece, layer: .layer(1), centroid: try centroid(.layer(1)))
        return WordAlignment(a, words: try WordPieces(encoding: a.encoding, source: words).words,
                             b, words: try WordPieces(encoding: b.encoding, source: words).words, options: options).links
    }

    static func pharaoh(_ links: [AlignmentLink]) -> String { links.map { "\($0.source)-\($0.target)" }.joined(separator: " ") }

    static func write(_ text: String, named name: String) throws -> URL {
        let url = try makeTemporaryFolder("align").appendingPathComponent(name)
        try Data(text.utf8).write(to: url)
        return url
    }

    @Test("SRC TGT prints Pharaoh links of 0-based linguistic word numbers, for each method",
          arguments: AlignmentMethod.allCases)
    func pharaohLinks(method: AlignmentMethod) throws {
        let (source, target) = ("the dogs bark at 犬が吠える。", "a dog barks.")
        let result = try Bertscope.run(["align", "--model", model, "--threads", "1", "--method", method.rawValue, source, target])
        #expect(result.status == 0, "\(result.standardError)")
        let expected = try Self.pharaoh(Self.expectedLinks(source, target, method: method))
        #expect(!expected.isEmpty)
        #expect(result.standardOutput == expected + "\n")
        #expect(result.standardOutput.split(separator: " ").allSatisfy { $0.wholeMatch(of: /\d+-\d+\n?/) != nil })
    }

    @Test("--layer and --json: links, cosines and the words (犬 / が / 吠える are three)")
    func json() throws {
        let result = try Bertscope.run(["align", "--model", model, "--threads", "1", "--layer", "2", "--json", "犬が吠える。", "the dog barks"])
        #expect(result.status == 0, "\(result.standardError)")
        let json = try JSONSerialization.jsonObject(with: Data(result.standardOutput.utf8)) as? [String: Any] ?? [:]
        #expect(json["words_a"] as? [String] == ["犬", "が", "吠える"])
        #expect(json["words_b"] as? [String] == ["the", "dog", "barks"])
        let a = try TinyModel.embed("犬が吠える。"), b = try TinyModel.embed("the dog barks")
        let links = WordAlignment(a, words: try WordPieces(encoding: a.encoding, source: .linguistic).words,
                                  b, words: try WordPieces(encoding: b.encoding, source: .linguistic).words,
                                  options: WordAlignmentOptions(layer: .layer(2), centroid: try Self.centroid(.layer(2)))).links
        #expect(json["links"] as? [[Int]] == links.map { [$0.source, $0.target] })
        let cosines = json["cosines"] as? [Double] ?? []
        #expect(cosines.count == links.count && zip(cosines, links).allSatisfy { abs($0 - $1.cosine) < 1e-12 })
    }

    @Test("--input: one output line per input line, in order; bad lines get an empty line and a numbered error")
    func inputFile() throws {
        let lines = ["the dog ||| a dog barks", "no separator here", "  ||| empty source", "犬が吠える ||| the dog barks", "a ||| b ||| c"]
        let file = try Self.write(lines.joined(separator: "\n") + "\n", named: "pairs.txt")
        let result = try Bertscope.run(["align", "--model", model, "--threads", "1", "--input", file.path])
        #expect(result.status == 1)
        let expected = [try Self.pharaoh(Self.expectedLinks("the dog", "a dog barks")), "", "",
                        try Self.pharaoh(Self.expectedLinks("犬が吠える", "the dog barks")), ""]
        #expect(result.standardOutput == expected.map { $0 + "\n" }.joined())
        #expect(result.standardError.contains("line 2: the line has no \"|||\""))
        #expect(result.standardError.contains("line 3: the line has an empty source"))
        #expect(result.standardError.contains("line 5: the line has more than one \"|||\""))
        #expect(!result.standardError.contains("line 1:") && !result.standardError.contains("line 4:"))
    }

    @Test("--input with more lines than one forward pass takes: every line's links in order, bad lines anywhere")
    func inputAcrossPasses() throws {
        let texts = ["the dog barks", "a cat", "犬が吠える", "dogs and cats", "the mailman", "a dog barks at the cat"]
        let lines = (0..<19).map { index in
            index % 7 == 3 ? "no separator \(index)" : "\(texts[index % texts.count]) ||| \(texts[(index + 1) % texts.count])"
        }
        let file = try Self.write(lines.joined(separator: "\n") + "\n", named: "many.txt")
        let result = try Bertscope.run(["align", "--model", model, "--threads", "2", "--input", file.path])
        #expect(result.status == 1)
        let expected = try lines.map { line in
            let sides = line.components(separatedBy: " ||| ")
            return sides.count == 2 ? try Self.pharaoh(Self.expectedLinks(sides[0], sides[1])) : ""
        }
        #expect(result.standardOutput == expected.map { $0 + "\n" }.joined())
        for bad in [4, 11, 18] { #expect(result.standardError.contains("line \(bad): the line has no \"|||\"")) }
    }

    @Test("--input - reads standard input; invalid UTF-8 is a per-line error")
    func standardInput() throws {
        var input = Data("the dog ||| a dog\n".utf8)
        input.append(contentsOf: [0xFF, 0xFE] + Array(" ||| x\n".utf8))
        let result = try Bertscope.run(["align", "--model", model, "--threads", "1", "--input", "-"], input: input)
        #expect(result.status == 1)
        #expect(result.standardOutput == (try Self.pharaoh(Self.expectedLinks("the dog", "a dog")) + "\n\n"))
        #expect(result.standardError.contains("standard input, line 2: the line is not valid UTF-8"))
    }

    @Test("--input - streams: a line's links come out before the next line is written")
    func streaming() throws {
        let process = Process()
        process.executableURL = Bertscope.executable
        process.arguments = ["align", "--model", model, "--threads", "1", "--input", "-"]
        let input = Pipe(), output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        defer { if process.isRunning { process.terminate() } }
        let firstLine = DispatchSemaphore(value: 0)
        nonisolated(unsafe) var received = Data()
        output.fileHandleForReading.readabilityHandler = { handle in
            received.append(handle.availableData)
            if received.contains(UInt8(ascii: "\n")) { firstLine.signal() }
        }
        input.fileHandleForWriting.write(Data("the dog ||| a dog\n".utf8))
        let answered = firstLine.wait(timeout: .now() + 60) == .success
        output.fileHandleForReading.readabilityHandler = nil
        try input.fileHandleForWriting.close()
        process.waitUntilExit()
        #expect(answered, "no output while standard input was still open")
        #expect(String(decoding: received, as: UTF8.self) == (try Self.pharaoh(Self.expectedLinks("the dog", "a dog")) + "\n"))
    }

    @Test("--pretokenized: the words are the whitespace-separated tokens (punctuation included)")
    func pretokenized() throws {
        let result = try Bertscope.run(["align", "--model", model, "--threads", "1", "--pretokenized", "--json", "the dog , barks .", "a dog"])
        #expect(result.status == 0, "\(result.standardError)")
        let json = try JSONSerialization.jsonObject(with: Data(result.standardOutput.utf8)) as? [String: Any] ?? [:]
        #expect(json["words_a"] as? [String] == ["the", "dog", ",", "barks", "."])
        let links = try Self.expectedLinks("the dog , barks .", "a dog", words: .whitespace)
        #expect(json["links"] as? [[Int]] == links.map { [$0.source, $0.target] })
    }

    @Test("--gold: precision, recall, F1 and AER over the file; --json has exactly those keys; a bad gold line is skipped")
    func gold() throws {
        let pairs = ["the dog barks ||| a dog barks", "dogs bark ||| the dogs", "the dog ||| a dog"]
        let input = try Self.write(pairs.joined(separator: "\n") + "\n", named: "pairs.txt")
        // Line 3 links word 5, which the source does not have.
        let goldLines = ["0-0 1-1 2p2", "0-1 1p0", "5-0"]
        let gold = try Self.write(goldLines.joined(separator: "\n") + "\n", named: "gold.txt")
        let result = try Bertscope.run(["align", "--model", model, "--threads", "1", "--input", input.path, "--gold", gold.path, "--json"])
        #expect(result.status == 1)
        #expect(result.standardError.contains("line 3: link \"5-0\" is out of range"))
        var score = AlignmentScore()
        for (pair, goldLine) in zip(pairs.prefix(2), goldLines) {
            let sides = pair.components(separatedBy: " ||| ")
            let links = try Self.expectedLinks(sides[0], sides[1])
            score.add(links, gold: try GoldAlignment(Substring(goldLine), oneBased: false, sourceWords: 3, targetWords: 3))
        }
        let json = try JSONSerialization.jsonObject(with: Data(result.standardOutput.utf8)) as? [String: Double] ?? [:]
        #expect(Set(json.keys) == ["precision", "recall", "f1", "aer"])
        #expect(json["precision"] == score.precision && json["recall"] == score.recall)
        #expect(json["f1"] == score.f1 && json["aer"] == score.alignmentErrorRate)

        let oneBased = try Self.write("1-1 2-2 3p3\n", named: "gold1.txt")
        let text = try Bertscope.run(["align", "--model", model, "--threads", "1", "--gold", oneBased.path, "--gold-one-based",
                                      "the dog barks", "a dog barks"])
        #expect(text.status == 0, "\(text.standardError)")
        var single = AlignmentScore()
        single.add(try Self.expectedLinks("the dog barks", "a dog barks"),
                   gold: try GoldAlignment("1-1 2-2 3p3", oneBased: true, sourceWords: 3, targetWords: 3))
        #expect(text.standardOutput.contains(String(format: "aer %.4f", single.alignmentErrorRate)))
        #expect(text.standardOutput.contains(String(format: "precision %.4f", single.precision)))
    }

    @Test("--level word, --distortion, --layer (one or A-B) and centring (the default; --no-centre) reach the library's options")
    func options() throws {
        let (source, target) = ("the dogs bark at the cat", "a dog barks at 犬 and a cat")
        let a = try TinyModel.embed(source), b = try TinyModel.embed(target)
        let wordsA = try WordPieces(encoding: a.encoding, source: .linguistic).words
        let wordsB = try WordPieces(encoding: b.encoding, source: .linguistic).words
        let cases: [([String], WordAlignmentOptions)] = [
            (["--level", "word", "--method", "itermax", "--no-centre"], WordAlignmentOptions(method: .itermax, level: .word, layer: .layer(1))),
            (["--distortion", "0.5", "--no-centre"], WordAlignmentOptions(layer: .layer(1), distortion: 0.5)),
            (["--layer", "2"], WordAlignmentOptions(layer: .layer(2), centroid: try Self.centroid(.layer(2)))),
            (["--centre", "--layer", "1"], WordAlignmentOptions(layer: .layer(1), centroid: try Self.centroid(.layer(1)))),
            (["--no-centre"], WordAlignmentOptions(layer: .layer(1))),
            (["--layer", "1-2", "--no-centre"], WordAlignmentOptions(layer: .sum(1...2))),
            (["--layer", "0-1"], WordAlignmentOptions(layer: .sum(0...1), centroid: try Self.centroid(.sum(0...1)))),
        ]
        for (arguments, options) in cases {
            let result = try Bertscope.run(["align", "--model", model, "--threads", "1"] + arguments + [source, target])
            #expect(result.status == 0, "\(result.standardError)")
            let expected = Self.pharaoh(WordAlignment(a, words: wordsA, b, words: wordsB, options: options).links)
            #expect(result.standardOutput == expected + "\n", "\(arguments)")
        }
        let negative = try Bertscope.run(["align", "--model", model, "--distortion=-1", "a", "b"])
        #expect(negative.status != 0 && negative.standardError.contains("--distortion must be 0 or more"))
    }

    @Test("usage errors: no texts, both texts and --input, --gold-one-based without --gold, a bad layer")
    func usageErrors() throws {
        #expect(try Bertscope.run(["align", "--model", model, "one"]).standardError.contains("give SRC and TGT, or --input FILE"))
        #expect(try Bertscope.run(["align", "--model", model, "--input", "-", "a", "b"]).standardError.contains("not both"))
        #expect(try Bertscope.run(["align", "--model", model, "--gold-one-based", "a", "b"]).standardError.contains("needs --gold"))
        for bad in ["9", "2-1", "1-1", "1-3", "1-", "a-b", "0-1-2"] {
            let layer = try Bertscope.run(["align", "--model", model, "--layer", bad, "a", "b"])
            #expect(layer.status != 0 && layer.standardError.contains("--layer: \"\(bad)\" is not a layer; use 0...2, last, last4, or A-B with A < B"))
        }
        let missing = try Bertscope.run(["align", "--model", model, "--input", "/nonexistent/pairs.txt"])
        #expect(missing.status != 0 && missing.standardError.contains("cannot open /nonexistent/pairs.txt"))
    }

    @Test("the default layers: 5-8 of 12 (up to SimAlign's 8), the same shares of other depths, one layer when too shallow for a range")
    func defaultLayers() {
        #expect(WordAlignmentOptions.defaultLayer(layerCount: 12) == .sum(5...8))
        #expect(WordAlignmentOptions.defaultLayer(layerCount: 24) == .sum(10...16))
        #expect(WordAlignmentOptions.defaultLayer(layerCount: 6) == .sum(3...4))
        #expect(WordAlignmentOptions.defaultLayer(layerCount: 2) == .layer(1))
        #expect(WordAlignmentOptions.defaultLayer(layerCount: 1) == .layer(1))
    }

    @Test("multilingual-e5-small aligns the issue's example: the Japanese sentence is words, and 犬 links with dog")
    func realModel() throws {
        let folder = try TestPaths.require(TestPaths.e5Model, madeBy: "scripts/fetch_test_assets.sh").deletingLastPathComponent()
        let result = try Bertscope.run(["align", "--model", folder.path, "--json", "The dog barks at the mailman.", "犬が郵便配達員に吠える。"])
        #expect(result.status == 0, "\(result.standardError)")
        let json = try JSONSerialization.jsonObject(with: Data(result.standardOutput.utf8)) as? [String: Any] ?? [:]
        #expect(json["words_b"] as? [String] == ["犬", "が", "郵便", "配達員", "に", "吠える"])
        let links = (json["links"] as? [[Int]] ?? []).map { "\($0[0])-\($0[1])" }
        #expect(links.contains("1-0"), "dog-犬 in \(links)")
    }
}
