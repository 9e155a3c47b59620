import ArgumentParser
import Embeddings
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
            With --model twice (or more), every model's cut of each text, with its counts (pieces, unknown pieces, \
            linguistic words, pieces per word); JSON: one object per input, {"id", "text", "models": [...]}, one \
            object per model, {"model", the fields above, "counts"}.
            """
    )

    @OptionGroup var source: ModelsOption

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
        let limit = maxLength == 0 ? nil : maxLength
        guard source.models.count > 1 else {
            return try run(tokenizer: try loadTokenizer(model: source.models.first, dialect: dialect), limit: limit)
        }
        let models = try source.models.map { spec in
            let resolved = try resolveModel(spec, needs: .tokenizer)
            return (name: resolved.name, tokenizer: try loadTokenizer(from: resolved, dialect: dialect))
        }
        if let jsonl {
            try forEachJSONLRecord(in: jsonl) { record in
                let encodings = try models.map { try encode($0.tokenizer, record.text, pair: record.pair, maxLength: limit) }
                writeLine(try json(idJSON: record.idJSON, text: record.text, pair: record.pair, names: models.map(\.name), encodings))
            }
            return
        }
        for (index, text) in texts.enumerated() {
            if trace {
                let traces = models.map { $0.tokenizer.trace(text) }
                if json {
                    var writer = JSONWriter()
                    writer.beginObject()
                    writer.key("text"); writer.string(text)
                    writer.key("models")
                    writer.beginArray()
                    for (model, traced) in zip(models, traces) {
                        writer.beginObject()
                        writer.key("model"); writer.string(model.name)
                        writer.key("trace"); writer.raw(TraceFormatter.json(traced))
                        writer.endObject()
                    }
                    writer.endArray()
                    writer.endObject()
                    writeLine(writer.text)
                } else {
                    writeLine(zip(models, traces).map { "model \($0.name)\n" + TraceFormatter.table($1) }.joined(separator: "\n\n"))
                }
                continue
            }
            let encodings = try models.map { try encode($0.tokenizer, text, pair: pair, maxLength: limit) }
            if json {
                writeLine(try self.json(idJSON: String(index), text: text, pair: pair, names: models.map(\.name), encodings))
            } else {
                writeLine(try zip(models, encodings).map { model, encoding in
                    "model \(model.name): " + Self.countsLine(try counts(encoding)) + "\n" + EncodingTable.render(encoding)
                }.joined(separator: "\n\n"))
            }
        }
    }

    /// "9 pieces, 1 unknown, 6 words, 1.50 pieces per word": the explorer's models row in words.
    static func countsLine(_ counts: [PieceCounts]) -> String {
        counts.enumerated().map { index, counts in
            let fertility = counts.piecesPerWord.map { String(format: "%.2f", $0) } ?? "–"
            return (index == 0 ? "" : "pair: ") + "\(counts.pieces) pieces, \(counts.unknowns) unknown, \(counts.words) words, \(fertility) pieces per word"
        }.joined(separator: "; ")
    }

    /// The counts of each text of the encoding (the text, then the pair), over ICU's linguistic words.
    private func counts(_ encoding: Encoding) throws -> [PieceCounts] {
        try reportingEngineErrors {
            try encoding.texts.indices.map { sequence in
                PieceCounts(encoding, sequence: sequence, linguisticWords: try WordPieces(encoding: encoding, sequence: sequence, source: .linguistic))
            }
        }
    }

    /// One input's object with several models: the id and text, then one object per model (its name, the
    /// single-model fields and the counts).
    private func json(idJSON: String, text: String, pair: String?, names: [String], _ encodings: [Encoding]) throws -> String {
        var writer = JSONWriter()
        writer.beginObject()
        writer.key("id"); writer.raw(idJSON)
        writer.key("text"); writer.string(text)
        if let pair { writer.key("pair"); writer.string(pair) }
        writer.key("models")
        writer.beginArray()
        for (name, encoding) in zip(names, encodings) {
            writer.beginObject()
            writer.key("model"); writer.string(name)
            writer.encodingFields(encoding)
            try reportingEngineErrors { try writer.linguisticWordFields(encoding) }
            for (index, counts) in try counts(encoding).enumerated() {
                writer.key(index == 0 ? "counts" : "pair_counts")
                writer.beginObject()
                writer.key("pieces"); writer.int(counts.pieces)
                writer.key("unknown"); writer.int(counts.unknowns)
                writer.key("words"); writer.int(counts.words)
                writer.key("pieces_per_word"); writer.double(counts.piecesPerWord)
                writer.endObject()
            }
            writer.endObject()
        }
        writer.endArray()
        writer.endObject()
        return writer.text
    }

    /// One model: the output as it has always been.
    private func run(tokenizer: any TextTokenizer, limit: Int?) throws {
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
