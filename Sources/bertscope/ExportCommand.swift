import ArgumentParser
import BertEngine
import Embeddings
import Export
import Foundation
import ModelLoader
import Tokenization

extension ExportFormat: ExpressibleByArgument {}

struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write the vectors (or attention) of many texts to JSON, JSONL, CSV, .npy, a TensorBoard Projector folder or Spark NLP annotations.",
        discussion: """
            Reads TEXT arguments, or one JSON object per line from --jsonl FILE ("-" for standard input): \
            {"id": ..., "text": "...", "language": "..."}. Texts are embedded in batches and written as they \
            go, so memory does not grow with the input. The file appears only when it is complete: it is \
            written under a temporary name beside --out and renamed at the end, so a failure or an \
            interruption leaves the previous file (or none). An existing --out is kept unless --force is given.

            Rows: one per word and layer (--pooling first|mean|max|sum), or one per token and layer \
            (--pooling none, special tokens such as [CLS] and [SEP] included). --format spark always uses the last layer and each \
            word's first piece, as Spark NLP's BertEmbeddings does, and tokenizes as Spark does. npy also \
            writes <name>.labels.tsv; projector writes a folder.

            Attention: attention-npy writes one text's float32 array (layers, heads, T, T) and             <name>.tokens.json beside it; attention-json every text's probabilities in one JSON array;             head-stats a CSV row per text, layer and head with Clark et al.'s measures (entropy, attention to             the start token, the separators, itself, the previous and next token, punctuation). See             docs/EXPORTS.md for every layout.
            """
    )

    @OptionGroup var options: EncoderOptions

    @Option(name: .long, help: "The file format.")
    var format: ExportFormat

    @Option(name: .long, help: "The file to write (a folder for projector).")
    var out: String

    @Option(name: .long, parsing: .unconditional, help: "Hidden states: all, last, or indices such as 0,6,12 (0 = embeddings, -1 = last). Default: last.")
    var layers: String?

    @Option(name: .long, help: "How a word's pieces are pooled: first, mean, max, sum; none for one row per token. Default: mean.")
    var pooling: String?

    @Option(name: .long, help: "A language label for every text (a JSONL record's \"language\" field takes precedence).")
    var language: String?

    @Option(name: .long, help: "Read inputs from a JSON Lines file, or - for standard input.")
    var jsonl: String?

    @Option(name: .long, help: "Whose tokenization to use: hf, google or spark (default hf; spark for --format spark).")
    var dialect: Dialect?

    @Option(name: .long, help: ArgumentHelp(encoderMaxLengthHelp))
    var maxLength: Int?

    @Option(name: .long, help: "Texts per forward pass.")
    var batchSize: Int = 8

    @Flag(name: .long, help: "Replace --out if it exists.")
    var force = false

    @Argument(help: "Texts to export.")
    var texts: [String] = []

    func validate() throws {
        try validateTextInput(jsonl: jsonl, texts: texts, verb: "export", maxLength: maxLength)
        if out.isEmpty || out == "-" {
            throw ValidationError("--out must be a path: exports are written to a temporary file and renamed, not streamed to standard output")
        }
        if batchSize < 1 { throw ValidationError("--batch-size must be at least 1") }
        if let pooling, pooling != "none" && Pooling(rawValue: pooling) == nil {
            throw ValidationError("--pooling must be first, mean, max, sum or none")
        }
        if format.carriesAttention {
            if layers != nil || pooling != nil {
                throw ValidationError("--format \(format.rawValue) exports every layer's and head's attention; drop --layers and --pooling")
            }
            if format == .attentionNPY && texts.count > 1 {
                throw ValidationError("--format attention-npy holds one text's (layers, heads, T, T) array; give one text, or use attention-json for many")
            }
        }
        if format == .spark {
            if let layers, layers != "last" && layers != "-1" {
                throw ValidationError("--format spark always uses the last layer, as Spark NLP's BertEmbeddings does; drop --layers")
            }
            if let pooling, pooling != "first" {
                throw ValidationError("--format spark always takes each word's first piece, as Spark NLP's BertEmbeddings does; drop --pooling")
            }
        }
    }

    func run() throws {
        do {
            try TextExporter.validateDestination(path: out, format: format, overwrite: force)
        } catch let error as ExportError {
            throw UserError(error.description)
        }
        let resolved = try resolveModel(options.model, needs: .weights)
        // Spark NLP's BertEmbeddings tokenizes like the spark dialect; a SentencePiece model has one tokenizer.
        let sparkTokenizes = format == .spark && ModelFolder.tokenizerFamily(of: resolved.folder) == .wordPiece
        let loaded = try loadModel(resolved, dialect: dialect ?? (sparkTokenizes ? .spark : .hf), precision: options.precision)
        let config = loaded.model.config
        let layerIndices = format == .spark ? [config.layerCount] : try LayerSelection(layers ?? "last", layerCount: config.layerCount).indices
        let poolingChoice: Pooling? = format == .spark ? .first : (pooling == "none" ? nil : Pooling(rawValue: pooling ?? "mean"))
        let limit = positionLimit(maxLength, modelPositions: config.maxPositions)
        var input = try ExportInput(texts: texts, jsonl: jsonl, language: language)
        let progress = ProgressLine(total: input.total)
        let cleanup = InterruptCleanup(destination: out)

        var exporter: TextExporter?
        var index = 0
        var truncated = [Int]()
        do {
            while true {
                let batch = try input.nextBatch(batchSize)
                if exporter == nil {
                    let options = TextExportOptions(
                        format: format, layers: layerIndices.map { .layer($0) }, pooling: poolingChoice,
                        languageColumn: language != nil || batch.first?.language != nil, hiddenSize: config.hiddenSize)
                    exporter = try TextExporter(path: out, overwrite: force, options: options)
                    cleanup.track(exporter!.temporaryPaths)
                }
                guard !batch.isEmpty, let exporter else { break }
                let encodings = try batch.map { try encode(loaded.tokenizer, $0.text, pair: nil, maxLength: limit) }
                let outputs = try loaded.model.forward(encodings.map { ModelInput(ids: $0.ids, typeIds: $0.typeIds) },
                                                       attentions: format.carriesAttention ? .all : .none, threads: options.threads)
                for (item, (encoding, output)) in zip(batch, zip(encodings, outputs)) {
                    if encoding.truncation.isTruncated { truncated.append(index) }
                    try exporter.append(EmbeddedText(encoding: encoding, output: output), idJSON: item.idJSON, index: index, language: item.language)
                    index += 1
                }
                progress.update(texts: index, rows: exporter.rows)
            }
            try exporter?.commit()
            cleanup.track([])
        } catch {
            exporter?.discard()
            cleanup.track([])
            progress.finish()
            switch error {
            case let error as ExportError: throw UserError(error.description)
            case let error as EngineError: throw UserError(error.description + "; \(out) was not changed")
            default: throw error
            }
        }
        progress.finish()
        if input.ignoredPairs > 0 {
            printError("warning: \(input.ignoredPairs) \"pair\" field\(input.ignoredPairs == 1 ? " was" : "s were") ignored: export embeds each text alone")
        }
        if let first = truncated.first {
            printError("warning: \(truncated.count) text\(truncated.count == 1 ? " was" : "s were") cut to \(limit) positions (the first is text \(first)); their later words are not exported")
        }
        printError("wrote \(exporter?.rows ?? 0) rows from \(index) text\(index == 1 ? "" : "s") to \(out)")
    }
}

