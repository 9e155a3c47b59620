import CKernels
import Foundation
import Testing

@testable import BertEngine

/// Seeded values in [-1, 1) (SplitMix64), the same on every platform.
private func randomValues(_ count: Int, seed: UInt64, scale: Float = 1) -> [Float] {
    var generator = SeededGenerator(seed: seed)
    return (0..<count).map { _ in generator.nextSignedUnit() * scale }
}

/// c = act(A Bᵀ + bias) + residual in Double, B given as [n, k].
private func referenceProduct(m: Int, n: Int, k: Int, a: [Float], lda: Int, b: [Float], bias: [Float]?,
                              gelu: Bool, residual: [Float]?) -> [Double] {
    var c = [Double](repeating: 0, count: m * n)
    for row in 0..<m {
        for column in 0..<n {
            var sum = 0.0
            for i in 0..<k { sum += Double(a[row * lda + i]) * Double(b[column * k + i]) }
            var x = sum + Double(bias?[column] ?? 0)
            if gelu { x = 0.5 * x * (1 + erf(x / 2.0.squareRoot())) }
            c[row * n + column] = x + Double(residual?[row * n + column] ?? 0)
        }
    }
    return c
}

private func maxDifference(_ a: [Float], _ b: [Double]) -> Double {
    zip(a, b).reduce(0) { max($0, abs(Double($1.0) - $1.1)) }
}

/// Scratch the kernels require 64-byte aligned.
private func aligned64(_ count: Int) -> UnsafeMutablePointer<Float> {
    UnsafeMutableRawPointer.allocate(byteCount: max(count, 1) * 4, alignment: 64).bindMemory(to: Float.self, capacity: max(count, 1))
}

/// Runs `body` with the epilogue the forward pass would build from these parts (bias [n], residual [m × n]).
private func withEpilogue(bias: [Float]?, gelu: Bool, residual: [Float]?, columns n: Int, _ body: (inout ck_epilogue) -> Void) {
    (bias ?? []).withUnsafeBufferPointer { biasPointer in
        (residual ?? []).withUnsafeBufferPointer { residualPointer in
            var epilogue = ck_epilogue(bias: bias == nil ? nil : biasPointer.baseAddress, gelu: gelu ? 1 : 0,
                                       residual: residual == nil ? nil : residualPointer.baseAddress, residual_ld: n)
            body(&epilogue)
        }
    }
}

/// The panels of n columns in two parts, as two workers would take them.
private func panelHalves(_ n: Int) -> [Range<Int>] {
    let panels = ck_panel_count(n)
    return [0..<(panels / 2), (panels / 2)..<panels]
}

/// Seeded Q4_0 blocks for a [rows, columns] matrix as files store them: random codes, scales from the
/// normal range and every 7th block a subnormal one.
private func randomQ4_0(rows: Int, columns: Int, seed: UInt64) -> [UInt8] {
    var generator = SeededGenerator(seed: seed)
    var bytes = [UInt8]()
    for block in 0..<(rows * columns / 32) {
        let magnitude = block % 7 == 3
            ? UInt16(truncatingIfNeeded: generator.next() % 0x3ff + 1)
            : Float16(0.001 + 0.05 * abs(generator.nextSignedUnit())).bitPattern
        let scale = magnitude | (block % 2 == 0 ? 0x8000 : 0)  // negative scales too
        bytes += [UInt8(scale & 0xff), UInt8(scale >> 8)]
        bytes += (0..<16).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
    }
    return bytes
}

/// The values of Q4_0 blocks, decoded independently of the C code: low nibble of byte j is element j,
/// high nibble element j + 16, value (code - 8) · scale.
private func dequantizedQ4_0(_ bytes: [UInt8]) -> [Float] {
    stride(from: 0, to: bytes.count, by: 18).flatMap { start -> [Float] in
        let scale = Float(Float16(bitPattern: UInt16(bytes[start]) | UInt16(bytes[start + 1]) << 8))
        let codes = bytes[(start + 2)..<(start + 18)]
        return (codes.map { Int($0 & 0x0f) } + codes.map { Int($0 >> 4) }).map { Float($0 - 8) * scale }
    }
}

