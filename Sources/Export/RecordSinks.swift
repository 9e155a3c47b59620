// MARK: - Labels

/// The label columns written before (CSV) or beside (TSV) each vector.
struct LabelColumns {
    /// Include the language column.
    var language: Bool
    /// The Projector's short set (token, word, sentence, language, layer, pooling) or the full one that
    /// also numbers sentences, tokens and words and gives the span (CSV and the .npy labels).
    var projector: Bool
    /// Include model, tokenizer and centring, and in the Projector's set the sentence and word numbers
    /// (exports from the explorer, where the screen rather than a command line said what they were).
    var provenance: Bool

    init(language: Bool, projector: Bool, provenance: Bool = false) {
        self.language = language
        self.projector = projector
        self.provenance = provenance
    }

    /// The columns the records call for: language and provenance only when some record has them.
    init(for records: [VectorRecord], projector: Bool) {
        self.init(language: records.contains { $0.language != nil }, projector: projector,
                  provenance: records.contains { $0.provenance != nil })
    }

    var names: [String] {
        var names: [String]
        if projector {
            names = ["token", "word", "sentence"]
            if provenance { names += ["sentence_index", "word_index"] }
        } else {
            names = ["sentence_index", "sentence", "token_index", "token", "word", "word_index", "span_start", "span_end"]
        }
        if language { names.append("language") }
        if provenance { names += ["model", "tokenizer", "centring"] }
        return names + ["layer", "pooling"]
    }

    func values(_ record: VectorRecord) -> [String] {
        let wordIndex = record.wordIndex.map(String.init) ?? ""
        var values: [String]
        if projector {
            values = [record.text, record.word, record.sentence]
            if provenance { values += [String(record.sentenceIndex), wordIndex] }
        } else {
            let start = record.span.map { String($0.start) } ?? ""
            let end = record.span.map { String($0.end) } ?? ""
            values = [String(record.sentenceIndex), record.sentence, record.tokenIndex.map(String.init) ?? "", record.text,
                      record.word, wordIndex, start, end]
        }
        if language { values.append(record.language ?? "") }
        if let provenance = provenance ? record.provenance : nil {
            values += [provenance.model, provenance.tokenizer, provenance.centring]
        } else if provenance {
            values += ["", "", ""]
        }
        return values + [record.layer, record.pooling]
    }
}

// MARK: - Sinks

/// Takes records one at a time and writes them in one format. Nothing appears at the destination until
/// `commit()`; `discard()` leaves the destination as it was.
protocol RecordSink: AnyObject {
    func append(_ record: VectorRecord) throws
    func commit() throws
    func discard()
    /// The files being written, for removal if the process is interrupted.
    var temporaryPaths: [String] { get }
}

/// Checks that every vector has the table's width.
private func checkWidth(_ record: VectorRecord, _ dimensions: Int, _ row: Int) throws {
    guard record.vector.count == dimensions else {
        throw ExportError.invalidRecords(
            "vector \(row) (\"\(record.text)\") has \(record.vector.count) values but the export has \(dimensions) columns")
    }
}

/// CSV: a header, then one row per vector: labels, then v0...v(N-1).
final class CSVSink: RecordSink {
    private let file: AtomicFile
    private let columns: LabelColumns
    private let dimensions: Int
    private var rows = 0

    init(path: String, overwrite: Bool, dimensions: Int, columns: LabelColumns) throws {
        file = try AtomicFile(path: path, overwrite: overwrite)
        self.columns = columns
        self.dimensions = dimensions
        try file.write(TextCells.csvRecord(columns.names + (0..<dimensions).map { "v\($0)" }))
    }

    func append(_ record: VectorRecord) throws {
        try checkWidth(record, dimensions, rows)
        var line = columns.values(record).map(TextCells.csvField).joined(separator: ",")
        for value in record.vector { line += ","; line += TextCells.number(value) }
        line += "\r\n"
        try file.write(line)
        rows += 1
    }

    func commit() throws { try file.commit() }
    func discard() { file.discard() }
    var temporaryPaths: [String] { [file.temporaryPath] }
}

/// `.npy` (rows x dimensions, float32) plus `<name>.labels.tsv` with one header line and one label line
/// per row, in the CSV's label columns with the Projector's escaping.
final class NumpySink: RecordSink {
    private let array: AtomicFile
    private let labels: AtomicFile
    private let rows: NumpyRows
    private let columns: LabelColumns

    /// The labels file written beside an `.npy` file: `x.npy` -> `x.labels.tsv`.
    static func labelsPath(for path: String) -> String {
        (path.hasSuffix(".npy") ? String(path.dropLast(4)) : path) + ".labels.tsv"
    }

