import ArgumentParser
import BertEngine
import Export
import Foundation
import ModelLoader

extension QuantizedWeights: ExpressibleByArgument {}

struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Time the encoder's forward pass on synthetic token ids.",
        discussion: """
            Loads the model (a folder with config.json and model.safetensors, or with an E5S1 .bin file; a folder
            with only config.json gets random weights from a fixed seed, so the full shape can be measured without
            the checkpoint), runs
            warm-up passes, then times --runs passes of --batch sequences of --seq tokens. Reports the median,
            min and max milliseconds per pass, tokens per second, load time and peak memory.
            --precision picks what the linear weights are kept and computed in (f32, bf16, int8); --quantized picks
            how 4-bit (Q4_0) weights are kept at f32, to compare the two; --attentions keeps every
            layer's attention probabilities, as embed --attentions does, to measure what that costs.
            JSON keys: precision, median_ms, min_ms, max_ms, tokens_per_s, load_ms, first_forward_ms, peak_rss_mb, kernels,
            kernels_variant (the kernel set that ran: AVX-512+BF16+VNNI, AVX-512+VNNI, AVX-512, AVX2+VNNI, AVX2+FMA or baseline; BERTSCOPE_KERNELS=avx512+vnni|avx512|avx2+vnni|avx2|baseline
            forces one), cpu_features, attentions, ...
            """
    )

    @Option(name: .long, help: "Model folder, or a folder with only config.json for random weights.")
    var model: String

    @Option(name: .long, help: precisionHelp)
    var precision: Precision = .f32

    @Option(name: .long, help: "Q4_0 weights at f32 precision: keep4bit (expanded inside each product) or dequantize (to f32 at load).")
    var quantized: QuantizedWeights = .default

    @Option(name: .long, help: "Sequences per forward pass.")
    var batch: Int = 1

    @Option(name: .long, help: "Tokens per sequence.")
    var seq: Int = 32

    @Option(name: .long, help: "Threads for the matrix products.")
    var threads: Int = ProcessInfo.processInfo.activeProcessorCount

    @Option(name: .long, help: "Timed passes (after 2 warm-up passes).")
    var runs: Int = 10

    @Flag(name: .long, help: "Keep every layer's attention probabilities (as embed --attentions does).")
    var attentions = false

    @Flag(name: .long, help: "Write one JSON object.")
    var json = false

    func validate() throws {
        if batch < 1 || seq < 1 || runs < 1 || threads < 1 {
            throw ValidationError("--batch, --seq, --runs and --threads must be at least 1")
        }
    }

    func run() throws {
        let folder = URL(fileURLWithPath: model)
        let start = DispatchTime.now().uptimeNanoseconds
        let encoder: BertModel
        let weights: String
        do {
            let configURL = folder.appendingPathComponent("config.json")
            let manager = FileManager.default
            if manager.fileExists(atPath: configURL.path), !manager.fileExists(atPath: folder.appendingPathComponent("model.safetensors").path) {
                let config = try BertConfig.load(configURL)
                encoder = try BertModel(config: config, checkpoint: .random(config: config, seed: 42), precision: precision)
                weights = "random (seed 42)"
            } else {
                encoder = try ModelFolder.model(in: folder, precision: precision, quantized: quantized)
                weights = URL(fileURLWithPath: encoder.checkpoint.origin).lastPathComponent
            }
        } catch let error as EngineError {
            throw UserError(error.description)
        }
        guard seq <= encoder.config.maxPositions else {
            throw UserError("--seq \(seq) is more than the model's \(encoder.config.maxPositions) positions")
        }
        var generator = SystemRandomNumberGenerator()
        let inputs = (0..<batch).map { _ in
            ModelInput(ids: (0..<seq).map { _ in Int.random(in: 0..<encoder.config.vocabSize, using: &generator) })
        }
        let loaded = DispatchTime.now().uptimeNanoseconds
        let request: AttentionRequest = attentions ? .all : .none
        _ = try encoder.forward(inputs, attentions: request, threads: threads)
        let firstForward = DispatchTime.now().uptimeNanoseconds
        _ = try encoder.forward(inputs, attentions: request, threads: threads)
        let times = try (0..<runs).map { _ in try measure { _ = try encoder.forward(inputs, attentions: request, threads: threads) } * 1000 }
        let median = times.median
        let tokensPerSecond = Double(batch * seq) / (median / 1000)
        let loadMilliseconds = Double(loaded - start) / 1e6
        let firstForwardMilliseconds = Double(firstForward - start) / 1e6
        let peakMegabytes = peakResidentMegabytes()
        // --quantized only matters, and is only reported, for a checkpoint with 4-bit tensors at f32.
        let quantizedLabel = encoder.checkpoint.hasQ4_0Tensors && precision == .f32 ? quantized.rawValue : nil
        if json {
            var writer = JSONWriter()
            writer.beginObject()
            writer.key("implementation"); writer.string("bertscope")
            writer.key("weights"); writer.string(weights)
            writer.key("precision"); writer.string(precision.rawValue)
            writer.key("quantized"); writer.string(quantizedLabel)
            writer.key("batch"); writer.int(batch)
            writer.key("seq"); writer.int(seq)
            writer.key("threads"); writer.int(threads)
            writer.key("attentions"); writer.bool(attentions)
            writer.key("runs"); writer.int(runs)
            // Microsecond steps would round a tiny model's pass (tens of µs) by several percent.
            writer.key("median_ms"); writer.raw(String(format: "%.5f", median))
            writer.key("min_ms"); writer.raw(String(format: "%.5f", times.min()!))
            writer.key("max_ms"); writer.raw(String(format: "%.5f", times.max()!))
            writer.key("tokens_per_s"); writer.raw(String(format: "%.1f", tokensPerSecond))
            writer.key("load_ms"); writer.raw(String(format: "%.1f", loadMilliseconds))
            writer.key("first_forward_ms"); writer.raw(String(format: "%.1f", firstForwardMilliseconds))
            writer.key("peak_rss_mb"); writer.raw(String(format: "%.1f", peakMegabytes))
            writer.key("kernels"); writer.string(BertModel.kernelDescription)
            writer.key("kernels_variant"); writer.string(BertModel.kernelName)
            writer.key("cpu_features"); writer.string(BertModel.cpuFeatureDescription)
            writer.endObject()
            writeLine(writer.text)
        } else {
            writeLine("weights: \(weights)\(quantizedLabel.map { " (Q4_0: \($0))" } ?? ""); precision: \(precision.rawValue); "
                      + "kernels: \(BertModel.kernelDescription)")
            writeLine(String(format: "%dx%d, %d thread%@%@: median %.2f ms (min %.2f, max %.2f) over %d runs, %.0f tokens/s",
                             batch, seq, threads, threads == 1 ? "" : "s", attentions ? ", attentions kept" : "", median, times.min()!, times.max()!, runs, tokensPerSecond))
            writeLine(String(format: "load %.0f ms, load to first forward %.0f ms, peak RSS %.0f MB",
                             loadMilliseconds, firstForwardMilliseconds, peakMegabytes))
        }
    }
}

/// The most memory the process has held, in megabytes.
func peakResidentMegabytes() -> Double {
    var usage = rusage()
    #if os(Linux)
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return Double(usage.ru_maxrss) / 1024  // kilobytes on Linux
    #else
    getrusage(RUSAGE_SELF, &usage)
    return Double(usage.ru_maxrss) / 1024 / 1024  // bytes on macOS
    #endif
}
