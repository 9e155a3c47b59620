import Foundation
import ModelLoader
import TestSupport
import Testing

@testable import BertEngine

/// A malformed checkpoint or input gives an error that names the problem, never a crash.
@Suite("Bad checkpoints and inputs")
struct BadInputTests {
    static let tiny = TestPaths.fixtures.appendingPathComponent("engine/tiny-modern")

    /// A safetensors file from a header text and a data size.
    func file(header: String, dataBytes: Int = 16, claimedLength: UInt64? = nil) -> [UInt8] {
        let json = Array(header.utf8)
        let length = claimedLength ?? UInt64(json.count)
        return (0..<8).map { UInt8((length >> (8 * UInt64($0))) & 0xFF) } + json + [UInt8](repeating: 0, count: dataBytes)
    }

    func parse(_ bytes: [UInt8]) throws -> SafeTensorsHeader {
        try bytes.withUnsafeBytes { try SafeTensorsHeader.parse($0, path: "test.safetensors") }
    }

    func message(_ bytes: [UInt8]) -> String { errorDescription { _ = try parse(bytes) } }

    @Test("truncated file, header past the end, a 100 MB header, not JSON")
    func headerProblems() {
        #expect(message([1, 2, 3]).contains("shorter than the 8-byte header length"))
        #expect(message(file(header: "{}", claimedLength: 4096)).contains("truncated file"))
        #expect(message(file(header: "{}", claimedLength: 100 * 1024 * 1024 + 1)).contains("limit"))
        #expect(message(file(header: "[1, 2]")).contains("does not start with '{'"))
        #expect(message(file(header: "{\"a\": ")).contains("not valid JSON"))
    }

    @Test("offsets out of range or overlapping, unknown dtype, sizes that disagree with the shape")
    func entryProblems() {
        let entry = { (name: String, dtype: String, shape: String, begin: Int, end: Int) in
            "\"\(name)\": {\"dtype\": \"\(dtype)\", \"shape\": \(shape), \"data_offsets\": [\(begin), \(end)]}"
        }
        #expect(message(file(header: "{\(entry("a", "F32", "[8]", 0, 32))}")).contains("lie outside"))
        #expect(message(file(header: "{\(entry("a", "F32", "[2]", 0, 8)), \(entry("b", "F32", "[2]", 4, 12))}")).contains("overlap"))
        #expect(message(file(header: "{\(entry("a", "Q7", "[2]", 0, 8))}")).contains("dtype Q7"))
        #expect(message(file(header: "{\(entry("a", "F32", "[3]", 0, 8))}")).contains("needs 12"))
        #expect(message(file(header: "{\(entry("a", "F32", "[2.5]", 0, 8))}")).contains("not a count"))
        #expect(message(file(header: "{\(entry("a", "F32", "[-2]", 0, 8))}")).contains("not a count"))
        #expect(message(file(header: "{\(entry("a", "F32", "[4294967296, 4294967296]", 0, 8))}")).contains("too large"))
        #expect(message(file(header: "{\"__metadata__\": {\"format\": 1}}")).contains("not a string"))
        #expect(message(file(header: "{\(entry("a", "F32", "[2]", 0, 8)), \(entry("b", "F32", "[2]", 8, 16))}")) == "ok")
    }

    @Test("20,000 random mutations of a real header: every one parses or fails cleanly, and what parses stays in bounds")
    func fuzzHeader() throws {
        let original = Array(try Data(contentsOf: Self.tiny.appendingPathComponent("model.safetensors")))
        var state: UInt64 = 99
        func next() -> Int {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return Int(truncatingIfNeeded: (z ^ (z >> 31)) >> 1)
        }
        let headerEnd = 8 + Int(original[0]) + Int(original[1]) << 8 + Int(original[2]) << 16
        var parsed = 0
        for _ in 0..<20_000 {
            var bytes = Array(original.prefix(headerEnd + 64))
            for _ in 0..<(1 + next() % 4) {
                let position = next() % (next() % 4 == 0 ? 8 : headerEnd)
                switch next() % 3 {
                case 0: bytes[position] = UInt8(truncatingIfNeeded: next())
                case 1: bytes[position] = [UInt8(ascii: "9"), UInt8(ascii: "\""), UInt8(ascii: ","), UInt8(ascii: "]"), UInt8(ascii: "-")][next() % 5]
                default: bytes.removeSubrange(position..<min(bytes.count, position + next() % 16))
                }
            }
            if let header = try? parse(bytes) {
                parsed += 1
                for entry in header.entries.values {
                    #expect(entry.dataRange.lowerBound >= 0 && header.dataStart + entry.dataRange.upperBound <= bytes.count)
                }
            }
        }
        #expect(parsed < 20_000)
    }

