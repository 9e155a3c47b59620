// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "bertscope",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "bertscope", targets: ["bertscope"]),
        .library(name: "Tokenization", targets: ["Tokenization"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        .target(name: "Tokenization"),
        .target(name: "Export", dependencies: ["Tokenization"]),
        .target(name: "TerminalUI"),
        .executableTarget(
            name: "bertscope",
            dependencies: [
                "Tokenization",
                "Export",
                "TerminalUI",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .testTarget(name: "TokenizationTests", dependencies: ["Tokenization"]),
    ]
)
