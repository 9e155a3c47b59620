import ArgumentParser
import BertEngine
import Embeddings
import Export
import Foundation
import Tokenization

struct AlignCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "align",
        abstract: "Word alignment of two texts by SimAlign's methods, as Pharaoh links (i-j, 0-based word numbers).",
        discussion: """
            Words are ICU's word boundaries (spaces and punctuation are not words), or with --pretokenized the \
            whitespace-separated tokens. On the cosine matrix of the two texts' vectors at --layer (by default the \
            sum of layers 5-8 of 12, centred; SimAlign's own configuration is --layer 8 --no-centre): argmax links \
            pairs that are each other's best match, itermax adds such pairs among the words left unaligned \
            (α 0.9, two rounds), match takes the maximum-weight bipartite matching. --level piece links two words \
            when any of their pieces are linked; --level word compares mean-pooled word vectors. \
            --input FILE (or -) reads one "SRC ||| TGT" pair per line and writes one line of links per input \
            line, in order. --gold FILE (one line of links per pair: i-j sure, ipj possible) prints precision, \
            recall, F1 and AER instead of the links. A bad line is reported on standard error with its number, \
            gets an empty output line, and the command ends with status 1. With --json: one object per pair \
            (links, words_a, words_b, cosines), or with --gold one object with precision, recall, f1, aer.
            """
    )

    @OptionGroup var options: EncoderOptions

    @Option(name: .long, help: "Hidden state: 0 (embeddings) to N, last, last4 (sum of the last four), or A-B (sum of layers A to B). Default: 5-8 of 12 layers, the same shares of other depths (SimAlign's is 8).")
    var layer: String?

    @Option(name: .long, help: "argmax, itermax or match.")
    var method: AlignmentMethod = .argmax

    @Option(name: .long, help: "piece (a word pair is linked when any of their pieces are) or word (mean-pooled word vectors).")
    var level: AlignmentLevel = .piece

    @Option(name: .long, help: "SimAlign's distortion ratio (0: none; they use 0.5): lowers similarities far from the diagonal.")
    var distortion: Double = 0

    @Flag(name: .customLong("centre"), inversion: .prefixedNo,
          help: "Subtract the mean word vector of reference sentences before the cosines (default; --no-centre is SimAlign's way).")
    var centre = true

    @Flag(name: .long, help: "Words are the whitespace-separated tokens of each side.")
    var pretokenized = false

    @Option(name: .long, help: "A file of \"SRC ||| TGT\" lines, or - for standard input.")
    var input: String?

    @Option(name: .long, help: "Reference links, one line per pair (i-j sure, ipj possible): print precision, recall, F1 and AER.")
    var gold: String?

    @Flag(name: .customLong("gold-one-based"), help: "The --gold file numbers words from 1.")
    var goldOneBased = false

    @Flag(name: .long, help: "Write JSON.")
    var json = false

    @Argument(help: "The source text.")
    var source: String?

    @Argument(help: "The target text.")
    var target: String?

    func validate() throws {
        if input == nil && (source == nil || target == nil) { throw ValidationError("give SRC and TGT, or --input FILE") }
        if input != nil && source != nil { throw ValidationError("give either SRC TGT or --input FILE, not both") }
        if goldOneBased && gold == nil { throw ValidationError("--gold-one-based needs --gold FILE") }
        if !(distortion >= 0) { throw ValidationError("--distortion must be 0 or more") }
    }

    func run() throws {
        let loaded = try loadModel(options.model, precision: options.precision)
        let layerCount = loaded.model.config.layerCount
        let choice: LayerChoice
        if let layer {
            guard let parsed = LayerChoice(layer, layerCount: layerCount) else {
                throw UserError("--layer: \"\(layer)\" is not a layer; use 0...\(layerCount), last, last4, or A-B with A < B")
            }
            choice = parsed
        } else {
            choice = WordAlignmentOptions.defaultLayer(layerCount: layerCount)
        }
        // The pass stops at the highest hidden state the alignment reads.
        let throughLayer = choice.layers(layerCount: layerCount).upperBound
        var centroid: [Float]?
        if centre {
            let sentences = try baselineSentences()
            centroid = try reportingEngineErrors {
                try Baseline(sentences: sentences, tokenizer: loaded.tokenizer, model: loaded.model, layer: choice, pooling: .mean,
                             throughLayer: throughLayer, threads: options.threads).centroid
            }
        }
        let aligner = PairAligner(loaded: loaded, threads: options.threads, throughLayer: throughLayer,
                                  words: pretokenized ? WordSource.whitespace : .linguistic,
                                  options: WordAlignmentOptions(method: method, level: level, layer: choice, distortion: distortion, centroid: centroid))
        var goldReader = try gold.map { try LineReader(path: $0) }
        var score = AlignmentScore()
        var failures = 0
        let inputName = input == "-" ? "standard input" : (input ?? "the command line")

        let goldName = gold ?? ""
        /// Writes one aligned pair (or scores it against its gold line), returning its number of links; a
        /// problem with the line is reported and counted.
        func process(_ aligned: Result<PairAligner.Result, LineError>, line: Int) throws -> Int {
            var goldLine: Result<String, LineError>?
            if goldReader != nil {
                // Optional chaining reads the reader in place (a copy would copy its buffer).
                if let bytes = try goldReader?.next() {
                    goldLine = String(validating: bytes, as: UTF8.self).map { .success($0) } ?? .failure(LineError("line \(line) is not valid UTF-8"))
                } else {
                    goldLine = .failure(LineError("has no line \(line)"))
                }
            }
            do {
                let result = try aligned.get()
                for (side, text) in [("source", result.source), ("target", result.target)] where text.encoding.truncation.isTruncated {
                    printError("\(inputName), line \(line): warning: the \(side) was cut to \(loaded.model.config.maxPositions) positions; its later words are not aligned")
                }
                if let goldLine {
                    do {
                        let reference = try GoldAlignment(Substring(try goldLine.get()), oneBased: goldOneBased,
                                                          sourceWords: result.sourceWords.wordCount, targetWords: result.targetWords.wordCount)
                        score.add(result.alignment.links, gold: reference)
                    } catch let error as GoldAlignment.ParseError {
                        throw LineError("in \(goldName), line \(line): \(error.description)", inGold: true)
                    } catch let error as LineError {
                        throw LineError("\(goldName) \(error.reason)", inGold: true)
                    }
                } else {
                    writeLine(json ? Self.json(result) : Self.pharaoh(result.alignment.links))
                }
                return result.alignment.links.count
            } catch let error as LineError {
                failures += 1
                printError(error.inGold ? "\(error.reason); pair skipped" : "\(inputName), line \(line): the line \(error.reason); skipped")
                // One output line per input line, so a reader can pair them up.
                if goldReader == nil { writeLine(json ? "{}" : "") }
                return 0
            }
        }

        if let input {
            var reader = try LineReader(path: input)
            let lines = try Self.lineCount(input)
            let progress = ProgressLine(total: lines, label: "align", items: "pairs", rows: "links")
            // The pairs of a file go through the encoder several at a time (larger products use the threads
            // better); a pipe's one at a time, so each line's links come as soon as it is read.
            let batchSize = lines == nil ? 1 : Self.pairsPerPass
            var links = 0
            var done = false
            while !done {
                var batch = [Result<(String, String), LineError>]()
                while batch.count < batchSize, let bytes = try reader.next() { batch.append(Self.parsePair(bytes)) }
                done = batch.count < batchSize
                var aligned = try aligner.align(batch.compactMap { try? $0.get() }).makeIterator()
                let first = reader.lineNumber - batch.count + 1
                for (offset, pair) in batch.enumerated() {
                    links += try process(pair.map { _ in aligned.next()! }, line: first + offset)
                }
                progress.update(texts: reader.lineNumber, rows: links)
            }
            progress.finish()
        } else if let source, let target {
            _ = try process(.success(try aligner.align([(source, target)])[0]), line: 1)
        }
        if gold != nil {
            if let extra = try goldReader?.next(), !extra.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) {
                printError("warning: \(goldName) has more lines than the input; the rest were not compared")
            }
            writeLine(json ? Self.json(score) : Self.table(score))
        }
        if failures > 0 { throw ExitCode(1) }
    }

    /// How many pairs of a file share one forward pass.
    static let pairsPerPass = 8

    /// One "SRC ||| TGT" line.
    static func parsePair(_ bytes: [UInt8]) -> Result<(String, String), LineError> {
        guard let line = String(validating: bytes, as: UTF8.self) else { return .failure(LineError("is not valid UTF-8")) }
        let sides = line.components(separatedBy: "|||")
        guard sides.count == 2 else {
            return .failure(LineError(sides.count == 1 ? "has no \"|||\" between source and target" : "has more than one \"|||\""))
        }
        let source = sides[0].trimmingCharacters(in: .whitespaces), target = sides[1].trimmingCharacters(in: .whitespaces)
        guard !source.isEmpty, !target.isEmpty else { return .failure(LineError("has an empty \(source.isEmpty ? "source" : "target")")) }
        return .success((source, target))
    }

    /// The lines of a regular file, for the progress bar (nil for standard input or a pipe, which counting
    /// would consume).
    static func lineCount(_ path: String) throws -> Int? {
        let type = path == "-" ? nil : (try? FileManager.default.attributesOfItem(atPath: path))?[.type] as? FileAttributeType
        guard type == .typeRegular else { return nil }
        var counter = try LineReader(path: path)
        var count = 0
        while (try counter.next()) != nil { count += 1 }
        return count
    }

    static func pharaoh(_ links: [AlignmentLink]) -> String {
        links.map { "\($0.source)-\($0.target)" }.joined(separator: " ")
    }

    static func json(_ result: PairAligner.Result) -> String {
        var writer = JSONWriter()
        writer.beginObject()
        writer.key("links")
        writer.beginArray()
        for link in result.alignment.links { writer.ints([link.source, link.target]) }
        writer.endArray()
        writer.key("cosines")
        writer.beginArray()
        for link in result.alignment.links { writer.double(link.cosine) }
        writer.endArray()
        for (key, words) in [("words_a", result.sourceWords), ("words_b", result.targetWords)] {
            writer.key(key)
            writer.beginArray()
            for word in words.words { writer.string(word.text) }
            writer.endArray()
        }
        writer.endObject()
        return writer.text
    }

    static func json(_ score: AlignmentScore) -> String {
        var writer = JSONWriter()
        writer.beginObject()
        writer.key("precision"); writer.double(score.precision)
        writer.key("recall"); writer.double(score.recall)
        writer.key("f1"); writer.double(score.f1)
        writer.key("aer"); writer.double(score.alignmentErrorRate)
        writer.endObject()
        return writer.text
    }

    static func table(_ score: AlignmentScore) -> String {
        [("precision", score.precision), ("recall", score.recall), ("f1", score.f1), ("aer", score.alignmentErrorRate)]
            .map { "\($0.0) \(String(format: "%.4f", $0.1))" }.joined(separator: "\n")
    }
}

