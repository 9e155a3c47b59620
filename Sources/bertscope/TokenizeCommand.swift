import ArgumentParser
import Export
import Foundation
import Tokenization

extension Dialect: ExpressibleByArgument {}

struct TokenizeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tokenize",
        abstract: "Show the wordpieces, ids, offsets and words of texts.",
        discussion: """
            Reads TEXT arguments, or one JSON object per line from --jsonl FILE ("-" for standard input):
            {"id": ..., "text": "...", "pair": "..."}. With --json or --jsonl it writes one JSON object per
            input: id, input_ids, tokens, offsets ([start, end) in Unicode scalars), byte_offsets, word_ids (the tokenizer's words),
            token_type_ids, sequence_ids, special_tokens_mask, truncation, linguistic_word_ids (ICU's words, null for \
            spaces and punctuation) and crosses_word_boundary (1 for a piece that runs into another word).
            """
    )

    @OptionGroup var source: ModelOption

    @Option(name: .long, help: "Whose WordPiece tokenization to reproduce: hf, google or spark (SentencePiece models: hf only).")
    var dialect: Dialect = .hf

    @Option(name: .long, help: "Positions allowed, special tokens included; 0 for no limit.")
    var maxLength: Int = 512

    @Option(name: .long, help: "A second text: encode TEXT and this as a pair.")
    var pair: String?

    @Option(name: .long, help: "Read inputs from a JSON Lines file, or - for standard input.")
    var jsonl: String?

    @Flag(name: .long, help: "Write JSON, one object per input.")
    var json = false

    @Flag(name: .long, help: "Show every stage: cleaning, words, and each WordPiece look-up.")
    var trace = false

    @Argument(help: "Texts to tokenize.")
    var texts: [String] = []

    func validate() throws {
        try validateTextInput(jsonl: jsonl, texts: texts, verb: "tokenize", maxLength: maxLength)
    }

    func run() throws {
        let tokenizer = try loadTokenizer(model: source.model, dialect: dialect)
        let limit = maxLength == 0 ? nil : maxLength
        if let jsonl {
            try forEachJSONLRecord(in: jsonl) { record in
                let encoding = try encode(tokenizer, record.text, pair: record.pair, maxLength: limit)
                writeLine(try json(idJSON: record.idJSON, encoding))
            }
            return
        }
        for (index, text) in texts.enumerated() {
            if trace {
                let traced = tokenizer.trace(text)
                writeLine(json ? TraceFormatter.json(traced) : TraceFormatter.table(traced))
                continue
            }
            let encoding = try encode(tokenizer, text, pair: pair, maxLength: limit)
            writeLine(json ? try self.json(idJSON: String(index), encoding) : EncodingTable.render(encoding))
        }
    }

    private func json(idJSON: String, _ encoding: Encoding) throws -> String {
        var writer = JSONWriter()
        writer.beginObject()
        writer.key("id"); writer.raw(idJSON)
        writer.key("text"); writer.string(encoding.texts[0])
        if encoding.texts.count > 1 { writer.key("pair"); writer.string(encoding.texts[1]) }
        writer.encodingFields(encoding)
        try reportingEngineErrors { try writer.linguisticWordFields(encoding) }
        writer.endObject()
        return writer.text
    }
}

/// The tokenizer of the model `--model` names (nil: the default); only the tokenizer's files are needed.
func loadTokenizer(model: String?, dialect: Dialect) throws -> any TextTokenizer {
    try loadTokenizer(from: resolveModel(model, needs: .tokenizer), dialect: dialect)
}
