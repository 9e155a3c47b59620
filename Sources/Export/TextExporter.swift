import Embeddings

/// What `TextExporter` writes for each text.
public struct TextExportOptions: Sendable {
    public var format: ExportFormat
    /// The hidden states to export; for `.spark` only the last layer is used.
    public var layers: [LayerChoice]
    /// How pieces make a word; `nil` exports one row per token instead of per word.
    public var pooling: Pooling?
    /// Write a language column (CSV, TSV) even if some texts have no language.
    public var languageColumn: Bool
    /// The model's hidden size: the number of values per vector.
    public var hiddenSize: Int

    public init(format: ExportFormat, layers: [LayerChoice], pooling: Pooling?, languageColumn: Bool, hiddenSize: Int) {
        self.format = format
        self.layers = layers
        self.pooling = pooling
        self.languageColumn = languageColumn
        self.hiddenSize = hiddenSize
    }
}

/// Streams embedded texts into one export file (or Projector folder) without holding them: each text is
/// written as it is appended, and `commit()` moves the finished file into place atomically.
///
/// - json / jsonl: one object per text in the `embed` schema (id, text, input_ids, tokens, offsets,
///   word_ids, ..., layers, hidden_states, pooler_output) plus `pooling`, `language` (when given) and,
///   unless pooling is `nil`, `words`: [{index, text, span, tokens, vectors (one per layer)}].
/// - csv / npy / projector: one row per word (or token) and layer; see `VectorRecord`.
/// - spark: one document per text with Spark NLP `word_embeddings` annotations.
/// - attention-npy / attention-json / head-stats: attention probabilities; see `AttentionSink`.
public final class TextExporter {
    public let options: TextExportOptions
    private enum Target {
        case documents(AtomicFile, lines: Bool)
        case spark(AtomicFile)
        case records(RecordSink)
        case attention(AttentionSink)
    }
    private let target: Target
    private var documents = 0
    /// Rows (vectors) written so far.
    public private(set) var rows = 0

    /// Fails at once when the destination exists and `overwrite` is false, or cannot be written.
    public init(path: String, overwrite: Bool, options: TextExportOptions) throws {
        self.options = options
        let width = options.hiddenSize
        switch options.format {
        case .json, .jsonl:
            let file = try AtomicFile(path: path, overwrite: overwrite)
            if options.format == .json { try file.write("[") }
            target = .documents(file, lines: options.format == .jsonl)
        case .spark:
            target = .spark(try AtomicFile(path: path, overwrite: overwrite))
        case .csv:
            target = .records(try CSVSink(path: path, overwrite: overwrite, dimensions: width, columns: LabelColumns(language: options.languageColumn, projector: false)))
        case .npy:
            target = .records(try NumpySink(path: path, overwrite: overwrite, dimensions: width,
                                            columns: LabelColumns(language: options.languageColumn, projector: false)))
        case .projector:
            let name = ProjectorSink.tensorName(model: nil, layers: options.layers.map(\.exportLabel),
                                                poolings: [options.pooling?.rawValue ?? "none"])
            target = .records(try ProjectorSink(path: path, overwrite: overwrite, dimensions: width,
                                                columns: LabelColumns(language: options.languageColumn, projector: true), tensorName: name))
        case .attentionNPY, .attentionJSON, .headStats:
            target = .attention(try AttentionSink(path: path, overwrite: overwrite, format: options.format))
        }
    }

    /// Checks, before any work, that an export may be written at `path` (and, for npy, its labels file).
    public static func validateDestination(path: String, format: ExportFormat, overwrite: Bool) throws {
        try Destination(path).validate(overwrite: overwrite, wantsFolder: format.writesFolder)
        if format == .npy { try Destination(NumpySink.labelsPath(for: path)).validate(overwrite: overwrite, wantsFolder: false) }
        if format == .attentionNPY { try Destination(AttentionSink.tokensPath(for: path)).validate(overwrite: overwrite, wantsFolder: false) }
    }

