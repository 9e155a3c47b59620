import ArgumentParser
import BertEngine
import Embeddings
import Foundation
import ModelLoader
import ResourceFiles
import TerminalUI
import Tokenization

struct ExploreCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "explore",
        abstract: "The explorer: type text, watch tokens, vectors and similarities change (the default command).",
        discussion: "Keys: press F1 or ? in the explorer; docs/USAGE.md lists them all."
    )

    @OptionGroup var models: ModelsOption
    @OptionGroup var options: RunOptions

    @Option(name: .long, help: "What a word is in words mode, Compare, pins and exports: linguistic (ICU's word boundaries, spaces and punctuation are not words) or tokenizer (the tokenizer's own words, what the model saw). W switches in the explorer.")
    var words: ExplorerWords = .linguistic

    @Option(name: .customLong("example"), help: "Open with the lines of an example set (bertscope examples lists them).")
    var example: String?

    @Option(name: .customLong("languages"), help: "With --example: only these languages, comma-separated (de,ja,sw).")
    var languages: String?

    @Argument(help: "Text to start with.")
    var text: String?

    func validate() throws {
        if example != nil && text != nil { throw ValidationError("give either TEXT or --example NAME, not both") }
        if languages != nil && example == nil { throw ValidationError("--languages chooses from an --example set") }
    }

    func run() throws {
        guard isatty(STDIN_FILENO) != 0 && isatty(STDOUT_FILENO) != 0 else {
            throw UserError("the explorer needs a terminal; for scripts use tokenize, embed, similarity or export")
        }
        // The resources first: a missing folder or a bad file is said before the model takes its time to load.
        let resources = try resourceFolder()
        let sentences = try reportingResourceErrors { try resources.baselineSentences() }
        let examples = try reportingResourceErrors { try resources.exampleSets() }
        let chosen = try example.map { name in try reportingResourceErrors { try resources.exampleSet(named: name) } }
        let wanted = languages.map { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } } ?? []
        if let chosen, let unknown = wanted.first(where: { !chosen.languages.contains($0) }) {
            throw UserError("--languages: example \"\(chosen.name)\" has no \(unknown); it has \(chosen.languages.joined(separator: ","))")
        }
        // Every model stays in memory: M switches which one the vector panes show, and each line has every one's pieces.
        let loaded = try models.specs.map { try loadModel($0, precision: options.precision) }
        let tokenizers = loaded.map { TokenizerSet(folder: $0.folder, hf: $0.tokenizer) }
        let encoders = loaded.map { PrecisionModels($0.model) }
        let threads = options.threads
        let context = ExplorerContext(models: zip(loaded, tokenizers).map { loaded, tokenizers in
            let positions = loaded.model.config.maxPositions
            return ExplorerContext.Model(
                tokenize: { text, dialect in tokenizers.tokenizer(dialect).encode(text, pair: nil, maxLength: positions) },
                trace: { text, dialect in tokenizers.tokenizer(dialect).trace(text) })
        })
        let services = ExplorerServices(
            context: context,
            embed: { text, dialect, attentions, precision, model in
                try EmbeddedText(text, tokenizer: tokenizers[model].tokenizer(dialect), model: encoders[model].at(precision), attentions: attentions,
                                 threads: threads, f32Model: encoders[model].at(.f32))
            },
            baseline: { key in
                try Baseline(sentences: sentences, tokenizer: tokenizers[key.model].tokenizer(.hf), model: encoders[key.model].at(key.precision),
                             layer: key.layer, pooling: key.pooling, threads: threads)
            },
            export: { request in try exportFromExplorer(request) })
        let facts = loaded.map { loaded in
            var facts = ModelFacts(
                name: loaded.resolved.name, reason: loaded.resolved.reason.description, origin: loaded.resolved.reason.headline,
                layerCount: loaded.model.config.layerCount, hiddenSize: loaded.model.config.hiddenSize, hasPooler: loaded.model.hasPooler,
                tokenizerFamily: loaded.tokenizer.family)
            facts.sentenceModules = loaded.sentenceModules
            return facts
        }
        var state = ExplorerState(models: facts, rows: 30, columns: 100, emptyEncodings: context.encodings("", .hf))
        state.precision = options.precision
        state.wordSource = words.source
        state.examples = examples
        if let text {
            // The reducer's start tokenizes it with every model.
            state.lines[0].editor.setText(text)
        } else if let chosen {
            ExplorerReducer.load(chosen, languages: wanted, &state, context)
        }
        ExplorerApp.run(state, services: services)
    }
}

/// The word sources the explorer offers (`align --pretokenized`'s whitespace tokens are for evaluation data).
enum ExplorerWords: String, ExpressibleByArgument, CaseIterable {
    case linguistic, tokenizer

    var source: WordSource { self == .linguistic ? .linguistic : .tokenizer }
}

/// The loaded model at each precision the explorer switched to (b), its weights converted on first use from the
/// same mapped checkpoint; each stays, so switching back is instant.
final class PrecisionModels: @unchecked Sendable {
    private var models: [Precision: BertModel]
    private let lock = NSLock()

    init(_ loaded: BertModel) { models = [loaded.precision: loaded] }

    func at(_ precision: Precision) throws -> BertModel {
        lock.lock()
        defer { lock.unlock() }
        if let known = models[precision] { return known }
        let made = try models.values.first!.converted(to: precision)
        models[precision] = made
        return made
    }
}

/// One tokenizer per dialect, made on first use (the Google and Spark character tables take a moment).
/// Dialects are WordPiece's: a SentencePiece tokenizer is the same in every dialect.
final class TokenizerSet: @unchecked Sendable {
    private let folder: URL
    private var tokenizers: [Dialect: any TextTokenizer]
    private let lock = NSLock()

    init(folder: URL, hf: any TextTokenizer) {
        self.folder = folder
        tokenizers = [.hf: hf]
    }

    func tokenizer(_ dialect: Dialect) -> any TextTokenizer {
        lock.lock()
        defer { lock.unlock() }
        if let known = tokenizers[dialect] { return known }
        let hf = tokenizers[.hf]!
        guard hf.family == .wordPiece else { return hf }
        // The folder loaded once already, so this can only fail if it changed under us: fall back to hf.
        let made = (try? ModelFolder.tokenizer(in: folder, dialect: dialect)) ?? hf
        tokenizers[dialect] = made
        return made
    }
}