    init(path: String, overwrite: Bool, dimensions: Int, columns: LabelColumns) throws {
        array = try AtomicFile(path: path, overwrite: overwrite)
        labels = try AtomicFile(path: Self.labelsPath(for: path), overwrite: overwrite)
        rows = try NumpyRows(file: array.output, columns: dimensions)
        self.columns = columns
        try labels.write(columns.names.joined(separator: "\t") + "\n")
    }

    func append(_ record: VectorRecord) throws {
        try checkWidth(record, rows.columns, rows.count)
        try rows.append(record.vector)
        try labels.write(columns.values(record).map(TextCells.tsvCell).joined(separator: "\t") + "\n")
    }

    func commit() throws {
        try rows.finish()
        try labels.commit()
        try array.commit()
    }

    func discard() {
        array.discard()
        labels.discard()
    }

    var temporaryPaths: [String] { [array.temporaryPath, labels.temporaryPath] }
}

/// A TensorBoard Projector folder: vectors.tsv (one tab-separated vector per line, no header),
/// metadata.tsv (a header line, then one line per vector) and projector_config.pbtxt naming both.
final class ProjectorSink: RecordSink {
    private let folder: AtomicFolder
    private let vectors: OutputFile
    private let metadata: OutputFile
    private let columns: LabelColumns
    private let dimensions: Int
    private let tensorName: String
    private var rows = 0

    init(path: String, overwrite: Bool, dimensions: Int, columns: LabelColumns, tensorName: String) throws {
        folder = try AtomicFolder(path: path, overwrite: overwrite)
        vectors = try folder.file(named: "vectors.tsv")
        metadata = try folder.file(named: "metadata.tsv")
        self.columns = columns
        self.dimensions = dimensions
        self.tensorName = tensorName
        try metadata.write(columns.names.joined(separator: "\t") + "\n")
    }

    func append(_ record: VectorRecord) throws {
        try checkWidth(record, dimensions, rows)
        try vectors.write(record.vector.map(TextCells.number).joined(separator: "\t") + "\n")
        try metadata.write(columns.values(record).map(TextCells.tsvCell).joined(separator: "\t") + "\n")
        rows += 1
    }

    func commit() throws {
        let config = try folder.file(named: "projector_config.pbtxt")
        try config.write(Self.config(tensorName: tensorName, rows: rows, dimensions: dimensions))
        try folder.commit()
    }

    func discard() { folder.discard() }
    var temporaryPaths: [String] { [folder.temporaryPath] }

    /// The Projector's config in protobuf text format; paths are relative to the folder.
    /// The tensor's name in the Projector: what the vectors are ("bertscope layers 0,12, pooling mean"),
    /// with the model's name first when the export knows it (from the explorer).
    static func tensorName(model: String?, layers: [String], poolings: [String]) -> String {
        "bertscope " + (model.map { "\($0), " } ?? "") + "layers \(layers.joined(separator: ",")), pooling \(poolings.joined(separator: ","))"
    }

    static func config(tensorName: String, rows: Int, dimensions: Int) -> String {
        let name = tensorName.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
        return """
            embeddings {
              tensor_name: "\(name)"
              tensor_path: "vectors.tsv"
              metadata_path: "metadata.tsv"
              tensor_shape: \(rows)
              tensor_shape: \(dimensions)
            }

            """
    }
}

/// JSON (one array) or JSON Lines of record objects.
final class RecordJSONSink: RecordSink {
    private let file: AtomicFile
    private let lines: Bool
    private var rows = 0

    init(path: String, overwrite: Bool, lines: Bool) throws {
        file = try AtomicFile(path: path, overwrite: overwrite)
        self.lines = lines
        if !lines { try file.write("[") }
    }

    func append(_ record: VectorRecord) throws {
        var writer = JSONWriter()
        writer.beginObject()
        writer.key("sentence_index"); writer.int(record.sentenceIndex)
        writer.key("sentence"); writer.string(record.sentence)
        writer.key("token_index"); writer.int(record.tokenIndex)
        writer.key("token"); writer.string(record.text)
        writer.key("word"); writer.string(record.word)
        writer.key("word_index"); writer.int(record.wordIndex)
        writer.key("language"); if let language = record.language { writer.string(language) } else { writer.null() }
        writer.key("layer"); writer.string(record.layer)
        writer.key("pooling"); writer.string(record.pooling)
        writer.key("span"); if let span = record.span { writer.ints([span.start, span.end]) } else { writer.null() }
        if let provenance = record.provenance {
            writer.key("model"); writer.string(provenance.model)
            writer.key("tokenizer"); writer.string(provenance.tokenizer)
            writer.key("centring"); writer.string(provenance.centring)
        }
        writer.key("vector"); writer.floats(record.vector)
        writer.endObject()
        try file.write(lines ? writer.text + "\n" : (rows == 0 ? "\n" : ",\n") + writer.text)
        rows += 1
    }

