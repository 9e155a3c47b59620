import ArgumentParser
import BertEngine
import Embeddings
import Foundation
import ModelLoader
import ModelStore
import Tokenization
import WordSegmentation

/// A model's tokenizer and encoder, loaded for a command, with where they came from and why.
struct LoadedModel {
    var folder: URL
    var tokenizer: any TextTokenizer
    var model: BertModel
    var resolved: ResolvedModel
    /// What a sentence-transformers folder computes after the encoder; nil when it declares nothing (or
    /// declares what bertscope cannot compute, which is said once on standard error).
    var sentenceModules: SentenceModules?
}

/// Help for every command's `--model`.
let modelOptionHelp = """
    A model folder, a Hugging Face repository (ORG/NAME[@REVISION]) in the Hugging Face cache, or a name in \
    bertscope's cache. Default: bert-base-multilingual-cased if cached, else bertscope's offline default, \
    multilingual-e5-small (see `bertscope models`).
    """

/// `--model`, as every command that reads a model takes it.
struct ModelOption: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp(modelOptionHelp))
    var model: String?
}

extension Precision: ExpressibleByArgument {}

/// Help for every encoder command's `--precision`.
let precisionHelp = ArgumentHelp(
    "What the encoder's linear weights are kept and computed in: f32 (the checkpoint's numbers, exact), bf16 or int8 "
        + "(per-output-channel weights; where the CPU has AVX512_BF16 / VNNI the layers' inputs are rounded or quantized "
        + "too; attention, LayerNorm and sums stay f32).",
    valueName: "f32|bf16|int8")

/// `--model` given once or more (`explore`, `tokenize`): the models side by side, in the order given.
struct ModelsOption: ParsableArguments {
    /// More would not leave the explorer's panes room under one row per model.
    static let maximum = 4

    @Option(name: .customLong("model"), help: ArgumentHelp(modelOptionHelp + " Give it twice (or up to \(maximum) times) to compare the models' tokenizations side by side."))
    var models: [String] = []

    /// The models to load: the default one when none was named.
    var specs: [String?] { models.isEmpty ? [nil] : models }

    func validate() throws {
        if models.count > Self.maximum { throw ValidationError("--model: at most \(Self.maximum) models at once") }
    }
}

/// `--threads` and `--precision`: how the encoder runs.
struct RunOptions: ParsableArguments {
    @Option(name: .long, help: "Threads for the encoder (matrix products and attention).")
    var threads: Int = ProcessInfo.processInfo.activeProcessorCount

    @Option(name: .long, help: precisionHelp)
    var precision: Precision = .f32

    func validate() throws {
        if threads < 1 { throw ValidationError("--threads must be at least 1") }
    }
}

/// `--model`, `--threads` and `--precision`: the options of every command that runs the encoder.
struct EncoderOptions: ParsableArguments {
    @OptionGroup var source: ModelOption
    @OptionGroup var run: RunOptions

    var model: String? { source.model }
    var threads: Int { run.threads }
    var precision: Precision { run.precision }
}

/// Commands run on one thread; the note about the offline default is worth saying once per run.
nonisolated(unsafe) private var announcedOfflineDefault = false

/// Finds the model `--model` names (nil: the default), turning a failure into one clear line that says how
/// to get a model. Falling back to the offline default is mentioned on standard error: it is a different model
/// (another vocabulary, 384-wide vectors) from the bert-base-multilingual-cased a user may expect.
func resolveModel(_ spec: String?, needs requirement: ModelRequirement, announceDefault: Bool = true) throws -> ResolvedModel {
    do {
        let resolved = try ModelResolver(environment: StoreEnvironment()).resolve(spec, needs: requirement)
        if announceDefault, !announcedOfflineDefault, case .offlineDefault(let hubDefaultProblem) = resolved.reason {
            announcedOfflineDefault = true
            printError("no --model, and \(hubDefaultProblem): using the offline default "
                       + "\(resolved.name), \(DefaultModels.offline.displayName); with the Hub reachable, `bertscope pull` fetches \(DefaultModels.hub.repo)")
        }
        return resolved
    } catch let error as ModelStoreError {
        throw UserError(error.description)
    }
}

/// Loads the tokenizer and the weights (at `precision`) of the model `--model` names (nil: the default);
/// errors become one clear line.
func loadModel(_ path: String?, dialect: Dialect = .hf, precision: Precision = .f32) throws -> LoadedModel {
    try loadModel(resolveModel(path, needs: .weights), dialect: dialect, precision: precision)
}