// MARK: - Input

/// One text to export.
struct ExportItem {
    var idJSON: String
    var text: String
    var language: String?
}

/// The texts to export, from the arguments or read line by line from a JSON Lines file.
struct ExportInput {
    private var arguments: [String]
    private var reader: JSONLReader?
    private let defaultLanguage: String?
    private var position = 0
    /// The number of texts, when it can be known in advance (not for standard input).
    let total: Int?
    private(set) var ignoredPairs = 0

    init(texts: [String], jsonl: String?, language: String?) throws {
        arguments = texts
        defaultLanguage = language
        if let jsonl {
            reader = try JSONLReader(path: jsonl)
            // Count the records first for the progress bar, but only in a regular file: reading a pipe
            // (standard input, `<(command)`) would consume it.
            let type = jsonl == "-" ? nil : (try? FileManager.default.attributesOfItem(atPath: jsonl))?[.type] as? FileAttributeType
            if type == .typeRegular {
                var counter = try JSONLReader(path: jsonl, reportsSignature: false)
                var count = 0
                while try counter.nextLine() != nil { count += 1 }
                total = count
            } else {
                total = nil
            }
        } else {
            total = texts.count
        }
    }

    /// Up to `size` texts; empty at the end. A line that is not a valid record stops the export.
    mutating func nextBatch(_ size: Int) throws -> [ExportItem] {
        var batch = [ExportItem]()
        while batch.count < size, let item = try next() { batch.append(item) }
        return batch
    }

