/// What went wrong loading or running a model, said so a user can act on it.
public enum EngineError: Error, CustomStringConvertible, Equatable {
    case invalidConfig(String, String)
    case invalidWeights(String, String)
    case missingTensor(String, expectedShape: [Int])
    case wrongShape(String, found: [Int], expected: [Int])
    case invalidInput(String)

    public var description: String {
        switch self {
        case .invalidConfig(let path, let reason): return "\(path): \(reason)"
        case .invalidWeights(let path, let reason): return "\(path): \(reason)"
        case .missingTensor(let name, let shape):
            return "the checkpoint has no tensor \(name) (expected shape \(shape)); is it a BERT checkpoint of this config?"
        case .wrongShape(let name, let found, let expected):
            return "tensor \(name) has shape \(found) but the config implies \(expected)"
        case .invalidInput(let reason): return reason
        }
    }
}
