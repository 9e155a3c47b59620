import ArgumentParser
import Export
import Foundation
import Tokenization

struct BenchTokenizeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench-tokenize",
        abstract: "Time vocabulary loading and tokenization of a JSON Lines corpus (single thread).",
        discussion: "Each text is encoded with [CLS]/[SEP] one after another; the median of --runs timed runs after a warm-up is reported."
    )

    @OptionGroup var source: ModelOption

    @Option(name: .long, help: "JSON Lines corpus: one {\"text\": ...} per line.")
    var jsonl: String

    @Option(name: .long, help: "Whose tokenization to run: hf, google or spark.")
    var dialect: Dialect = .hf

    @Option(name: .long, help: "Timed runs.")
    var runs: Int = 7

    @Flag(name: .long, help: "Write one JSON object.")
    var json = false

    func run() throws {
        var reader = try JSONLReader(path: jsonl)
        var texts = [String]()
        do {
            while let record = try reader.next() { texts.append(record.text) }
        } catch let error as JSONLLineError {
            throw UserError(error.description)
        }
        let bytes = texts.reduce(0) { $0 + $1.utf8.count }
        var loads = [Double]()
        var tokenizer: (any TextTokenizer)! = nil
        for _ in 0..<5 {
            let seconds = try measure { tokenizer = try loadTokenizer(model: source.model, dialect: dialect) }
            loads.append(seconds)
        }
        var tokens = 0
        func encodeAll() -> Int { texts.reduce(0) { $0 + tokenizer.encode($1).count } }
        tokens = encodeAll()
        let times = (0..<max(1, runs)).map { _ in measure { _ = encodeAll() } }
        let median = times.median
        if json {
            var writer = JSONWriter()
            writer.beginObject()
            writer.key("implementation"); writer.string("bertscope")
            writer.key("texts"); writer.int(texts.count)
            writer.key("utf8_bytes"); writer.int(bytes)
            writer.key("tokens"); writer.int(tokens)
            writer.key("runs"); writer.int(runs)
            writer.key("load_ms"); writer.raw(String(format: "%.2f", loads.median * 1000))
            writer.key("median_ms"); writer.raw(String(format: "%.2f", median * 1000))
            writer.key("texts_per_s"); writer.int(Int(Double(texts.count) / median))
            writer.key("mb_per_s"); writer.raw(String(format: "%.2f", Double(bytes) / median / 1e6))
            writer.endObject()
            writeLine(writer.text)
        } else {
            writeLine(String(format: "vocabulary load: %.1f ms (median of 5)", loads.median * 1000))
            writeLine(String(format: "%d texts, %d bytes, %d tokens: %.1f ms median of %d runs, %.0f texts/s, %.2f MB/s",
                             texts.count, bytes, tokens, median * 1000, runs, Double(texts.count) / median, Double(bytes) / median / 1e6))
        }
    }
}

/// Wall-clock seconds one call takes.
func measure(_ body: () throws -> Void) rethrows -> Double {
    let start = DispatchTime.now().uptimeNanoseconds
    try body()
    return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
}

extension Array where Element == Double {
    /// The middle value (the mean of the two middle ones for an even count).
    var median: Double {
        guard !isEmpty else { return .nan }
        let sorted = self.sorted()
        return count % 2 == 1 ? sorted[count / 2] : (sorted[count / 2 - 1] + sorted[count / 2]) / 2
    }
}
