import ArgumentParser
import BertEngine
import Export
import Foundation
import TerminalUI
import Tokenization

struct FillMaskCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fill-mask",
        abstract: "Predict the tokens behind each [MASK] with the checkpoint's masked-LM head."
    )

    @OptionGroup var options: EncoderOptions

    @Option(name: .long, help: "Predictions per mask.")
    var topK: Int = 5

    @Flag(name: .long, help: "Write one JSON object.")
    var json = false

    @Argument(help: "Text with one or more mask tokens ([MASK] for BERT).")
    var text: String

    func validate() throws {
        if topK < 1 { throw ValidationError("--top-k must be at least 1") }
    }

    func run() throws {
        let loaded = try loadModel(options.model, precision: options.precision)
        guard loaded.model.hasMaskedLMHead else {
            throw UserError("\(loaded.resolved.name) has no masked-LM head (cls.predictions.*), so it cannot fill masks")
        }
        let encoding = loaded.tokenizer.encode(text, pair: nil, maxLength: loaded.model.config.maxPositions)
        guard let maskId = loaded.tokenizer.maskTokenId else { throw UserError("the vocabulary has no mask token") }
        let positions = encoding.ids.indices.filter { encoding.ids[$0] == maskId }
        guard !positions.isEmpty else {
            throw UserError("the text has no \(loaded.tokenizer.maskToken ?? "mask token"); write it where a word should be predicted")
        }
        let predictions: [[(id: Int, probability: Float)]]
        do {
            let output = try loaded.model.forward([ModelInput(ids: encoding.ids, typeIds: encoding.typeIds)], threads: options.threads)[0]
            predictions = try loaded.model.maskedLMPredictions(
                lastHiddenState: output.lastHiddenState, positions: positions, topK: min(topK, loaded.model.config.vocabSize))
        } catch let error as EngineError {
            throw UserError(error.description)
        }
        // The model may have more output rows than the tokenizer has pieces (rows no text produces).
        func token(_ id: Int) -> String { id < loaded.tokenizer.pieceCount ? loaded.tokenizer.piece(id) : "<row \(id)>" }
        if json {
            var writer = JSONWriter()
            writer.beginObject()
            writer.key("text"); writer.string(text)
            writer.key("masks")
            writer.beginArray()
            for (position, candidates) in zip(positions, predictions) {
                writer.beginObject()
                writer.key("position"); writer.int(position)
                writer.key("predictions")
                writer.beginArray()
                for candidate in candidates {
                    writer.beginObject()
                    writer.key("id"); writer.int(candidate.id)
                    writer.key("token"); writer.string(token(candidate.id))
                    writer.key("score"); writer.float(candidate.probability)
                    writer.endObject()
                }
                writer.endArray()
                writer.endObject()
            }
            writer.endArray()
            writer.endObject()
            writeLine(writer.text)
        } else {
            for (position, candidates) in zip(positions, predictions) {
                writeLine("[MASK] at token \(position):")
                for candidate in candidates {
                    writeLine("  " + DisplayWidth.padded(token(candidate.id), to: 20) + EncodingTable.leftPad(String(candidate.id), 7)
                        + String(format: "  %.4f", candidate.probability))
                }
            }
        }
    }
}
