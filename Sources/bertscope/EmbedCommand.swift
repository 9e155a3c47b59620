import ArgumentParser
import BertEngine
import Export
import Foundation
import Tokenization

struct EmbedCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "embed",
        abstract: "Run the encoder and print hidden states and the pooler output as JSON.",
        discussion: """
            One JSON object per input: id, text, input_ids, tokens, offsets, word_ids, linguistic_word_ids, crosses_word_boundary (as `tokenize`), layers (the indices
            reported), hidden_states (one T x H list per chosen layer; with --layers all, index 0 is the
            embeddings output) and pooler_output (null when the checkpoint has no pooler). With --attentions,
            also attentions: a list over layers 1...N, each a list over heads of a T x T matrix whose row i
            is token i's attention over every token (rows sum to 1), from the same pass. sentence_embedding: \
            the model's own sentence vector where the folder is a sentence-transformers model (modules.json: \
            pooling, Dense, Normalize, as sentence-transformers computes them), {vector, modules, source}; null \
            otherwise, and for a pair. With --prompt or --prompt-text, the prompt is put before each text \
            (its pieces are in tokens, text holds prompt and text, the offsets are into it) and the key prompt holds it.
            """
    )

    @OptionGroup var options: EncoderOptions

    @OptionGroup var prompts: PromptOptions

    @Option(name: .long, parsing: .unconditional, help: "Hidden states to print: all, last, or indices such as 0,6,12 (0 = embeddings, -1 = last).")
    var layers: String = "all"

    @Option(name: .long, help: "A second text: encode TEXT and this as a pair (BERT gives it token type 1).")
    var pair: String?

    @Option(name: .long, help: "Read inputs from a JSON Lines file ({\"id\", \"text\", \"pair\"}), or - for standard input.")
    var jsonl: String?

    @Option(name: .long, help: ArgumentHelp(encoderMaxLengthHelp))
    var maxLength: Int?

    @Flag(name: .long, help: "Add every layer's and head's attention probabilities (key attentions).")
    var attentions = false

    @Flag(name: .long, help: "Write JSON (the only output format; accepted for symmetry with tokenize).")
    var json = false

    @Argument(help: "Texts to embed.")
    var texts: [String] = []

    func validate() throws {
        try validateTextInput(jsonl: jsonl, texts: texts, verb: "embed", maxLength: maxLength)
    }

    func run() throws {
        let loaded = try loadModel(options.model, precision: options.precision)
        let selection = try LayerSelection(layers, layerCount: loaded.model.config.layerCount)
        let limit = positionLimit(maxLength, modelPositions: loaded.model.config.maxPositions)
        let prompt = try prompts.text(for: loaded.sentenceModules)
        func embed(idJSON: String, text: String, pair: String?) throws {
            // Offsets are into what the model read, the prompt included.
            let text = (prompt ?? "") + text
            let encoding = try encode(loaded.tokenizer, text, pair: pair, maxLength: limit)
            let output: ModelOutput
            do {
                output = try loaded.model.forward([ModelInput(ids: encoding.ids, typeIds: encoding.typeIds)],
                                                  attentions: attentions ? .all : .none, threads: options.threads)[0]
            } catch let error as EngineError {
                throw UserError(error.description)
            }
            var writer = JSONWriter()
            writer.beginObject()
            writer.key("id"); writer.raw(idJSON)
            writer.key("text"); writer.string(text)
            if let pair { writer.key("pair"); writer.string(pair) }
            if let prompt { writer.key("prompt"); writer.string(prompt) }
            writer.encodingFields(encoding)
            try reportingEngineErrors { try writer.linguisticWordFields(encoding) }
            writer.key("layers"); writer.ints(selection.indices)
            writer.key("hidden_states")
            writer.beginArray()
            for layer in selection.indices { writer.matrix(output.hiddenStates[layer]) }
            writer.endArray()
            writer.key("pooler_output")
            if let pooled = output.poolerOutput { writer.floats(pooled) } else { writer.null() }
            writer.key("sentence_embedding")
            if pair == nil, let modules = loaded.sentenceModules, let vector = loaded.modelSentenceVector(output, prompt: prompt) {
                writer.beginObject()
                writer.key("vector"); writer.floats(vector)
                writer.key("modules"); writer.string(modules.summary)
                writer.key("source"); writer.string(modules.origin)
                writer.endObject()
            } else {
                writer.null()
            }
            if attentions {
                writer.key("attentions")
                writer.attentions(output.attentions)
            }
            writer.endObject()
            writeLine(writer.text)
        }
        if let jsonl {
            try forEachJSONLRecord(in: jsonl) { record in
                try embed(idJSON: record.idJSON, text: record.text, pair: record.pair)
            }
        } else {
            for (index, text) in texts.enumerated() { try embed(idJSON: String(index), text: text, pair: pair) }
        }
    }
}