/// Loads the tokenizer and the weights (at `precision`) of a resolved model; errors become one clear line.
func loadModel(_ resolved: ResolvedModel, dialect: Dialect = .hf, precision: Precision = .f32) throws -> LoadedModel {
    let (tokenizer, model) = try reportingModelErrors(of: resolved) {
        try ModelFolder.open(resolved.folder, dialect: dialect, precision: precision)
    }
    for (tensor, count) in model.checkpoint.nonFiniteValueCounts().sorted(by: { $0.key < $1.key }) {
        printError("warning: tensor \(tensor) holds \(count) NaN or infinite value\(count == 1 ? "" : "s"); vectors will be meaningless")
    }
    if model.config.vocabSize < tokenizer.pieceCount {
        printError("warning: the tokenizer has \(tokenizer.pieceCount) pieces but the model only \(model.config.vocabSize) embedding rows")
    }
    var sentenceModules: SentenceModules?
    do {
        sentenceModules = try ModelFolder.sentenceModules(in: resolved.folder)
    } catch {
        printError("warning: \(error)")
    }
    return LoadedModel(folder: resolved.folder, tokenizer: tokenizer, model: model, resolved: resolved, sentenceModules: sentenceModules)
}

/// Loads the tokenizer of a resolved model folder (WordPiece or an E5S1 file's SentencePiece).
func loadTokenizer(from resolved: ResolvedModel, dialect: Dialect) throws -> any TextTokenizer {
    try reportingModelErrors(of: resolved) { try ModelFolder.tokenizer(in: resolved.folder, dialect: dialect) }
}

/// The checks of every command that reads TEXT... or --jsonl FILE and takes --max-length.
func validateTextInput(jsonl: String?, texts: [String], verb: String, maxLength: Int?) throws {
    if jsonl == nil && texts.isEmpty { throw ValidationError("give TEXT to \(verb), or --jsonl FILE") }
    if jsonl != nil && !texts.isEmpty { throw ValidationError("give either TEXT or --jsonl FILE, not both") }
    if let maxLength, maxLength < 0 { throw ValidationError("--max-length must be 0 or a number of positions") }
}

/// Help for `--max-length` of the commands that run the encoder.
let encoderMaxLengthHelp = "Positions allowed, special tokens included; by default, with 0, or when larger: the model's positions."

/// The positions a text may take in the encoder: `--max-length` (0 or nil: no limit of the user's own) within
/// the model's positions.
func positionLimit(_ requested: Int?, modelPositions: Int) -> Int {
    guard let requested, requested != 0 else { return modelPositions }
    return min(requested, modelPositions)
}

/// Tokenizes with a position limit, refusing a limit too small for the tokenizer's own special tokens
/// (which the tokenizer would otherwise ignore, truncating nothing).
func encode(_ tokenizer: any TextTokenizer, _ text: String, pair: String?, maxLength: Int?) throws -> Encoding {
    let needed = tokenizer.specialTokenCount(pair: pair != nil)
    if let maxLength, maxLength < needed {
        throw UserError("--max-length \(maxLength) leaves no room: this tokenizer adds \(needed) special tokens to \(pair == nil ? "a text" : "a pair")")
    }
    return tokenizer.encode(text, pair: pair, maxLength: maxLength)
}

/// Runs `body`, turning a tokenizer's or the engine's error about `resolved` into one clear line; a damaged
/// offline default gets the command that installs it again.
private func reportingModelErrors<T>(of resolved: ResolvedModel, _ body: () throws -> T) throws -> T {
    let repair = resolved.reason.isOfflineDefault ? "; `bertscope pull --default-offline` installs the offline default again" : ""
    do {
        return try body()
    } catch let error as TokenizerError {
        throw UserError(error.description + (error.isAboutFiles ? repair : ""))
    } catch let error as EngineError {
        throw UserError(error.description + repair)
    }
}

/// Runs `body`, turning the engine's and the word segmenter's errors into one clear line.
func reportingEngineErrors<T>(_ body: () throws -> T) throws -> T {
    do {
        return try body()
    } catch let error as EngineError {
        throw UserError(error.description)
    } catch let error as WordSegmentationError {
        throw UserError(error.description)
    }
}

/// Which hidden states to report: `all`, `last`, or a comma-separated list of indices (0 = embeddings).
struct LayerSelection {
    var indices: [Int]

    init(_ text: String, layerCount: Int) throws {
        switch text {
        case "all": indices = Array(0...layerCount)
        case "last": indices = [layerCount]
        default:
            indices = try text.split(separator: ",").map { part in
                let trimmed = part.trimmingCharacters(in: .whitespaces)
                var value = Int(trimmed)
                if let number = value, number < 0 { value = layerCount + 1 + number }  // -1 is the last layer
                guard let index = value, (0...layerCount).contains(index) else {
                    throw UserError("--layers: \"\(trimmed)\" is not a layer; use all, last, or indices 0...\(layerCount)")
                }
                return index
            }
            if indices.isEmpty { throw UserError("--layers: give all, last, or indices 0...\(layerCount)") }
        }
    }
}
