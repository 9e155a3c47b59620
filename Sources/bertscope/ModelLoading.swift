import BertEngine
import Foundation
import Tokenization

/// A model folder's tokenizer and encoder, loaded for a command.
struct LoadedModel {
    var folder: URL
    var tokenizer: BertTokenizer
    var model: BertModel
}

/// Loads the tokenizer and the weights of a model folder; errors become one clear line.
func loadModel(_ path: String, dialect: Dialect = .hf) throws -> LoadedModel {
    let folder = URL(fileURLWithPath: path)
    let tokenizer = try loadTokenizer(model: path, dialect: dialect)
    do {
        let model = try BertModel(folder: folder)
        if model.config.vocabSize < tokenizer.vocabulary.count {
            printError("warning: vocab.txt has \(tokenizer.vocabulary.count) entries but the model only \(model.config.vocabSize)")
        }
        return LoadedModel(folder: folder, tokenizer: tokenizer, model: model)
    } catch let error as EngineError {
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