/// What is wrong with one input line (or its gold line).
struct LineError: Error {
    var reason: String
    var inGold = false
    init(_ reason: String, inGold: Bool = false) {
        self.reason = reason
        self.inGold = inGold
    }
}

/// Embeds pairs of texts, finds their words and aligns them.
struct PairAligner {
    var loaded: LoadedModel
    var threads: Int
    /// The highest hidden state the options read: the forward pass stops there.
    var throughLayer: Int
    var words: WordSource
    var options: WordAlignmentOptions

    struct Result {
        var source: EmbeddedText
        var target: EmbeddedText
        var sourceWords: WordPieces
        var targetWords: WordPieces
        var alignment: WordAlignment
    }

    /// Every text of `pairs` in one forward pass (packed without padding, so each gets the vectors it gets
    /// alone), then each pair's alignment, in order.
    func align(_ pairs: [(String, String)]) throws -> [Result] {
        guard !pairs.isEmpty else { return [] }
        return try reportingEngineErrors {
            let encodings = pairs.flatMap { [$0.0, $0.1] }.map { loaded.tokenizer.encode($0, pair: nil, maxLength: loaded.model.config.maxPositions) }
            let outputs = try loaded.model.forward(encodings.map { ModelInput(ids: $0.ids, typeIds: $0.typeIds) },
                                                   throughLayer: throughLayer, threads: threads)
            return try pairs.indices.map { index in
                let source = EmbeddedText(encoding: encodings[2 * index], output: outputs[2 * index])
                let target = EmbeddedText(encoding: encodings[2 * index + 1], output: outputs[2 * index + 1])
                let sourceWords = try WordPieces(encoding: source.encoding, source: words)
                let targetWords = try WordPieces(encoding: target.encoding, source: words)
                let alignment = WordAlignment(source, words: sourceWords.words, target, words: targetWords.words, options: options)
                return Result(source: source, target: target, sourceWords: sourceWords, targetWords: targetWords, alignment: alignment)
            }
        }
    }
}

extension AlignmentMethod: ExpressibleByArgument {}
extension AlignmentLevel: ExpressibleByArgument {}