@Suite("Kernels: every instruction-set variant this CPU runs against a Double reference")
struct KernelTests {
    static let variants = KernelSet.available.map { ($0.name, $0) }

    @Test("the baseline variant always exists and the best one is among the available")
    func dispatch() {
        #expect(KernelSet.available.first?.name == "baseline")
        #expect(KernelSet.available.contains { $0.ops == ck_ops_best() })
        #expect(BertModel.kernelDescription.hasPrefix("bertscope "))
    }

    @Test("the fastest set the CPU runs is the one chosen: AVX-512 exactly where CPUID has F, BW, DQ and VL and XCR0 the ZMM and opmask state")
    func dispatchOrder() {
        let cpu = ck_cpu()
        let avx = cpu.avx != 0 && cpu.avx2 != 0 && cpu.fma != 0 && cpu.xcr0 & 0x06 == 0x06
        let avx512 = avx && cpu.avx512f != 0 && cpu.avx512bw != 0 && cpu.avx512dq != 0 && cpu.avx512vl != 0 && cpu.xcr0 & 0xe0 == 0xe0
        #expect((ck_ops_for(CK_ISA_AVX2) != nil) == avx)
        #expect((ck_ops_for(CK_ISA_AVX512) != nil) == avx512)
        #expect((cpu.os_saves_avx512 != 0) == (cpu.xcr0 & 0xe6 == 0xe6))
        #expect(ck_ops_best() == (ck_ops_for(CK_ISA_AVX512) ?? ck_ops_for(CK_ISA_AVX2) ?? ck_ops_for(CK_ISA_BASELINE)))
        #expect(KernelSet.available.last?.ops == ck_ops_best(), "available lists the fastest last")
    }

    @Test("BERTSCOPE_KERNELS values: each set answers to its short name and its full name in any case, and no other set does")
    func forcingNames() {
        let sets = KernelSet.available
        for set in sets {
            #expect(set.answers(to: set.shortName) && set.answers(to: set.name.uppercased()) && set.answers(to: set.name.lowercased()))
            #expect(sets.filter { $0.answers(to: set.shortName) || $0.answers(to: set.name) }.count == 1, "\(set.name)")
        }
        #expect(KernelSet.baseline.shortName == "baseline")
        #expect(ck_ops_for(CK_ISA_AVX2).map { KernelSet(ops: $0).shortName } ?? "avx2" == "avx2")
        #expect(ck_ops_for(CK_ISA_AVX512).map { KernelSet(ops: $0).shortName } ?? "avx512" == "avx512")
        #expect(!KernelSet.baseline.answers(to: "avx"))
    }

