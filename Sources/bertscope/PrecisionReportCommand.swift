import ArgumentParser
import BertEngine
import Export
import Foundation

struct PrecisionReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "precision-report",
        abstract: "How far bf16 and int8 move the encoder's vectors from f32: per layer, min and mean cosine and max |diff|.",
        discussion: """
            Loads the model at f32 and at each --precision (bf16 and int8 unless given), runs every text through each, and \
            compares every token's hidden state at every layer (0 = embeddings) with its f32 vector: the lowest and the \
            mean cosine over all tokens and the largest absolute difference of any value. With a masked-LM head, also the \
            share of token positions whose top-1 MLM prediction equals f32's.
            --json writes one object: model, texts, tokens, kernels, f32_linear_weight_bytes, precisions [{precision, \
            linear_weight_bytes, mlm_top1_agreement (null without a masked-LM head), layers [{layer, min_cosine, \
            mean_cosine, max_abs_diff}]}]; with --tokens each precision also has tokens [{text, position, piece, cosines}]: \
            every token's cosine to its f32 vector at every layer, as the explorer's Vector pane shows it.
            """
    )

    @OptionGroup var source: ModelOption

    @Option(name: .long, help: "Threads for the encoder (matrix products and attention).")
    var threads: Int = ProcessInfo.processInfo.activeProcessorCount

    @Option(name: .long, help: ArgumentHelp("A precision to compare with f32 (repeat for several; default bf16 and int8).",
                                            valueName: "f32|bf16|int8"))
    var precision: [Precision] = []

    @Option(name: .long, help: "Read inputs from a JSON Lines file ({\"id\", \"text\", \"pair\"}), or - for standard input.")
    var jsonl: String?

    @Option(name: .long, help: ArgumentHelp(encoderMaxLengthHelp))
    var maxLength: Int?

    @Flag(name: .long, help: "Also every token's cosine to its f32 vector at every layer (the explorer's Vector pane at bf16 or int8).")
    var tokens = false

    @Flag(name: .long, help: "Write one JSON object.")
    var json = false

    @Argument(help: "Texts to compare on.")
    var texts: [String] = []

    func validate() throws {
        if threads < 1 { throw ValidationError("--threads must be at least 1") }
        try validateTextInput(jsonl: jsonl, texts: texts, verb: "compare", maxLength: maxLength)
    }

    /// One compared precision's model and what it measured so far.
    private struct Comparison {
        var precision: Precision
        var model: BertModel
        var fidelity = PrecisionFidelity()
        var agreeingPredictions = 0
    }

    func run() throws {
        let resolved = try resolveModel(source.model, needs: .weights)
        let reference = try loadModel(resolved, precision: .f32)
        var comparisons = try (precision.isEmpty ? [.bf16, .int8] : precision).map { precision in
            Comparison(precision: precision, model: try loadModel(resolved, precision: precision).model)
        }
        let limit = positionLimit(maxLength, modelPositions: reference.model.config.maxPositions)
        let hasMaskedLM = reference.model.hasMaskedLMHead
        var (textCount, tokenCount) = (0, 0)
        // Every compared token in the order the fidelity's cosines are kept: which text, where, which piece.
        var pieces = [(text: Int, position: Int, piece: String)]()
        func compare(_ text: String, pair: String?) throws {
            let encoding = try encode(reference.tokenizer, text, pair: pair, maxLength: limit)
            pieces += encoding.tokens.enumerated().map { (textCount, $0.offset, $0.element) }
            let input = [ModelInput(ids: encoding.ids, typeIds: encoding.typeIds)]
            try reportingEngineErrors {
                let expected = try reference.model.forward(input, threads: threads)
                let positions = Array(0..<encoding.count)
                let expectedTop = hasMaskedLM ? try topPredictions(reference.model, expected[0], positions) : []
                for index in comparisons.indices {
                    let output = try comparisons[index].model.forward(input, threads: threads)
                    comparisons[index].fidelity.append(PrecisionFidelity(reference: expected, compared: output))
                    if hasMaskedLM {
                        let top = try topPredictions(comparisons[index].model, output[0], positions)
                        comparisons[index].agreeingPredictions += zip(expectedTop, top).filter { $0 == $1 }.count
                    }
                }
            }
            textCount += 1
            tokenCount += encoding.count
        }
        if let jsonl {
            try forEachJSONLRecord(in: jsonl) { record in try compare(record.text, pair: record.pair) }
        } else {
            for text in texts { try compare(text, pair: nil) }
        }
        let agreement = { (comparison: Comparison) in
            hasMaskedLM && tokenCount > 0 ? Double(comparison.agreeingPredictions) / Double(tokenCount) : nil
        }
        if json {
            var writer = JSONWriter()
            writer.beginObject()
            writer.key("model"); writer.string(resolved.name)
            writer.key("texts"); writer.int(textCount)
            writer.key("tokens"); writer.int(tokenCount)
            writer.key("kernels"); writer.string(BertModel.kernelName)
            writer.key("f32_linear_weight_bytes"); writer.int(reference.model.linearWeightBytes)
            writer.key("precisions")
            writer.beginArray()
            for comparison in comparisons {
                writer.beginObject()
                writer.key("precision"); writer.string(comparison.precision.rawValue)
                writer.key("linear_weight_bytes"); writer.int(comparison.model.linearWeightBytes)
                writer.key("mlm_top1_agreement"); writer.double(agreement(comparison))
                writer.key("layers")
                writer.beginArray()
                for layer in comparison.fidelity.layers {
                    writer.beginObject()
                    writer.key("layer"); writer.int(layer.index)
                    writer.key("min_cosine"); writer.double(layer.minCosine)
                    writer.key("mean_cosine"); writer.double(layer.meanCosine)
                    writer.key("max_abs_diff"); writer.double(layer.maxAbsDifference)
                    writer.endObject()
                }
                writer.endArray()
                if tokens {
                    writer.key("tokens")
                    writer.beginArray()
                    for (index, piece) in pieces.enumerated() {
                        writer.beginObject()
                        writer.key("text"); writer.int(piece.text)
                        writer.key("position"); writer.int(piece.position)
                        writer.key("piece"); writer.string(piece.piece)
                        writer.key("cosines")
                        writer.beginArray()
                        for layer in comparison.fidelity.layers { writer.double(layer.cosines[index]) }
                        writer.endArray()
                        writer.endObject()
                    }
                    writer.endArray()
                }
                writer.endObject()
            }
            writer.endArray()
            writer.endObject()
            writeLine(writer.text)
            return
        }
        writeLine("\(resolved.name): \(textCount) text\(textCount == 1 ? "" : "s"), \(tokenCount) tokens; kernels \(BertModel.kernelName); "
                  + "each precision's hidden states against f32's (cosine per token, largest |diff|)")
        for comparison in comparisons {
            writeLine("")
            let bytes = comparison.model.linearWeightBytes
            writeLine("\(comparison.precision.rawValue): linear weights \(ByteCount.text(Int64(bytes))) "
                      + "(f32 \(ByteCount.text(Int64(reference.model.linearWeightBytes))))"
                      + (agreement(comparison).map { String(format: "; MLM top-1 agrees with f32 at %.1f%% of tokens", $0 * 100) } ?? ""))
            writeLine("  layer  min cosine  mean cosine  max |diff|")
            for layer in comparison.fidelity.layers {
                writeLine(String(format: "  %5d  %10.6f  %11.6f  %10.3g", layer.index, layer.minCosine, layer.meanCosine, layer.maxAbsDifference))
            }
            if tokens {
                writeLine("  text position piece: cosine to f32 at layers 0...\(comparison.fidelity.layers.count - 1)")
                for (index, piece) in pieces.enumerated() {
                    let cosines = comparison.fidelity.layers.map { String(format: "%.6f", $0.cosines[index]) }
                    writeLine("  \(piece.text) \(piece.position) \(piece.piece): " + cosines.joined(separator: " "))
                }
            }
        }
    }

    /// The top-1 masked-LM prediction at each position of one sequence.
    private func topPredictions(_ model: BertModel, _ output: ModelOutput, _ positions: [Int]) throws -> [Int] {
        try model.maskedLMPredictions(lastHiddenState: output.lastHiddenState, positions: positions, topK: 1).map { $0[0].id }
    }
}
