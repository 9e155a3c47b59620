// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "bertscope",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "bertscope", targets: ["bertscope"]),
        .library(name: "Tokenization", targets: ["Tokenization"]),
        .library(name: "BertEngine", targets: ["BertEngine"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        .target(name: "Tokenization"),
        .target(name: "Export", dependencies: ["Tokenization", "BertEngine", "Embeddings"]),
        .systemLibrary(name: "CBLAS", pkgConfig: "openblas", providers: [.apt(["libopenblas-dev"])]),
        // Kernels per instruction set, chosen at run time; the target keeps the baseline -march so the
        // binary runs on any x86-64. -O3 also in debug builds, so debug test runs stay quick.
        .target(name: "CKernels", cSettings: [.unsafeFlags(["-O3"])]),
        .target(
            name: "BertEngine",
            dependencies: ["CBLAS", "CKernels"],
            swiftSettings: [.unsafeFlags(["-Ounchecked"], .when(configuration: .release))]
        ),
        // ICU's word break iterator behind a plain-C shim (libicu-dev from Debian: scripts/system-packages.sh).
        .target(name: "CICU", linkerSettings: [.linkedLibrary("icuuc")]),
        .target(name: "WordSegmentation", dependencies: ["CICU"]),
        .target(name: "Embeddings", dependencies: ["Tokenization", "BertEngine", "WordSegmentation"]),
        // Finding and reading the top-level Resources/ folder (baseline sentences, example sets) at run time.
        .target(name: "ResourceFiles"),
        .target(name: "ModelStore", dependencies: ["BertEngine", "ModelLoader"]),
        .target(name: "ModelLoader", dependencies: ["Tokenization", "BertEngine", "Embeddings"]),
        .systemLibrary(name: "CNcursesw", pkgConfig: "ncursesw", providers: [.apt(["libncursesw5-dev"])]),
        .target(name: "TerminalUI", dependencies: ["Tokenization", "BertEngine", "Embeddings", "Export", "CNcursesw", "ResourceFiles"]),
        .executableTarget(
            name: "bertscope",
            dependencies: [
                "Tokenization",
                "Export",
                "TerminalUI",
                "BertEngine",
                "Embeddings",
                "WordSegmentation",
                "ModelStore",
                "ModelLoader",
                "ResourceFiles",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .target(name: "TestSupport", dependencies: ["ResourceFiles"], path: "Sources/TestSupport"),
        .testTarget(name: "TokenizationTests", dependencies: ["Tokenization", "BertEngine", "ModelLoader", "TestSupport"]),
        .testTarget(name: "BertEngineTests", dependencies: ["BertEngine", "ModelLoader", "TestSupport"]),
        .testTarget(name: "TerminalUITests", dependencies: ["TerminalUI", "ModelLoader", "ResourceFiles", "TestSupport"]),
        .testTarget(name: "EmbeddingsTests", dependencies: ["Embeddings", "ModelLoader", "Tokenization", "TestSupport"]),
        .testTarget(name: "WordSegmentationTests", dependencies: ["WordSegmentation", "TestSupport"]),
        .testTarget(name: "EndToEndTests", dependencies: ["bertscope", "TestSupport", "Tokenization", "TerminalUI", "BertEngine"]),
        .testTarget(name: "ModelStoreTests", dependencies: ["ModelStore", "bertscope", "TestSupport"], exclude: ["fake_hub.py"]),
        .testTarget(
            name: "ExportTests",
            dependencies: ["Export", "Embeddings", "BertEngine", "ModelLoader", "Tokenization", "TerminalUI", "TestSupport", "bertscope"]
        ),
    ]
)