    @Test("matrix product with packed B: every tile and panel remainder, blocked and unblocked depths, epilogues",
          arguments: variants)
    func gemm(name: String, kernels: KernelSet) throws {
        let shapes: [(m: Int, n: Int, k: Int)] = [
            (1, 1, 1), (1, 16, 7), (2, 48, 300), (3, 16, 77), (4, 33, 520), (5, 37, 13), (6, 16, 300), (7, 48, 64),
            (13, 33, 257), (50, 64, 600), (97, 20, 40), (200, 48, 520),
        ]
        for (index, shape) in shapes.enumerated() {
            let (m, n, k) = shape
            let scratch = aligned64(ck_gemm_scratch_floats(k))
            defer { scratch.deallocate() }
            let lda = k + 3  // A rows are strided, as Q/K/V column slices are
            let a = randomValues(m * lda, seed: UInt64(index))
            let b = randomValues(n * k, seed: UInt64(100 + index), scale: 0.5)
            let bias = randomValues(n, seed: UInt64(200 + index))
            let residual = randomValues(m * n, seed: UInt64(300 + index))
            let packed = aligned64(ck_packed_floats(n, k))
            defer { packed.deallocate() }
            ck_pack_nk(kernels.ops, b, k, n, k, packed)
            for (withBias, gelu, withResidual) in [(false, false, false), (true, true, false), (false, true, false), (true, false, true)] {
                var c = [Float](repeating: .nan, count: m * n)
                withEpilogue(bias: withBias ? bias : nil, gelu: gelu, residual: withResidual ? residual : nil, columns: n) { epilogue in
                    for part in panelHalves(n) {
                        ck_gemm(kernels.ops, m, n, k, a, lda, packed, part.lowerBound, part.upperBound, &epilogue, &c, n, scratch)
                    }
                }
                let expected = referenceProduct(m: m, n: n, k: k, a: a, lda: lda, b: b, bias: withBias ? bias : nil,
                                                gelu: gelu, residual: withResidual ? residual : nil)
                let difference = maxDifference(c, expected)
                #expect(difference <= 2e-6 * Double(k).squareRoot() + 1e-6,
                        "\(name) \(m)x\(n)x\(k) bias \(withBias) gelu \(gelu) residual \(withResidual): max |Δ| \(difference)")
            }
        }
    }

    @Test("Q4_0 blocks dequantize exactly, subnormal scales included")
    func q4Dequantize() {
        let bytes = randomQ4_0(rows: 7, columns: 64, seed: 11)
        var values = [Float](repeating: .nan, count: 7 * 64)
        ck_q4_dequantize(bytes, values.count, &values)
        #expect(values == dequantizedQ4_0(bytes))
        #expect(values.contains { $0 != 0 && abs($0) < Float(Float16.leastNormalMagnitude) }, "subnormal scales were tested")
    }

    @Test("matrix product with Q4_0 panels: equals the f32 product of the dequantized weights bit for bit",
          arguments: variants)
    func gemmQ4(name: String, kernels: KernelSet) throws {
        let shapes: [(m: Int, n: Int, k: Int)] = [
            (1, 1, 32), (1, 16, 64), (5, 37, 96), (6, 16, 288), (7, 48, 256), (13, 33, 544), (97, 20, 64), (200, 48, 320),
        ]
        for (index, shape) in shapes.enumerated() {
            let (m, n, k) = shape
            let scratch = aligned64(ck_gemm_scratch_floats(k))
            defer { scratch.deallocate() }
            let lda = k + 3
            let a = randomValues(m * lda, seed: UInt64(index))
            let blocks = randomQ4_0(rows: n, columns: k, seed: UInt64(100 + index))
            let weights = dequantizedQ4_0(blocks)
            let bias = randomValues(n, seed: UInt64(200 + index))
            let residual = randomValues(m * n, seed: UInt64(300 + index))
            let packedQ4 = UnsafeMutableRawPointer.allocate(byteCount: ck_q4_packed_bytes(n, k), alignment: 64)
            defer { packedQ4.deallocate() }
            blocks.withUnsafeBytes { file in
                let rows = (0..<n).map { Optional(UnsafeRawPointer(file.baseAddress! + $0 * k / 32 * 18)) }
                ck_q4_pack_rows(rows, n, k, packedQ4)
            }
            let packedF32 = aligned64(ck_packed_floats(n, k))
            defer { packedF32.deallocate() }
            ck_pack_nk(kernels.ops, weights, k, n, k, packedF32)
            for (withBias, gelu, withResidual) in [(false, false, false), (true, true, false), (true, false, true)] {
                var q4 = [Float](repeating: .nan, count: m * n)
                var f32 = [Float](repeating: .nan, count: m * n)
                withEpilogue(bias: withBias ? bias : nil, gelu: gelu, residual: withResidual ? residual : nil, columns: n) { epilogue in
                    for part in panelHalves(n) {
                        ck_gemm_q4(kernels.ops, m, n, k, a, lda, packedQ4, part.lowerBound, part.upperBound, &epilogue, &q4, n, scratch)
                    }
                    ck_gemm(kernels.ops, m, n, k, a, lda, packedF32, 0, ck_panel_count(n), &epilogue, &f32, n, scratch)
                }
                let label = "\(name) \(m)x\(n)x\(k) bias \(withBias) gelu \(gelu) residual \(withResidual)"
                #expect(q4 == f32, "\(label): Q4_0 and f32 panels differ")
                let expected = referenceProduct(m: m, n: n, k: k, a: a, lda: lda, b: weights, bias: withBias ? bias : nil,
                                                gelu: gelu, residual: withResidual ? residual : nil)
                let difference = maxDifference(q4, expected)
                #expect(difference <= 2e-6 * Double(k).squareRoot() + 1e-6, "\(label): max |Δ| \(difference)")
            }
        }
    }

    @Test("packing [k, n] and [n, k] sources gives the same panels", arguments: variants)
    func packing(name: String, kernels: KernelSet) {
        let (n, k) = (37, 11)
        let rowsByColumn = randomValues(n * k, seed: 7)  // [n, k]
        var transposed = [Float](repeating: 0, count: k * n)  // [k, n]
        for column in 0..<n { for i in 0..<k { transposed[i * n + column] = rowsByColumn[column * k + i] } }
        var fromNK = [Float](repeating: .nan, count: ck_packed_floats(n, k))
        var fromKN = [Float](repeating: .nan, count: ck_packed_floats(n, k))
        ck_pack_nk(kernels.ops, rowsByColumn, k, n, k, &fromNK)
        ck_pack_kn(transposed, n, k, n, &fromKN)
        #expect(fromNK == fromKN)
        #expect(fromNK[(2 * k) * 16 + 5] == 0, "columns past n are zero")
    }

    @Test("GELU within 3e-7 · max(1, |x|) of x Φ(x), including the tails", arguments: variants)
    func gelu(name: String, kernels: KernelSet) {
        var x = stride(from: Float(-12), through: 12, by: 0.001).map { $0 } + [0, -0, 1e-30, -1e-30, 60, -60, 1e4, -1e4]
        let input = x
        ck_gelu(kernels.ops, &x, x.count)
        for (value, result) in zip(input, x) {
            let exact = 0.5 * Double(value) * (1 + erf(Double(value) / 2.0.squareRoot()))
            #expect(abs(Double(result) - exact) <= 3e-7 * max(1, abs(Double(value))), "\(name) gelu(\(value)) = \(result), exact \(exact)")
        }
    }

    @Test("softmax rows within 1e-7 absolute and 2e-6 relative, any row length, extreme inputs", arguments: variants)
    func softmax(name: String, kernels: KernelSet) {
        for size in [1, 2, 7, 8, 9, 16, 37, 512, 1000] {
            var values = randomValues(size * 3, seed: UInt64(size), scale: 30)
            values[0] = -1e30  // underflows to 0
            let input = values
            softmaxRows(&values, rows: 3, size: size, kernels: kernels)
            for row in 0..<3 {
                let slice = input[(row * size)..<((row + 1) * size)].map(Double.init)
                let maximum = slice.max()!
                let exponentials = slice.map { exp($0 - maximum) }
                let sum = exponentials.reduce(0, +)
                for (index, e) in exponentials.enumerated() {
                    let got = Double(values[row * size + index])
                    let exact = e / sum
                    #expect(abs(got - exact) <= 1e-7 + 2e-6 * exact, "\(name) softmax size \(size) [\(row), \(index)]: \(got) vs \(exact)")
                }
            }
        }
    }

    @Test("LayerNorm rows within 2e-6 of the Double result", arguments: variants)
    func layerNorm(name: String, kernels: KernelSet) {
        for size in [1, 5, 32, 37, 384, 768] {
            let rows = 3
            var values = randomValues(rows * size, seed: UInt64(size), scale: 4).enumerated().map { $0.element + Float($0.offset % 3) }
            let scale = randomValues(size, seed: 1).map { 1 + 0.1 * $0 }
            let shift = randomValues(size, seed: 2, scale: 0.1)
            let input = values
            values.withUnsafeMutableBufferPointer { data in
                ck_layer_norm(kernels.ops, data.baseAddress, rows, size, size, scale, shift, 1e-12)
            }
            for row in 0..<rows {
                let x = input[(row * size)..<((row + 1) * size)].map(Double.init)
                let mean = x.reduce(0, +) / Double(size)
                let variance = x.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(size)
                for index in 0..<size {
                    let exact = (x[index] - mean) / (variance + 1e-12).squareRoot() * Double(scale[index]) + Double(shift[index])
                    let got = Double(values[row * size + index])
                    #expect(abs(got - exact) <= 2e-6 * max(1, abs(exact)), "\(name) layer norm \(size) [\(row), \(index)]: \(got) vs \(exact)")
                }
            }
        }
    }

    @Test("one attention head: probabilities and context", arguments: variants)
    func attentionHead(name: String, kernels: KernelSet) {
        for (t, d) in [(1, 8), (5, 8), (17, 64), (70, 64)] {
            let ld = 3 * d + 5
            let qkv = randomValues(t * ld, seed: UInt64(t * d), scale: 2)
            let scale = 1 / Float(d).squareRoot()
            var probabilities = [Float](repeating: .nan, count: t * t)
            var context = [Float](repeating: .nan, count: t * d)
            let scratch = aligned64(ck_attention_scratch_floats(t, d))
            defer { scratch.deallocate() }
            qkv.withUnsafeBufferPointer { buffer in
                let q = buffer.baseAddress!
                ck_attention_head(kernels.ops, t, d, q, q + d, q + 2 * d, ld, scale, &probabilities, &context, d, scratch)
            }
            var expectedProbabilities = [Double]()
            var expectedContext = [Double](repeating: 0, count: t * d)
            for row in 0..<t {
                let scores = (0..<t).map { column in
                    (0..<d).reduce(0.0) { $0 + Double(qkv[row * ld + $1]) * Double(qkv[column * ld + d + $1]) } * Double(scale)
                }
                let maximum = scores.max()!
                let sum = scores.reduce(0) { $0 + exp($1 - maximum) }
                let rowProbabilities = scores.map { exp($0 - maximum) / sum }
                expectedProbabilities += rowProbabilities
                for column in 0..<d {
                    expectedContext[row * d + column] = (0..<t).reduce(0.0) { $0 + rowProbabilities[$1] * Double(qkv[$1 * ld + 2 * d + column]) }
                }
            }
            #expect(maxDifference(probabilities, expectedProbabilities) <= 2e-6, "\(name) attention \(t)x\(d) probabilities")
            #expect(maxDifference(context, expectedContext) <= 1e-5, "\(name) attention \(t)x\(d) context")
        }
    }

    @Test("the whole tiny model on each variant matches transformers within 1e-5", arguments: variants)
    func tinyModel(name: String, kernels: KernelSet) throws {
        let folder = engineFixtures.appendingPathComponent("tiny-google")
        let config = try BertConfig.load(folder.appendingPathComponent("config.json"))
        let model = try BertModel(
            config: config, checkpoint: Checkpoint(safetensorsAt: folder.appendingPathComponent("model.safetensors").path), kernels: kernels)
        let expected = try ExpectedOutputs(engineFixtures.appendingPathComponent("tiny.expected.safetensors"))
        try checkParity(model: model, cases: try tinyCases(), expected: expected, tolerance: 1e-5)
    }

    @Test("1, 2 and 3 workers give the same vectors (columns split differently, same sums)")
    func threadCounts() throws {
        let model = try BertModel(folder: engineFixtures.appendingPathComponent("tiny-modern"))
        let batch = try tinyCases().first { $0.inputs.count > 1 }!.inputs
        let single = try model.forward(batch, threads: 1)
        for threads in [2, 3] {
            let split = try model.forward(batch, attentions: .all, threads: threads)
            for (one, many) in zip(single, split) {
                #expect(one.hiddenStates.map(\.values) == many.hiddenStates.map(\.values), "\(threads) threads")
                #expect(one.poolerOutput == many.poolerOutput)
            }
        }
    }
}
