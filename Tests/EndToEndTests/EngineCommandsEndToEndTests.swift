import BertEngine
import Foundation
import TestSupport
import Testing

/// The command-line contracts of issue #3 that checks outside the repository rely on: `embed --json`,
/// `fill-mask --json` and `bench --json`, mostly on the tiny Google-named fixture model (2 layers, 32 wide,
/// with its masked-LM head).
@Suite("bertscope embed, fill-mask and bench, end to end")
struct EngineCommandsEndToEndTests {
    let model = TestPaths.fixtures.appendingPathComponent("engine/tiny-google").path
    let hiddenSize = 32
    let layerCount = 2

    func embed(_ arguments: [String]) throws -> [String: Any] {
        let result = try Bertscope.run(["embed", "--model", model, "--json"] + arguments)
        #expect(result.status == 0, "\(result.standardError)")
        return try #require(JSONSerialization.jsonObject(with: Data(result.standardOutput.utf8)) as? [String: Any])
    }

    func hiddenStates(_ object: [String: Any]) -> [[[Double]]] {
        (object["hidden_states"] as? [[[NSNumber]]] ?? []).map { $0.map { $0.map(\.doubleValue) } }
    }

    @Test("--json: ids, tokens, offsets, every hidden state (T x H, index 0 the embeddings) and the pooler output")
    func contract() throws {
        let object = try embed(["hello world"])
        let ids = try #require(object["input_ids"] as? [Int])
        #expect((object["tokens"] as? [String])?.count == ids.count)
        #expect((object["offsets"] as? [[Int]])?.count == ids.count)
        let states = hiddenStates(object)
        #expect(states.count == layerCount + 1)
        #expect(states.allSatisfy { $0.count == ids.count && $0.allSatisfy { $0.count == hiddenSize } })
        #expect((object["pooler_output"] as? [NSNumber])?.count == hiddenSize)
    }

    @Test("--attentions: a list over layers 1...N of lists over heads of T x T rows summing to 1, equal to transformers' output_attentions")
    func attentions() throws {
        // The fixture's case 0 is this text through this model: [CLS] the dog bark ##s at the man [SEP].
        let object = try embed(["--attentions", "the dog barks at the man"])
        let cases = try JSONSerialization.jsonObject(with: Data(contentsOf: TestPaths.fixtures.appendingPathComponent("engine/tiny.cases.json"))) as? [[String: Any]]
        let expectedIds = try #require((cases?.first?["input_ids"] as? [[Int]])?.first)
        #expect(object["input_ids"] as? [Int] == expectedIds)
        let count = expectedIds.count
        let attentions = try #require(object["attentions"] as? [[[[NSNumber]]]])
        #expect(attentions.count == layerCount)
        let expected = try Checkpoint(safetensorsAt: TestPaths.fixtures.appendingPathComponent("engine/tiny.expected.safetensors").path)
        for (layerIndex, heads) in attentions.enumerated() {
            let name = "case0.attentions.\(layerIndex + 1)"
            let shape = try #require(expected.describe(name)?.shape)  // [batch 1, heads, T, T]
            #expect(heads.count == shape[1])
            let reference = try expected.float32(name, shape: shape)
            for (head, rows) in heads.enumerated() {
                #expect(rows.count == count && rows.allSatisfy { $0.count == count })
                for (row, values) in rows.enumerated() {
                    #expect(abs(values.reduce(0) { $0 + $1.doubleValue } - 1) <= 1e-6, "layer \(layerIndex + 1) head \(head) row \(row)")
                    for (column, value) in values.enumerated() {
                        let theirs = reference[(head * count + row) * count + column]
                        #expect(abs(value.floatValue - theirs) <= 1e-5, "layer \(layerIndex + 1) head \(head) [\(row), \(column)]")
                    }
                }
            }
        }
        // Without the flag there is no such key, and the hidden states are those of the same pass.
        let plain = try embed(["the dog barks at the man"])
        #expect(plain["attentions"] == nil)
        #expect(hiddenStates(plain) == hiddenStates(object))
    }

    @Test("--layers picks hidden states out of the same pass: last, -1, and a list give the rows of `all`")
    func layerSelection() throws {
        let all = hiddenStates(try embed(["--layers", "all", "Guten Tag"]))
        #expect(hiddenStates(try embed(["--layers", "last", "Guten Tag"])) == [all[layerCount]])
        #expect(hiddenStates(try embed(["--layers", "-1", "Guten Tag"])) == [all[layerCount]])
        #expect(hiddenStates(try embed(["--layers", "0,-1", "Guten Tag"])) == [all[0], all[layerCount]])
        let bad = try Bertscope.run(["embed", "--model", model, "--layers", "3", "x"])
        #expect(bad.status != 0 && bad.standardError.contains("0...2"), "\(bad.standardError)")
    }

