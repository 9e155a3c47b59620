import Foundation

/// Runs the built `bertscope` binary, as a user would, and captures what it prints.
public struct CommandResult: Sendable {
    public var status: Int32
    public var standardOutput: String
    public var standardError: String
}

public enum Bertscope {
    /// The binary next to the test bundle (`.build/<configuration>/bertscope`).
    public static var executable: URL {
        var folder = Bundle.main.bundleURL
        for _ in 0..<4 {
            let candidate = folder.appendingPathComponent("bertscope")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
            folder.deleteLastPathComponent()
        }
        return TestPaths.repository.appendingPathComponent(".build/debug/bertscope")
    }

    /// Runs `bertscope arguments…` with `input` on standard input.
    public static func run(_ arguments: [String], input: Data? = nil, environment: [String: String] = [:]) throws -> CommandResult {
        try runProgram(executable.path, arguments, input: input, environment: environment)
    }
}

/// Runs any program (the `bertscope` binary through a shell, or under another user) with `input` on standard
/// input and the test's environment plus `environment`, and captures what it prints.
public func runProgram(_ executable: String, _ arguments: [String], input: Data? = nil, environment: [String: String] = [:]) throws -> CommandResult {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
    let output = Pipe(), error = Pipe(), standardInput = Pipe()
    process.standardOutput = output
    process.standardError = error
    process.standardInput = standardInput
    try process.run()
    // Read both pipes while the process runs so a full pipe never blocks it.
    let group = DispatchGroup()
    nonisolated(unsafe) var outputData = Data(), errorData = Data()
    DispatchQueue.global().async(group: group) { outputData = output.fileHandleForReading.readDataToEndOfFile() }
    DispatchQueue.global().async(group: group) { errorData = error.fileHandleForReading.readDataToEndOfFile() }
    if let input { standardInput.fileHandleForWriting.write(input) }
    try? standardInput.fileHandleForWriting.close()
    process.waitUntilExit()
    group.wait()
    return CommandResult(
        status: process.terminationStatus, standardOutput: String(decoding: outputData, as: UTF8.self),
        standardError: String(decoding: errorData, as: UTF8.self))
}