    /// The paths written until `commit()`; remove them if the process is interrupted.
    public var temporaryPaths: [String] {
        switch target {
        case .documents(let file, _), .spark(let file): return [file.temporaryPath]
        case .records(let sink): return sink.temporaryPaths
        case .attention(let sink): return sink.temporaryPaths
        }
    }

    /// Writes one text. `idJSON` is the text's id as JSON; `index` numbers the texts from 0.
    public func append(_ text: EmbeddedText, idJSON: String, index: Int, language: String?) throws {
        switch target {
        case .documents(let file, let lines):
            let object = Self.documentJSON(text, idJSON: idJSON, layers: options.layers, pooling: options.pooling, language: language)
            try file.write(lines ? object + "\n" : (documents == 0 ? "\n" : ",\n") + object)
            rows += options.pooling == nil ? text.encoding.count : text.words().count
        case .spark(let file):
            let annotations = SparkNLP.annotations(of: text)
            try file.write(SparkNLP.documentJSON(idJSON: idJSON, text: text.encoding.texts[0], annotations: annotations) + "\n")
            rows += annotations.count
        case .records(let sink):
            let records = options.pooling.map {
                VectorRecord.words(of: text, sentenceIndex: index, layers: options.layers, pooling: $0, language: language)
            } ?? VectorRecord.tokens(of: text, sentenceIndex: index, layers: options.layers, language: language)
            for record in records { try sink.append(record) }
            rows += records.count
        case .attention(let sink):
            rows += try sink.append(text, idJSON: idJSON, index: index)
        }
        documents += 1
    }

    /// Finishes the file and moves it into place.
    public func commit() throws {
        switch target {
        case .documents(let file, let lines):
            if !lines { try file.write(documents == 0 ? "]\n" : "\n]\n") }
            try file.commit()
        case .spark(let file):
            try file.commit()
        case .records(let sink):
            try sink.commit()
        case .attention(let sink):
            try sink.commit()
        }
    }

    /// Removes what was written; the destination stays as it was.
    public func discard() {
        switch target {
        case .documents(let file, _), .spark(let file): file.discard()
        case .records(let sink): sink.discard()
        case .attention(let sink): sink.discard()
        }
    }

    /// One text in the `embed` schema plus the export's fields.
    public static func documentJSON(
        _ text: EmbeddedText, idJSON: String, layers: [LayerChoice], pooling: Pooling?, language: String?
    ) -> String {
        var writer = JSONWriter()
        writer.beginObject()
        writer.key("id"); writer.raw(idJSON)
        writer.key("text"); writer.string(text.encoding.texts[0])
        if text.encoding.texts.count > 1 { writer.key("pair"); writer.string(text.encoding.texts[1]) }
        if let language { writer.key("language"); writer.string(language) }
        writer.encodingFields(text.encoding)
        writer.key("layers")
        writer.beginArray()
        for layer in layers {
            if case .layer(let index) = layer { writer.int(index) } else { writer.string(layer.exportLabel) }
        }
        writer.endArray()
        writer.key("hidden_states")
        writer.beginArray()
        for layer in layers {
            writer.beginArray()
            for token in 0..<text.encoding.count { writer.floats(text.pieceVector(token, layer: layer)) }
            writer.endArray()
        }
        writer.endArray()
        writer.key("pooler_output")
        if let pooled = text.output.poolerOutput { writer.floats(pooled) } else { writer.null() }
        writer.key("pooling"); writer.string(pooling?.rawValue ?? "none")
        if let pooling {
            writer.key("words")
            writer.beginArray()
            for word in text.words() {
                writer.beginObject()
                writer.key("index"); writer.int(word.index)
                writer.key("text"); writer.string(word.text)
                writer.key("span"); writer.ints([word.span.start, word.span.end])
                writer.key("tokens"); writer.ints([word.tokens.lowerBound, word.tokens.upperBound])
                writer.key("vectors")
                writer.beginArray()
                for layer in layers { writer.floats(text.wordVector(word, layer: layer, pooling: pooling)) }
                writer.endArray()
                writer.endObject()
            }
            writer.endArray()
        }
        writer.endObject()
        return writer.text
    }
}