    @Test("a tensor of the wrong shape, or a missing one, is named with the shape the config implies")
    func shapesAgainstConfig() throws {
        var config = try BertConfig.load(Self.tiny.appendingPathComponent("config.json"))
        let checkpoint = try Checkpoint(safetensorsAt: Self.tiny.appendingPathComponent("model.safetensors").path)
        config.intermediateSize = 40
        #expect(throws: EngineError.wrongShape("encoder.layer.0.intermediate.dense.weight", found: [37, 32], expected: [40, 32])) {
            try BertModel(config: config, checkpoint: checkpoint)
        }
        config = try BertConfig.load(Self.tiny.appendingPathComponent("config.json"))
        config.layerCount = 3
        #expect(throws: EngineError.missingTensor("encoder.layer.2.attention.self.query.weight", expectedShape: [32, 32])) {
            try BertModel(config: config, checkpoint: checkpoint)
        }
    }

    @Test("ids out of the vocabulary, unknown token types, more tokens than positions, an empty sequence")
    func badInputs() throws {
        let model = try ModelFolder.model(in: Self.tiny)
        func error(_ input: ModelInput) -> String {
            do { _ = try model.forward([input]); return "ran" } catch { return "\(error)" }
        }
        #expect(error(ModelInput(ids: [6, 120, 7])).contains("outside the vocabulary 0..<120"))
        #expect(error(ModelInput(ids: [6, -1, 7])).contains("outside the vocabulary"))
        #expect(error(ModelInput(ids: [6, 7], typeIds: [0, 2])).contains("token type 2"))
        #expect(error(ModelInput(ids: [Int](repeating: 10, count: 41))).contains("40 positions"))
        #expect(error(ModelInput(ids: [])).contains("empty"))
        for layer in [-1, model.config.layerCount + 1] {
            let message = errorDescription { _ = try model.forward([ModelInput(ids: [6, 7])], throughLayer: layer) }
            #expect(message.contains("layer \(layer) does not exist; the model has layers 0...\(model.config.layerCount)"))
        }
    }

    @Test("a config of a family bertscope does not run, another activation, or no vocabulary size, is refused with a reason")
    func badConfig() throws {
        let folder = try makeTemporaryFolder("config")
        defer { try? FileManager.default.removeItem(at: folder) }
        let url = folder.appendingPathComponent("config.json")
        try Data(#"{"model_type": "gpt2", "vocab_size": 10}"#.utf8).write(to: url)
        #expect(throws: EngineError.invalidConfig(url.path, "model_type is \"gpt2\"; bertscope runs the encoder families \"bert\", "
            + "\"distilbert\", \"e5\", \"roberta\", \"xlm-roberta\" (see docs/MODELS.md)")) { try BertConfig.load(url) }
        try Data(#"{"model_type": "distilbert", "vocab_size": 10, "activation": "relu"}"#.utf8).write(to: url)
        #expect(throws: EngineError.invalidConfig(url.path, "activation is \"relu\"; bertscope implements BERT's erf GELU (\"gelu\")")) {
            try BertConfig.load(url)
        }
        try Data(#"{"model_type": "xlm-roberta", "vocab_size": 10, "position_embedding_type": "relative_key"}"#.utf8).write(to: url)
        #expect(throws: EngineError.invalidConfig(url.path, "position_embedding_type is \"relative_key\"; bertscope implements absolute positions")) {
            try BertConfig.load(url)
        }
        try Data(#"{"model_type": "roberta", "vocab_size": 10, "pad_token_id": -3}"#.utf8).write(to: url)
        #expect(throws: EngineError.invalidConfig(url.path, "pad_token_id is -3; positions start after it, so it must be 0 or more")) {
            try BertConfig.load(url)
        }
        try Data(#"{"model_type": "xlm-roberta", "vocab_size": 10, "max_position_embeddings": 2, "pad_token_id": 1}"#.utf8).write(to: url)
        #expect(throws: EngineError.self) { try BertConfig.load(url) }
        try Data(#"{"model_type": "bert"}"#.utf8).write(to: url)
        #expect(throws: EngineError.invalidConfig(url.path, "vocab_size is missing")) { try BertConfig.load(url) }
        try Data(#"{"vocab_size": 10, "hidden_size": 30, "num_attention_heads": 4}"#.utf8).write(to: url)
        #expect(throws: EngineError.self) { try BertConfig.load(url) }
        try Data(#"{"vocab_size": 10}"#.utf8).write(to: url)
        let defaulted = try BertConfig.load(url)
        #expect(defaulted.defaultedFields.contains("hidden_size"))
    }

    @Test("NaN or infinite weights are found and named, for a warning")
    func nonFiniteWeights() throws {
        let folder = try makeTemporaryFolder("nan")
        defer { try? FileManager.default.removeItem(at: folder) }
        var bytes = Array(try Data(contentsOf: Self.tiny.appendingPathComponent("model.safetensors")))
        let header = try parse(bytes)
        let entry = try #require(header.entries["pooler.dense.bias"])
        let nan = Float.nan.bitPattern
        for (index, shift) in [0, 8, 16, 24].enumerated() {
            bytes[header.dataStart + entry.dataRange.lowerBound + index] = UInt8((nan >> UInt32(shift)) & 0xFF)
        }
        try Data(bytes).write(to: folder.appendingPathComponent("model.safetensors"))
        let checkpoint = try Checkpoint(safetensorsAt: folder.appendingPathComponent("model.safetensors").path)
        #expect(checkpoint.nonFiniteValueCounts() == ["pooler.dense.bias": 1])
        #expect(try Checkpoint(safetensorsAt: Self.tiny.appendingPathComponent("model.safetensors").path).nonFiniteValueCounts().isEmpty)
    }
    @Test("F16, BF16 and F32 NaN and infinities are counted from the stored bits, and the scan gives the file's pages back")
    func nonFiniteScanOfEveryFloatType() throws {
        // Three tensors of 1 Mi values each (2, 2 and 4 MiB): a finite value, then the specials at known places.
        let count = 1 << 20
        func halfBits(_ values: [Int: UInt16]) -> [UInt8] {
            var bytes = [UInt8](repeating: 0, count: count * 2)
            for index in 0..<count { bytes[index * 2 + 1] = 0x3C }  // 1.0 in F16, 2⁻⁷ in BF16: finite
            for (index, bits) in values { bytes[index * 2] = UInt8(bits & 0xFF); bytes[index * 2 + 1] = UInt8(bits >> 8) }
            return bytes
        }
        let f16 = halfBits([7: 0x7C00, 70_000: 0xFE00])             // +inf, a negative NaN
        let bf16 = halfBits([3: 0x7F80, 500_000: 0xFF80, 9: 0x7F7F])  // +inf, -inf, the largest finite
        var f32 = [UInt8](repeating: 0, count: count * 4)
        for (index, value) in [(1, Float.nan), (count - 1, -Float.infinity), (2, Float.greatestFiniteMagnitude)] {
            withUnsafeBytes(of: value.bitPattern.littleEndian) { f32.replaceSubrange(index * 4..<index * 4 + 4, with: $0) }
        }
        let header = """
            {"a.f16": {"dtype": "F16", "shape": [1024, 1024], "data_offsets": [0, \(f16.count)]},
             "b.bf16": {"dtype": "BF16", "shape": [1024, 1024], "data_offsets": [\(f16.count), \(f16.count + bf16.count)]},
             "c.f32": {"dtype": "F32", "shape": [1024, 1024], "data_offsets": [\(f16.count + bf16.count), \(f16.count + bf16.count + f32.count)]}}
            """
        let folder = try makeTemporaryFolder("nonfinite")
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("model.safetensors").path
        try Data(file(header: header, dataBytes: 0) + f16 + bf16 + f32).write(to: URL(fileURLWithPath: path))

        let checkpoint = try Checkpoint(safetensorsAt: path)
        #expect(checkpoint.nonFiniteValueCounts() == ["a.f16": 2, "b.bf16": 2, "c.f32": 2])
        // Nothing of the 8 MiB stays resident in this process's mapping of the file (a page or two at the
        // tensors' unaligned ends may), and the scan widened no copy.
        let resident = try withExtendedLifetime(checkpoint) { try #require(try residentKilobytes(ofMappingOf: path)) }
        #expect(resident <= 16, "\(resident) kB of the scanned file stayed resident")
    }

    /// The resident size of this process's mapping of `path`, from /proc/self/smaps; nil when not mapped.
    func residentKilobytes(ofMappingOf path: String) throws -> Int? {
        // Read to the end: /proc files report a size of 0, and String(contentsOfFile:) stops after one read.
        let handle = try FileHandle(forReadingFrom: URL(fileURLWithPath: "/proc/self/smaps"))
        defer { try? handle.close() }
        let smaps = String(decoding: try handle.readToEnd() ?? Data(), as: UTF8.self)
        var inMapping = false
        var total: Int?
        for line in smaps.split(separator: "\n") {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            if let range = fields.first, range.contains("-"), range.allSatisfy({ $0.isHexDigit || $0 == "-" }) {
                inMapping = fields.last.map(String.init) == path
            } else if inMapping, line.hasPrefix("Rss:") {
                total = (total ?? 0) + (Int(line.split(separator: " ")[1]) ?? 0)
            }
        }
        return total
    }
}
