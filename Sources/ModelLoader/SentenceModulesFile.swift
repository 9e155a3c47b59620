import BertEngine
import Embeddings
import Foundation

/// A sentence-transformers folder's modules that bertscope cannot compute, or files it cannot read.
public struct SentenceModulesError: Error, CustomStringConvertible, Equatable {
    public var path: String
    public var reason: String
    public var description: String { "\(path): \(reason); the model's own sentence vector is not available (bertscope's pooling still is)" }
}

extension ModelFolder {
    /// The sentence modules of a sentence-transformers folder (`modules.json`: the Transformer, then Pooling,
    /// Dense and Normalize, each in its folder), with the prompts of `config_sentence_transformers.json`;
    /// nil for a folder without `modules.json`. A module of another kind, an activation other than tanh or
    /// identity, or Dense weights as a pickle are refused by name, never approximated.
    public static func sentenceModules(in folder: URL) throws -> SentenceModules? {
        let listing = folder.appendingPathComponent("modules.json")
        guard FileManager.default.fileExists(atPath: listing.path) else { return nil }
        func fail(_ url: URL, _ reason: String) -> SentenceModulesError { SentenceModulesError(path: url.path, reason: reason) }
        func object(_ url: URL) throws -> [String: Any] {
            guard let data = FileManager.default.contents(atPath: url.path),
                  let value = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
                throw fail(url, "missing or not a JSON object")
            }
            return value
        }
        guard let data = FileManager.default.contents(atPath: listing.path),
              let modules = try? JSONSerialization.jsonObject(with: data) as? [[String: Any]] else {
            throw fail(listing, "not a JSON list of modules")
        }
        var steps = [SentenceModules.Step]()
        for (position, module) in modules.enumerated() {
            let type = module["type"] as? String ?? ""
            let kind = type.split(separator: ".").last.map(String.init) ?? ""
            let path = module["path"] as? String ?? ""
            guard !path.split(separator: "/").contains(where: { $0 == ".." }) else { throw fail(listing, "module path \"\(path)\" leads out of the folder") }
            let moduleFolder = folder.appendingPathComponent(path, isDirectory: true)
            switch kind {
            case "Transformer" where position == 0:
                continue
            case "Pooling":
                steps.append(try pooling(object(moduleFolder.appendingPathComponent("config.json")), at: moduleFolder))
            case "Dense":
                steps.append(.dense(try dense(object(moduleFolder.appendingPathComponent("config.json")), at: moduleFolder)))
            case "Normalize":
                steps.append(.normalize)
            default:
                throw fail(listing, "module \(position) is \(type.isEmpty ? "of no type" : type), which bertscope does not compute "
                           + "(it computes a first Transformer, then Pooling, Dense and Normalize)")
            }
        }
        var prompts = [String: String]()
        let settings = folder.appendingPathComponent("config_sentence_transformers.json")
        if FileManager.default.fileExists(atPath: settings.path) {
            for (name, text) in (try object(settings))["prompts"] as? [String: Any] ?? [:] {
                guard let text = text as? String else { throw fail(settings, "prompt \(name) is not a string") }
                prompts[name] = text
            }
        }
        return SentenceModules(steps: steps, prompts: prompts, origin: listing.path)
    }

    /// `1_Pooling/config.json`: the current `pooling_mode` (a name or a list) or the older `pooling_mode_*`
    /// flags (none set means mean, as sentence-transformers reads them).
    private static func pooling(_ config: [String: Any], at folder: URL) throws -> SentenceModules.Step {
        let legacy: [(String, SentenceModules.PoolingMode)] = [
            ("pooling_mode_cls_token", .cls), ("pooling_mode_max_tokens", .max), ("pooling_mode_mean_tokens", .mean),
            ("pooling_mode_mean_sqrt_len_tokens", .meanSqrtLength), ("pooling_mode_weightedmean_tokens", .weightedMean),
            ("pooling_mode_lasttoken", .lastToken),
        ]
        var names: [String]
        if let name = config["pooling_mode"] as? String {
            names = [name]
        } else if let list = config["pooling_mode"] as? [String] {
            names = list
        } else {
            names = legacy.filter { config[$0.0] as? Bool == true }.map(\.1.rawValue)
            if names.isEmpty { names = ["mean"] }
        }
        let modes = try names.map { name in
            guard let mode = SentenceModules.PoolingMode(rawValue: name) else {
                throw SentenceModulesError(path: folder.appendingPathComponent("config.json").path, reason: "pooling mode \"\(name)\" is not one sentence-transformers defines")
            }
            return mode
        }
        return .pooling(modes, includePrompt: config["include_prompt"] as? Bool ?? true)
    }

    /// `2_Dense/config.json` and its `model.safetensors` (`linear.weight`, `linear.bias`, `residual.weight`).
    private static func dense(_ config: [String: Any], at folder: URL) throws -> SentenceModules.Dense {
        let configPath = folder.appendingPathComponent("config.json").path
        func fail(_ reason: String) -> SentenceModulesError { SentenceModulesError(path: configPath, reason: reason) }
        guard let inputs = config["in_features"] as? Int, let outputs = config["out_features"] as? Int, inputs > 0, outputs > 0 else {
            throw fail("in_features and out_features must be positive numbers")
        }
        let activations: [String: SentenceModules.Activation] = [
            "torch.nn.modules.activation.Tanh": .tanh, "torch.nn.modules.linear.Identity": .identity,
        ]
        let named = config["activation_function"] as? String ?? "torch.nn.modules.activation.Tanh"
        guard let activation = activations[named] else { throw fail("activation \(named) is not one bertscope computes (Tanh, Identity)") }
        for key in ["module_input_name", "module_output_name"] where (config[key] as? String ?? "sentence_embedding") != "sentence_embedding" {
            throw fail("\(key) is not sentence_embedding: a Dense layer on token vectors is not computed")
        }
        let weights = folder.appendingPathComponent("model.safetensors")
        guard FileManager.default.fileExists(atPath: weights.path) else {
            throw fail(FileManager.default.fileExists(atPath: folder.appendingPathComponent("pytorch_model.bin").path)
                       ? "the Dense weights are a PyTorch pickle (pytorch_model.bin), which bertscope does not read: loading a pickle can run any code it contains"
                       : "no model.safetensors with the Dense weights")
        }
        let checkpoint = try Checkpoint(safetensorsAt: weights.path)
        let weight = Array(try checkpoint.float32("linear.weight", shape: [outputs, inputs]))
        let hasBias = config["bias"] as? Bool ?? true
        let bias = hasBias ? Array(try checkpoint.float32("linear.bias", shape: [outputs])) : nil
        var residual: SentenceModules.Dense.Residual?
        if config["use_residual"] as? Bool == true {
            residual = inputs == outputs ? .identity : .projected(Array(try checkpoint.float32("residual.weight", shape: [outputs, inputs])))
        }
        return SentenceModules.Dense(inputSize: inputs, outputSize: outputs, weight: weight, bias: bias, activation: activation, residual: residual)
    }
}
