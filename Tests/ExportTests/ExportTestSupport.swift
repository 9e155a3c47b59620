import BertEngine
import Embeddings
import Foundation
import ModelLoader
import TestSupport
import Tokenization

/// The tiny test model (2 layers, hidden size 32) and direct computation of what exports should contain.
enum TinyModel {
    static let folder = TestPaths.fixtures.appendingPathComponent("engine/tiny-modern")

    static let loaded: Result<(BertTokenizer, BertModel), Error> = Result {
        (try BertTokenizer(modelFolder: folder), try ModelFolder.model(in: folder))
    }

    /// `text` embedded in-process, as the exports should have seen it.
    static func embed(_ text: String, dialect: Dialect = .hf) throws -> EmbeddedText {
        let (standard, model) = try loaded.get()
        let tokenizer = dialect == .hf ? standard : try BertTokenizer(modelFolder: folder, dialect: dialect)
        return try EmbeddedText(text, tokenizer: tokenizer, model: model)
    }
}

/// Runs Tests/Fixtures/export/read_export.py with the tools venv's Python (numpy, csv, json).
enum PythonReader {
    static let python: Result<String, Error> = Result {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/bash")
        process.arguments = [TestPaths.repository.appendingPathComponent("scripts/tools-venv.sh").path]
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0,
              let last = String(decoding: data, as: UTF8.self).split(separator: "\n").last
        else { throw ReaderFailure(message: "scripts/tools-venv.sh failed (status \(process.terminationStatus))") }
        return String(last)
    }

    /// What the reader script prints for an export, decoded.
    static func read(_ format: String, _ path: String) throws -> [String: Any] {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try python.get())
        process.arguments = [TestPaths.fixtures.appendingPathComponent("export/read_export.py").path, format, path]
        let output = Pipe(), errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        nonisolated(unsafe) var errorData = Data()
        let group = DispatchGroup()
        DispatchQueue.global().async(group: group) { errorData = errors.fileHandleForReading.readDataToEndOfFile() }
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        group.wait()
        guard process.terminationStatus == 0 else {
            throw ReaderFailure(message: "read_export.py \(format) \(path): " + String(decoding: errorData, as: UTF8.self))
        }
        guard let object = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw ReaderFailure(message: "read_export.py printed no object")
        }
        return object
    }

    /// The table rows of an export: labels (empty cells as "") and vectors.
    static func rows(_ format: String, _ path: String) throws -> [(labels: [String: String], vector: [Double])] {
        let result = try read(format, path)
        let rows = result["rows"] as? [[String: Any]] ?? []
        return rows.map { row in
            let labels = (row["labels"] as? [String: Any] ?? [:]).mapValues { $0 as? String ?? "" }
            let vector = (row["vector"] as? [NSNumber] ?? []).map(\.doubleValue)
            return (labels, vector)
        }
    }
}

struct ReaderFailure: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}

/// A fresh folder under the system's temporary folder, removed by the caller's `defer`.
func makeScratchFolder(_ name: String = #function) throws -> URL {
    try makeTemporaryFolder("export-tests-\(name)")
}

func removeScratch(_ folder: URL) {
    try? FileManager.default.removeItem(at: folder)
}

/// The names in `folder` that look like an export's temporary or set-aside files.
func leftovers(in folder: URL) -> [String] {
    ((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []).filter { $0.hasPrefix(".") }
}

/// The largest absolute difference between a computed vector and one read back, as float32 values (the
/// reader prints each float32 exactly, but JSON number parsing may land a double's last bit off, which
/// rounding to float32 removes).
func maxDifference(_ expected: [Float], _ actual: [Double]) -> Double {
    guard expected.count == actual.count else { return .infinity }
    return zip(expected, actual).reduce(0) { max($0, abs(Double($1.0) - Double(Float($1.1)))) }
}

/// The largest difference relative to the value's size (at least 1): the check for text formats.
func maxRelativeDifference(_ expected: [Float], _ actual: [Double]) -> Double {
    guard expected.count == actual.count else { return .infinity }
    return zip(expected, actual).reduce(0) { max($0, abs(Double($1.0) - Double(Float($1.1))) / max(1, abs(Double($1.0)))) }
}