    private mutating func next() throws -> ExportItem? {
        guard reader != nil else {
            guard position < arguments.count else { return nil }
            defer { position += 1 }
            return ExportItem(idJSON: String(position), text: arguments[position], language: defaultLanguage)
        }
        let record: JSONLRecord
        do {
            guard let next = try reader!.next() else { return nil }
            record = next
        } catch let error as JSONLLineError {
            throw UserError("\(error); nothing was written")
        }
        if record.pair != nil { ignoredPairs += 1 }
        return ExportItem(idJSON: record.idJSON, text: record.text, language: record.language ?? defaultLanguage)
    }
}

// MARK: - Progress

/// Progress on standard error: a bar redrawn in place on a terminal, a plain line every few seconds
/// otherwise (logs stay readable).
final class ProgressLine {
    private let total: Int?
    /// What the line says: "export 10/20 texts, 300 rows".
    private let label: String, items: String, rows: String
    private let isTerminal = isatty(STDERR_FILENO) == 1
    private let start: UInt64
    private var lastDrawn: UInt64
    private var drawn = false

    init(total: Int?, label: String = "export", items: String = "texts", rows: String = "rows") {
        self.total = total
        self.label = label
        self.items = items
        self.rows = rows
        start = DispatchTime.now().uptimeNanoseconds
        lastDrawn = start
    }

    func update(texts: Int, rows: Int) {
        let now = DispatchTime.now().uptimeNanoseconds
        let interval: UInt64 = isTerminal ? 100_000_000 : 5_000_000_000
        guard now - lastDrawn >= interval || (isTerminal && texts == total) else { return }
        lastDrawn = now
        let seconds = max(Double(now - start) / 1e9, 1e-9)
        let rate = String(format: "%.1f \(items)/s", Double(texts) / seconds)
        let counts = total.map { "\(texts)/\($0) \(items)" } ?? "\(texts) \(items)"
        if isTerminal {
            var bar = ""
            if let total, total > 0 {
                let width = 30
                let filled = min(width, texts * width / total)
                bar = "[" + String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled) + "] "
                    + String(format: "%3d%% ", texts * 100 / total)
            }
            writeToStandardError("\r\u{1B}[2K\(label) \(bar)\(counts), \(rows) \(self.rows), \(rate)")
            drawn = true
        } else {
            printError("\(label): \(counts), \(rows) \(self.rows), \(rate)")
        }
    }

    /// Ends the bar's line so later messages start on their own.
    func finish() {
        if drawn { writeToStandardError("\n") }
        drawn = false
    }
}

// MARK: - Interruption

/// Removes the export's temporary files when the process is interrupted (Ctrl-C, SIGTERM, SIGHUP), so an
/// interrupted export leaves the destination as it was and no half-written file beside it.
final class InterruptCleanup: @unchecked Sendable {
    private let lock = NSLock()
    private var paths = [String]()
    private var sources = [DispatchSourceSignal]()

    init(destination: String) {
        for number in [SIGINT, SIGTERM, SIGHUP] {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { [self] in
                lock.lock()
                let current = paths
                lock.unlock()
                for path in current { try? FileManager.default.removeItem(atPath: path) }
                printError("interrupted; \(destination) was not changed")
                // _exit, not exit: the main thread is still running, and exit's global destructors would
                // race with it.
                _exit(128 + number)
            }
            source.resume()
            sources.append(source)
        }
    }

    /// The temporary paths to remove if interrupted now.
    func track(_ paths: [String]) {
        lock.lock()
        self.paths = paths
        lock.unlock()
    }
}
