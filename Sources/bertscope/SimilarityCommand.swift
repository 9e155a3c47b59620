import ArgumentParser
import BertEngine
import Embeddings
import Export
import Foundation
import TerminalUI

struct SimilarityCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "similarity",
        abstract: "Compare two texts: the sentence cosine and every word of one against every word of the other.",
        discussion: """
            The sentence cosine is between the mean of each text's piece vectors at --layer. Words are ICU's \
            word boundaries (in every script; spaces and punctuation are not words). The word matrix \
            holds cosine(word i of TEXT_A, word j of TEXT_B), each word's vector pooled from its pieces with \
            --pooling; * marks each row's best match. BERT's vectors share a common direction, so raw cosines \
            of unrelated words are high: --centre subtracts the mean word vector of a set of reference \
            sentences first and prints that baseline. With --json: one object with sentence_cosine, \
            pooler_cosine, model_sentence_cosine (between the model's own sentence vectors where the folder is a \
            sentence-transformers model, else null) and model_sentence_vector (how those are made), words_a, words_b, word_spans_a, word_spans_b (Unicode scalar offsets), matrix, best_match_a, best_match_b, layer, pooling, centred.
            """
    )

    @OptionGroup var options: EncoderOptions

    @Option(name: .long, help: "Hidden state to compare: 0 (embeddings) to N, last, last4 (sum of the last four), or A-B (sum of layers A to B).")
    var layer: String = "last"

    @Option(name: .long, help: "How a word's pieces are pooled: first, mean, max or sum.")
    var pooling: Pooling = .mean

    @Flag(name: .customLong("centre"), help: "Subtract the mean word vector of reference sentences before the cosines.")
    var centre = false

    @Flag(name: .long, help: "Write one JSON object.")
    var json = false

    @Argument(help: "The first text.")
    var textA: String

    @Argument(help: "The second text.")
    var textB: String

    func validate() throws {
    }

    func run() throws {
        let loaded = try loadModel(options.model, precision: options.precision)
        let layerCount = loaded.model.config.layerCount
        guard let choice = LayerChoice(layer, layerCount: layerCount) else {
            throw UserError("--layer: \"\(layer)\" is not a layer; use 0...\(layerCount), last, last4, or A-B with A < B")
        }
        var modelSentenceCosine: Double?
        let (similarity, baseline) = try reportingEngineErrors { () throws -> (CrossSimilarity, Baseline?) in
            let a = try EmbeddedText(textA, tokenizer: loaded.tokenizer, model: loaded.model, threads: options.threads)
            let b = try EmbeddedText(textB, tokenizer: loaded.tokenizer, model: loaded.model, threads: options.threads)
            for (name, text) in [("TEXT_A", a), ("TEXT_B", b)] where text.encoding.truncation.isTruncated {
                printError("warning: \(name) was cut to \(loaded.model.config.maxPositions) positions; its later words are not compared")
            }
            if let vectorA = loaded.modelSentenceVector(a.output, prompt: nil), let vectorB = loaded.modelSentenceVector(b.output, prompt: nil) {
                modelSentenceCosine = VectorMath.cosine(vectorA, vectorB)
            }
            let baseline = centre
                ? try Baseline(sentences: baselineSentences(), tokenizer: loaded.tokenizer, model: loaded.model, layer: choice, pooling: pooling, threads: options.threads)
                : nil
            return (try CrossSimilarity(a, b, words: .linguistic, layer: choice, pooling: pooling, centroid: baseline?.centroid), baseline)
        }
        let modelSentence = modelSentenceCosine.map { (cosine: $0, modules: loaded.sentenceModules!.summary) }
        if json {
            writeLine(Self.json(similarity, modelSentence: modelSentence, layer: choice, pooling: pooling, baseline: baseline))
        } else {
            writeLine(Self.table(similarity, modelSentence: modelSentence, layer: choice, pooling: pooling, baseline: baseline))
        }
    }

    /// The cosine of the model's own sentence vectors, and how they are made.
    typealias ModelSentence = (cosine: Double, modules: String)

    static func json(_ similarity: CrossSimilarity, modelSentence: ModelSentence?, layer: LayerChoice, pooling: Pooling, baseline: Baseline?) -> String {
        var writer = JSONWriter()
        writer.beginObject()
        writer.key("sentence_cosine"); writer.double(similarity.sentenceCosine)
        writer.key("pooler_cosine"); writer.double(similarity.poolerCosine)
        writer.key("model_sentence_cosine"); writer.double(modelSentence?.cosine)
        writer.key("model_sentence_vector")
        if let modelSentence { writer.string("sentence-transformers modules: " + modelSentence.modules) } else { writer.null() }
        for (key, words) in [("words_a", similarity.wordsA), ("words_b", similarity.wordsB)] {
            writer.key(key)
            writer.beginArray()
            for word in words { writer.string(word.text) }
            writer.endArray()
            writer.key("word_spans_" + key.suffix(1))
            writer.beginArray()
            for word in words { writer.ints([word.span.start, word.span.end]) }
            writer.endArray()
        }
        writer.key("matrix")
        writer.beginArray()
        for row in similarity.matrix {
            writer.beginArray()
            for value in row { writer.double(value) }
            writer.endArray()
        }
        writer.endArray()
        writer.key("best_match_a"); writer.ints(similarity.wordsB.isEmpty ? [] : similarity.bestMatchesA)
        writer.key("best_match_b"); writer.ints(similarity.wordsA.isEmpty ? [] : similarity.bestMatchesB)
        writer.key("layer")
        if case .layer(let index) = layer { writer.int(index) } else { writer.string(layer.exportLabel) }
        writer.key("pooling"); writer.string(pooling.rawValue)
        writer.key("centred"); writer.bool(baseline != nil)
        if let baseline {
            writer.key("baseline")
            writer.beginObject()
            writer.key("mean_cosine"); writer.double(baseline.meanCosine)
            writer.key("centred_mean_cosine"); writer.double(baseline.centredMeanCosine)
            writer.endObject()
        }
        writer.endObject()
        return writer.text
    }

    /// The matrix as an aligned table (column widths in terminal cells, so CJK words line up), then each
    /// word's best match.
    static func table(_ similarity: CrossSimilarity, modelSentence: ModelSentence?, layer: LayerChoice, pooling: Pooling, baseline: Baseline?) -> String {
        func cosine(_ value: Double) -> String { String(format: "%.3f", value) }
        var lines = [String]()
        if let modelSentence {
            lines.append("sentence cosine (the model's own sentence vector: \(modelSentence.modules)): \(cosine(modelSentence.cosine))")
        }
        lines.append("sentence cosine (mean of the pieces, \(layer)): \(cosine(similarity.sentenceCosine))")
        if let pooler = similarity.poolerCosine { lines.append("pooler cosine: \(cosine(pooler))") }
        if let baseline {
            lines.append("centred: unrelated words average \(cosine(baseline.meanCosine)) raw, \(cosine(baseline.centredMeanCosine)) centred")
        }
        let wordsA = similarity.wordsA.map(\.text), wordsB = similarity.wordsB.map(\.text)
        guard !wordsA.isEmpty && !wordsB.isEmpty else {
            lines.append("(no words to compare in \(wordsA.isEmpty ? "the first" : "the second") text)")
            return lines.joined(separator: "\n")
        }
        let labelWidth = min(24, max(4, wordsA.map { DisplayWidth.of($0) }.max() ?? 0))
        // At least 7 cells: a best-match mark and a cosine down to "-1.000" are never cut; long words are.
        let columnWidths = wordsB.map { min(16, max(7, DisplayWidth.of($0))) }
        lines.append("")
        lines.append("word cosines (\(pooling.rawValue) of the pieces; * = best match in the row):")
        var header = String(repeating: " ", count: labelWidth)
        for (word, width) in zip(wordsB, columnWidths) { header += "  " + rightAligned(word, width) }
        lines.append(header)
        let bestA = similarity.bestMatchesA
        for (row, word) in wordsA.enumerated() {
            var line = DisplayWidth.padded(word, to: labelWidth)
            for (column, width) in columnWidths.enumerated() {
                let mark = bestA[row] == column ? "*" : " "
                line += "  " + rightAligned(mark + cosine(similarity.matrix[row][column]), width)
            }
            lines.append(line)
        }
        lines.append("")
        lines.append("best matches:")
        let bestB = similarity.bestMatchesB
        for (row, word) in wordsA.enumerated() {
            lines.append("  A \(word) -> \(wordsB[bestA[row]]) \(cosine(similarity.matrix[row][bestA[row]]))")
        }
        for (column, word) in wordsB.enumerated() {
            lines.append("  B \(word) -> \(wordsA[bestB[column]]) \(cosine(similarity.matrix[bestB[column]][column]))")
        }
        return lines.joined(separator: "\n")
    }

    /// `text` right-aligned in `width` terminal cells (cut, with "…", if wider).
    private static func rightAligned(_ text: String, _ width: Int) -> String {
        let cells = DisplayWidth.of(text)
        guard cells < width else { return DisplayWidth.padded(text, to: width) }
        return String(repeating: " ", count: width - cells) + text
    }
}

extension Pooling: ExpressibleByArgument {}