    func commit() throws {
        if !lines { try file.write(rows == 0 ? "]\n" : "\n]\n") }
        try file.commit()
    }

    func discard() { file.discard() }
    var temporaryPaths: [String] { [file.temporaryPath] }
}

/// Spark NLP annotations from records: consecutive records of one sentence make one document line.
/// A record without a span is looked for in its sentence after the previous one; one that is not there
/// ([CLS], [SEP]) gets the empty span begin 0, end -1.
final class SparkRecordSink: RecordSink {
    private let file: AtomicFile
    private var sentenceIndex: Int?
    private var sentence = ""
    private var scalars = [Unicode.Scalar]()
    private var utf16 = [Int]()
    private var annotations = [SparkAnnotation]()
    private var searchFrom = 0

    init(path: String, overwrite: Bool) throws {
        file = try AtomicFile(path: path, overwrite: overwrite)
    }

    func append(_ record: VectorRecord) throws {
        if record.sentenceIndex != sentenceIndex || record.sentence != sentence {
            try flushDocument()
            sentenceIndex = record.sentenceIndex
            sentence = record.sentence
            scalars = Array(sentence.unicodeScalars)
            utf16 = SparkNLP.utf16Offsets(sentence)
            searchFrom = 0
        }
        let span = record.span ?? SparkNLP.find(Array(record.text.unicodeScalars), in: scalars, from: searchFrom)
        if let span { searchFrom = span.end }
        annotations.append(SparkAnnotation(
            begin: span.map { utf16[$0.start] } ?? 0, end: span.map { utf16[$0.end] - 1 } ?? -1, result: record.text, sentence: 0,
            pieceId: record.pieceId ?? -1, isWordStart: record.isWordStart, isOOV: record.isUnknown, embeddings: record.vector))
    }

    func commit() throws {
        try flushDocument()
        try file.commit()
    }

    func discard() { file.discard() }
    var temporaryPaths: [String] { [file.temporaryPath] }

    private func flushDocument() throws {
        guard let sentenceIndex else { return }
        try file.write(SparkNLP.documentJSON(idJSON: String(sentenceIndex), text: sentence, annotations: annotations) + "\n")
        annotations.removeAll()
    }
}

// MARK: - Writing records

/// Writes `records` to `path` in `format`, atomically: the destination is replaced only once everything
/// is on disk, and only when `overwrite` is true (otherwise an existing file is an error that says to pass
/// --force). `projector` writes a folder at `path`; `npy` also writes `<path without .npy>.labels.tsv`,
/// one label line per row. Every record must have the same number of values.
public func writeRecords(_ records: [VectorRecord], format: ExportFormat, to path: String, overwrite: Bool) throws {
    let dimensions = records.first?.vector.count ?? 0
    func distinct(_ values: [String]) -> [String] { values.reduce(into: []) { if !$0.contains($1) { $0.append($1) } } }
    let sink: RecordSink
    switch format {
    case .json, .jsonl: sink = try RecordJSONSink(path: path, overwrite: overwrite, lines: format == .jsonl)
    case .csv: sink = try CSVSink(path: path, overwrite: overwrite, dimensions: dimensions, columns: LabelColumns(for: records, projector: false))
    case .npy: sink = try NumpySink(path: path, overwrite: overwrite, dimensions: dimensions, columns: LabelColumns(for: records, projector: false))
    case .projector:
        let name = ProjectorSink.tensorName(model: records.lazy.compactMap(\.provenance?.model).first,
                                            layers: distinct(records.map(\.layer)), poolings: distinct(records.map(\.pooling)))
        sink = try ProjectorSink(path: path, overwrite: overwrite, dimensions: dimensions,
                                 columns: LabelColumns(for: records, projector: true), tensorName: name)
    case .spark: sink = try SparkRecordSink(path: path, overwrite: overwrite)
    case .attentionNPY, .attentionJSON, .headStats:
        throw ExportError.invalidRecords("\(format.rawValue) is a format of attention probabilities; vectors go to \(ExportFormat.vectorFormats.map(\.rawValue).joined(separator: ", "))")
    }
    do {
        let ordered = format == .spark ? records.enumerated().sorted { ($0.element.sentenceIndex, $0.offset) < ($1.element.sentenceIndex, $1.offset) }.map(\.element) : records
        for record in ordered { try sink.append(record) }
        try sink.commit()
    } catch {
        sink.discard()
        throw error
    }
}
