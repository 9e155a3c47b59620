import ArgumentParser
import BertEngine
import Embeddings
import Export
import Foundation
import TerminalUI
import Tokenization

struct BenchExplorerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench-explorer",
        abstract: "Measure the explorer's latency: key to new tokens on screen, and key to new vectors.",
        discussion: """
            Types TEXT one character at a time through the explorer's own reducer and renderer, without a
            terminal, and times each key: re-tokenizing plus drawing the screen model (what ncurses then paints
            is not included; it repaints only changed cells), and the forward pass for the new text plus
            drawing its vectors. Reports the median, 95th percentile and maximum over every key of --runs passes.
            """
    )

    @OptionGroup var options: EncoderOptions

    @Option(name: .long, help: "The text to type.")
    var text = "The quick brown fox jumps over the lazy dog, und der schnelle Fuchs springt über den Hund."

    @Option(name: .long, help: "Passes over the text.")
    var runs: Int = 3

    @Flag(name: .long, help: "Write one JSON object.")
    var json = false

    func validate() throws {
        if text.allSatisfy(\.isWhitespace) { throw ValidationError("--text must have something to type besides spaces") }
        if runs < 1 { throw ValidationError("--runs must be at least 1") }
    }

    func run() throws {
        let loaded = try loadModel(options.model, precision: options.precision)
        let tokenizer = loaded.tokenizer
        let encoder = loaded.model
        // As in the explorer, a reduced precision's vectors come with the f32 pass they are compared with (at f32
        // this is the model itself, and EmbeddedText runs no second pass).
        let f32Model = try encoder.converted(to: .f32)
        let context = ExplorerContext(
            tokenize: { text, _ in tokenizer.encode(text, pair: nil, maxLength: encoder.config.maxPositions) },
            trace: { text, _ in tokenizer.trace(text) })
        let facts = ModelFacts(name: loaded.resolved.name, reason: loaded.resolved.reason.description,
                               layerCount: encoder.config.layerCount, hiddenSize: encoder.config.hiddenSize, hasPooler: encoder.hasPooler)
        var tokenTimes = [Double]()
        var vectorTimes = [Double]()
        for _ in 0..<runs {
            var state = ExplorerState(model: facts, rows: 30, columns: 100, emptyEncoding: context.tokenize("", .hf))
            state.precision = encoder.precision
            for character in text {
                var effects = [ExplorerEffect]()
                tokenTimes.append(measure {
                    effects = ExplorerReducer.reduce(&state, .key(.character(character)), context: context)
                    _ = ExplorerView.render(state)
                } * 1000)
                for case let .embed(line, generation, typed, _, _, _, _) in effects {
                    vectorTimes.append(try measure {
                        let embedded = try EmbeddedText(typed, tokenizer: tokenizer, model: encoder, threads: options.threads, f32Model: f32Model)
                        _ = ExplorerReducer.reduce(&state, .vectorsReady(line: line, generation: generation, embedded, milliseconds: 0), context: context)
                        _ = ExplorerView.render(state)
                    } * 1000)
                }
            }
        }
        let tokens = tokenizer.encode(text).count
        func percentile(_ values: [Double], _ p: Double) -> Double {
            let sorted = values.sorted()
            return sorted.isEmpty ? .nan : sorted[min(sorted.count - 1, Int(Double(sorted.count) * p))]
        }
        if json {
            var writer = JSONWriter()
            writer.beginObject()
            writer.key("model"); writer.string(loaded.resolved.name)
            writer.key("tokens"); writer.int(tokens)
            writer.key("keys"); writer.int(tokenTimes.count)
            for (key, times) in [("key_to_tokens_ms", tokenTimes), ("key_to_vectors_ms", vectorTimes)] {
                writer.key(key)
                writer.beginObject()
                writer.key("median"); writer.double(times.median)
                writer.key("p95"); writer.double(percentile(times, 0.95))
                writer.key("max"); writer.double(times.max() ?? 0)
                writer.endObject()
            }
            writer.endObject()
            writeLine(writer.text)
        } else {
            writeLine("\(loaded.resolved.name), text of \(tokens) tokens, \(tokenTimes.count) keys:")
            writeLine(String(format: "  key -> tokens on screen:  median %.2f ms, p95 %.2f ms, max %.2f ms",
                             tokenTimes.median, percentile(tokenTimes, 0.95), tokenTimes.max() ?? 0))
            writeLine(String(format: "  key -> vectors on screen: median %.2f ms, p95 %.2f ms, max %.2f ms",
                             vectorTimes.median, percentile(vectorTimes, 0.95), vectorTimes.max() ?? 0))
        }
    }
}
