import BertEngine
import Embeddings

extension JSONWriter {
    /// A matrix as a list of rows.
    public mutating func matrix(_ matrix: Matrix) {
        beginArray()
        for row in 0..<matrix.rows { floats(matrix[row]) }
        endArray()
    }

    /// Attention probabilities as `embed --attentions` writes them: a list over the layers (in order), each
    /// a list over heads of T × T matrices.
    public mutating func attentions(_ attentions: [Int: [Matrix]]) {
        beginArray()
        for layer in attentions.keys.sorted() {
            beginArray()
            for head in attentions[layer]! { matrix(head) }
            endArray()
        }
        endArray()
    }
}

/// The attention exports: every layer's and head's probabilities of each text, or Clark et al.'s head
/// statistics of each.
///
/// - attention-npy: one text's float32 array of shape (layers, heads, T, T), row i of [l, h] being token
///   i's attention in layer l + 1, head h; `<name>.tokens.json` beside it says what the axes are.
/// - attention-json: one JSON array, an object per text: the `tokenize` fields, `layers`, `attentions`.
/// - head-stats: CSV, a row per text (numbered from 0), layer and head: `HeadStatistics`' measures.
final class AttentionSink {
    private enum Target {
        case array(AtomicFile, tokens: AtomicFile)
        case documents(AtomicFile)
        case statistics(AtomicFile)
    }
    private let target: Target
    private var texts = 0

    static let statisticsColumns = ["text_index", "layer", "head", "entropy", "to_start", "to_separator", "to_self", "to_previous",
                                    "to_next", "to_punctuation"]

    /// The sidecar of an attention array: `x.npy` -> `x.tokens.json`.
    static func tokensPath(for path: String) -> String {
        (path.hasSuffix(".npy") ? String(path.dropLast(4)) : path) + ".tokens.json"
    }

    init(path: String, overwrite: Bool, format: ExportFormat) throws {
        switch format {
        case .attentionNPY:
            target = .array(try AtomicFile(path: path, overwrite: overwrite),
                            tokens: try AtomicFile(path: Self.tokensPath(for: path), overwrite: overwrite))
        case .attentionJSON:
            let file = try AtomicFile(path: path, overwrite: overwrite)
            try file.write("[")
            target = .documents(file)
        case .headStats:
            let file = try AtomicFile(path: path, overwrite: overwrite)
            try file.write(TextCells.csvRecord(Self.statisticsColumns))
            target = .statistics(file)
        case .json, .jsonl, .csv, .npy, .projector, .spark:
            preconditionFailure("\(format) is not an attention format")
        }
    }

    /// Writes one text's attention; returns the rows written (matrices, or statistics rows).
    func append(_ text: EmbeddedText, idJSON: String, index: Int) throws -> Int {
        let attentions = text.output.attentions
        let heads = attentions.values.first?.count ?? 0
        defer { texts += 1 }
        switch target {
        case .array(let array, let tokens):
            guard texts == 0 else {
                throw ExportError.invalidRecords(
                    "--format attention-npy holds one text's (layers, heads, T, T) array; export one text, or use attention-json for many")
            }
            let count = text.encoding.count
            try array.output.write(NumpyFormat.float32Header(shape: [attentions.count, heads, count, count]))
            for layer in attentions.keys.sorted() {
                for head in attentions[layer]! { try array.output.write(float32: head.values) }
            }
            try tokens.write(Self.documentJSON(text, idJSON: idJSON, shape: [attentions.count, heads, count, count]) + "\n")
            return attentions.count * heads
        case .documents(let file):
            try file.write((texts == 0 ? "\n" : ",\n") + Self.documentJSON(text, idJSON: idJSON, shape: nil))
            return attentions.count * heads
        case .statistics(let file):
            let statistics = HeadStatistics.all(attentions, roles: TokenRoles(text.encoding))
            for head in statistics {
                let measures = [head.entropy, head.toStart, head.toSeparator, head.toSelf, head.toPrevious, head.toNext, head.toPunctuation]
                try file.write(TextCells.csvRecord([String(index), String(head.layer), String(head.head)] + measures.map { "\($0)" }))
            }
            return statistics.count
        }
    }

    /// The `tokenize` fields of a text and its layers; with `shape` (the array's sidecar) the array's shape
    /// instead of the attentions themselves.
    static func documentJSON(_ text: EmbeddedText, idJSON: String, shape: [Int]?) -> String {
        var writer = JSONWriter()
        writer.beginObject()
        writer.key("id"); writer.raw(idJSON)
        writer.key("text"); writer.string(text.encoding.texts[0])
        if text.encoding.texts.count > 1 { writer.key("pair"); writer.string(text.encoding.texts[1]) }
        writer.encodingFields(text.encoding)
        writer.key("layers"); writer.ints(text.output.attentions.keys.sorted())
        if let shape {
            writer.key("shape"); writer.ints(shape)
            writer.key("axes")
            writer.beginArray()
            for axis in ["layer", "head", "from_token", "to_token"] { writer.string(axis) }
            writer.endArray()
        } else {
            writer.key("attentions"); writer.attentions(text.output.attentions)
        }
        writer.endObject()
        return writer.text
    }

    func commit() throws {
        switch target {
        case .array(let array, let tokens):
            guard texts > 0 else { throw ExportError.invalidRecords("--format attention-npy needs one text; none was given") }
            try tokens.commit()
            try array.commit()
        case .documents(let file):
            try file.write(texts == 0 ? "]\n" : "\n]\n")
            try file.commit()
        case .statistics(let file):
            try file.commit()
        }
    }

    func discard() {
        switch target {
        case .array(let array, let tokens):
            array.discard()
            tokens.discard()
        case .documents(let file), .statistics(let file):
            file.discard()
        }
    }

    var temporaryPaths: [String] {
        switch target {
        case .array(let array, let tokens): return [array.temporaryPath, tokens.temporaryPath]
        case .documents(let file), .statistics(let file): return [file.temporaryPath]
        }
    }
}