    @Test("--max-length: 0 or more than the model has means the model's positions, as tokenize's 0 means no limit of one's own")
    func maxLength() throws {
        let long = String(repeating: "hello world ", count: 100)
        let positions = { (object: [String: Any]) in (object["input_ids"] as? [Int])?.count }
        let config = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: model).appendingPathComponent("config.json")))
        let modelPositions = try #require((config as? [String: Any])?["max_position_embeddings"] as? Int)
        #expect(try positions(embed([long])) == modelPositions)
        #expect(try positions(embed(["--max-length", "0", long])) == modelPositions)
        #expect(try positions(embed(["--max-length", "100000", long])) == modelPositions)
        #expect(try positions(embed(["--max-length", "3", long])) == 3)
        let tooSmall = try Bertscope.run(["embed", "--model", model, "--max-length", "1", "x"])
        #expect(tooSmall.status != 0 && tooSmall.standardError.contains("2 special tokens"), "\(tooSmall.standardError)")
        // A negative limit is an invalid argument for every command that takes one (refused before anything runs).
        for command in [["embed"], ["tokenize"], ["export", "--format", "json", "--out", "/nonexistent/never-written.json"]] {
            let negative = try Bertscope.run(command + ["--model", model, "--max-length=-5", "x"])
            #expect(negative.status == 64 && negative.standardError.contains("--max-length must be 0 or a number of positions"),
                    "\(command): \(negative.standardError)")
        }
    }

    @Test("--pair: the second text's pieces have token type 1")
    func pair() throws {
        let object = try embed(["--pair", "good day", "hello"])
        let types = try #require(object["token_type_ids"] as? [Int])
        let tokens = try #require(object["tokens"] as? [String])
        let firstSeparator = try #require(tokens.firstIndex(of: "[SEP]"))
        #expect(types[...firstSeparator].allSatisfy { $0 == 0 })
        #expect(types[(firstSeparator + 1)...].allSatisfy { $0 == 1 })
        #expect(hiddenStates(object).allSatisfy { $0.count == tokens.count })
    }

    @Test("fill-mask --json: top-k predictions for each [MASK], most probable first, probabilities in (0, 1]")
    func fillMask() throws {
        let result = try Bertscope.run(["fill-mask", "--model", model, "--top-k", "4", "--json", "hello [MASK] world [MASK]"])
        #expect(result.status == 0, "\(result.standardError)")
        let object = try #require(JSONSerialization.jsonObject(with: Data(result.standardOutput.utf8)) as? [String: Any])
        let masks = try #require(object["masks"] as? [[String: Any]])
        #expect(masks.count == 2)
        for mask in masks {
            let predictions = try #require(mask["predictions"] as? [[String: Any]])
            let scores = predictions.compactMap { ($0["score"] as? NSNumber)?.doubleValue }
            #expect(predictions.count == 4 && scores.count == 4)
            #expect(scores == scores.sorted(by: >))
            #expect(scores.allSatisfy { $0 > 0 && $0 <= 1 })
            #expect(predictions.allSatisfy { $0["id"] is Int && $0["token"] is String })
        }
    }

    func bench(_ folder: String, _ extra: [String] = []) throws -> [String: Any] {
        let result = try Bertscope.run(["bench", "--model", folder, "--batch", "2", "--seq", "8", "--runs", "3", "--threads", "1", "--json"] + extra)
        #expect(result.status == 0, "\(result.standardError)")
        return try #require(JSONSerialization.jsonObject(with: Data(result.standardOutput.utf8)) as? [String: Any])
    }

    @Test("bench --json: median, min and max ms and tokens per second, consistent with each other")
    func benchContract() throws {
        let object = try bench(model)
        let times = ["min_ms", "median_ms", "max_ms"].compactMap { (object[$0] as? NSNumber)?.doubleValue }
        #expect(times.count == 3 && times == times.sorted() && times[0] > 0, "\(times)")
        let tokensPerSecond = try #require((object["tokens_per_s"] as? NSNumber)?.doubleValue)
        #expect(abs(tokensPerSecond - 16 / (times[1] / 1000)) <= tokensPerSecond * 0.01)
        #expect(object["weights"] as? String == "model.safetensors")
        #expect(object["quantized"] is NSNull, "f32 weights are not reported as 4-bit")
        #expect(object["attentions"] as? Bool == false)
        #expect(try bench(model, ["--attentions"])["attentions"] as? Bool == true)
    }

    @Test("precision-report --json: per precision and layer, min and mean cosine and max |diff| against f32, over every text's tokens")
    func precisionReport() throws {
        let result = try Bertscope.run(["precision-report", "--model", model, "--threads", "1", "--json", "the dog barks", "a cat"])
        #expect(result.status == 0, "\(result.standardError)")
        let object = try #require(JSONSerialization.jsonObject(with: Data(result.standardOutput.utf8)) as? [String: Any])
        #expect(object["texts"] as? Int == 2)
        let tokens = try #require(object["tokens"] as? Int)
        #expect(tokens > 4)
        let precisions = try #require(object["precisions"] as? [[String: Any]])
        #expect(precisions.compactMap { $0["precision"] as? String } == ["bf16", "int8"], "bf16 and int8 by default, in order")
        for entry in precisions {
            let layers = try #require(entry["layers"] as? [[String: Any]])
            #expect(layers.compactMap { $0["layer"] as? Int } == [0, 1, 2], "embeddings and both layers of the tiny model")
            for layer in layers {
                let low = try #require((layer["min_cosine"] as? NSNumber)?.doubleValue)
                let mean = try #require((layer["mean_cosine"] as? NSNumber)?.doubleValue)
                #expect(low <= mean && mean <= 1 && low > 0.99, "\(entry["precision"]!): \(layer)")
                #expect(((layer["max_abs_diff"] as? NSNumber)?.doubleValue ?? -1) >= 0)
            }
            let agreement = try #require((entry["mlm_top1_agreement"] as? NSNumber)?.doubleValue, "the tiny model has an MLM head")
            #expect(agreement >= 0 && agreement <= 1)
            #expect((entry["linear_weight_bytes"] as? Int ?? .max) < object["f32_linear_weight_bytes"] as? Int ?? 0)
        }
        let f32 = try Bertscope.run(["precision-report", "--model", model, "--precision", "f32", "--json", "the dog barks"])
        let same = try #require(JSONSerialization.jsonObject(with: Data(f32.standardOutput.utf8)) as? [String: Any])
        let layers = try #require((same["precisions"] as? [[String: Any]])?.first?["layers"] as? [[String: Any]])
        #expect(layers.allSatisfy { ($0["max_abs_diff"] as? NSNumber)?.doubleValue == 0 }, "f32 against itself does not differ")
        let none = try Bertscope.run(["precision-report", "--model", model])
        #expect(none.status != 0 && none.standardError.contains("give TEXT"), "\(none.standardError)")
    }

    @Test("precision-report --tokens: every token's cosine to f32 at every layer, whose lowest is the layer's min_cosine")
    func precisionReportTokens() throws {
        let result = try Bertscope.run(["precision-report", "--model", model, "--threads", "1", "--precision", "int8", "--tokens", "--json",
                                        "the dog barks", "a cat"])
        #expect(result.status == 0, "\(result.standardError)")
        let object = try #require(JSONSerialization.jsonObject(with: Data(result.standardOutput.utf8)) as? [String: Any])
        let entry = try #require((object["precisions"] as? [[String: Any]])?.first)
        let layers = try #require(entry["layers"] as? [[String: Any]])
        let tokens = try #require(entry["tokens"] as? [[String: Any]])
        #expect(tokens.count == object["tokens"] as? Int)
        #expect(Set(tokens.compactMap { $0["text"] as? Int }) == [0, 1], "the tokens of both texts")
        let first = tokens.filter { $0["text"] as? Int == 0 }
        #expect(first.compactMap { $0["position"] as? Int } == Array(first.indices))
        #expect(first.first?["piece"] as? String == "[CLS]" && first.last?["piece"] as? String == "[SEP]")
        #expect(first.dropFirst().first?["piece"] as? String == "the")
        let cosines = try tokens.map { try #require(($0["cosines"] as? [NSNumber])?.map(\.doubleValue)) }
        #expect(cosines.allSatisfy { $0.count == layers.count })
        for (index, layer) in layers.enumerated() {
            let lowest = try #require((layer["min_cosine"] as? NSNumber)?.doubleValue)
            #expect(cosines.map { $0[index] }.min() == lowest, "layer \(index)")
        }
        let text = try Bertscope.run(["precision-report", "--model", model, "--precision", "bf16", "--tokens", "the dog"])
        #expect(text.status == 0 && text.standardOutput.contains("0 1 the: "), "\(text.standardOutput)")
    }

    @Test("--precision: bench --json and model info --json report it; bf16 and int8 pack the linear weights in a half and a quarter of f32")
    func precisionReported() throws {
        #expect(try bench(model)["precision"] as? String == "f32", "f32 is the default")
        for precision in ["bf16", "int8"] { #expect(try bench(model, ["--precision", precision])["precision"] as? String == precision) }
        let bytes = try ["f32", "bf16", "int8"].map { precision -> Int in
            let result = try Bertscope.run(["model", "info", "--model", model, "--precision", precision, "--json"])
            #expect(result.status == 0, "\(result.standardError)")
            let object = try #require(JSONSerialization.jsonObject(with: Data(result.standardOutput.utf8)) as? [String: Any])
            #expect(object["precision"] as? String == precision)
            return try #require(object["linear_weight_bytes"] as? Int)
        }
        // Halves and quarters but for the int8 scales and code sums, panel padding, and the depth padding of
        // an odd input width (the FFN output's 37 inputs: one more bf16 depth of 2 panels × 16 × 2 bytes a layer).
        #expect(bytes[1] == bytes[0] / 2 + 2 * (2 * 16 * 2), "\(bytes)")
        #expect(bytes[2] * 4 > bytes[0] && bytes[2] * 4 < bytes[0] * 2, "\(bytes)")
        let bad = try Bertscope.run(["embed", "--model", model, "--precision", "fp8", "hi"])
        #expect(bad.status != 0 && bad.standardError.contains("f32"), "\(bad.standardError)")
    }

    @Test("bench on a folder with only config.json runs random weights; on a 4-bit E5S1 file it says how they are kept")
    func benchWeights() throws {
        let folder = try makeTemporaryFolder("bench-config-only")
        defer { try? FileManager.default.removeItem(at: folder) }
        try FileManager.default.copyItem(at: URL(fileURLWithPath: model).appendingPathComponent("config.json"),
                                         to: folder.appendingPathComponent("config.json"))
        #expect(try bench(folder.path)["weights"] as? String == "random (seed 42)")
        let e5 = try TestPaths.require(TestPaths.e5Model, madeBy: "scripts/fetch_test_assets.sh").deletingLastPathComponent().path
        #expect(try bench(e5, ["--quantized", "dequantize"])["quantized"] as? String == "dequantize")
    }

    @Test("--version names the version, the kernel set that runs and the CPU features; bench and model info name the same set, BERTSCOPE_KERNELS forces one")
    func kernelsReported() throws {
        let version = try Bertscope.run(["--version"], environment: ["BERTSCOPE_KERNELS": ""])
        #expect(version.status == 0, "\(version.standardError)")
        let lines = version.standardOutput.split(separator: "\n").map(String.init)
        #expect(lines.first?.hasPrefix("bertscope ") == true && lines.count == 3, "\(lines)")
        let running = try #require(lines.first { $0.hasPrefix("kernels: ") }).dropFirst("kernels: ".count)
        #expect(["AVX-512+BF16+VNNI", "AVX-512+VNNI", "AVX-512", "AVX2+VNNI", "AVX2+FMA", "baseline"].contains(String(running)))
        #expect(lines.contains { $0.hasPrefix("cpu: ") && $0.contains("AVX-512 state: ") })

        let defaultBench = try bench(model)
        #expect(defaultBench["kernels_variant"] as? String == String(running))
        #expect(defaultBench["kernels"] as? String == "bertscope \(running)")
        #expect((defaultBench["cpu_features"] as? String)?.contains("AVX-512 state: ") == true)
        let info = try Bertscope.run(["model", "info", "--model", model, "--json"], environment: ["BERTSCOPE_KERNELS": ""])
        let infoObject = try #require(JSONSerialization.jsonObject(with: Data(info.standardOutput.utf8)) as? [String: Any])
        #expect(infoObject["kernels"] as? String == String(running))

        let forced = try Bertscope.run(["bench", "--model", model, "--batch", "1", "--seq", "8", "--runs", "1", "--json"],
                                       environment: ["BERTSCOPE_KERNELS": "baseline"])
        let forcedObject = try #require(JSONSerialization.jsonObject(with: Data(forced.standardOutput.utf8)) as? [String: Any])
        #expect(forcedObject["kernels_variant"] as? String == "baseline")
        let unknown = try Bertscope.run(["--version"], environment: ["BERTSCOPE_KERNELS": "sse9"])
        #expect(unknown.status == 0 && unknown.standardOutput.contains("kernels: \(running)"))
        #expect(unknown.standardError.contains("BERTSCOPE_KERNELS=sse9 is not a kernel set this CPU runs"), "\(unknown.standardError)")
    }
}
