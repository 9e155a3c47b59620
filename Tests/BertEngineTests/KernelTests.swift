import CKernels
import Foundation
import ModelLoader
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

/// `value` rounded to bf16 and widened back, worked out independently of the C code: of the two bf16
/// neighbours (the value's high half, and the next one away from zero, infinity past the largest) the
/// nearer, the even one on a tie.
private func bf16Rounded(_ value: Float) -> Float {
    if value.isNaN || value.isInfinite { return value }
    let truncated = Float(bitPattern: value.bitPattern & 0xffff_0000)
    let away = Float(bitPattern: (value.bitPattern & 0xffff_0000) &+ 0x1_0000)
    // A bf16 step is 2^16 f32 steps; measured in Double, where the step past the largest is finite.
    let step = Double(truncated.ulp) * 65536
    let below = abs(Double(value) - Double(truncated)), above = abs(Double(truncated)) + step - abs(Double(value))
    if below != above { return below < above ? truncated : away }
    return truncated.bitPattern & 0x1_0000 == 0 ? truncated : away
}

/// Per-row symmetric int8 of [rows, columns] f32 weights, worked out independently of the C code: the
/// codes, the row scales (max |w| / 127) and the decoded weights code · scale.
private func int8Quantized(_ weights: [Float], rows: Int, columns: Int) -> (codes: [Int8], scales: [Float], decoded: [Float]) {
    var codes = [Int8](), decoded = [Float]()
    let scales = (0..<rows).map { row in weights[(row * columns)..<((row + 1) * columns)].map(abs).max()! / 127 }
    for row in 0..<rows {
        for value in weights[(row * columns)..<((row + 1) * columns)] {
            let code = scales[row] == 0 ? 0 : Int8(min(127, max(-127, (value / scales[row]).rounded(.toNearestOrEven))))
            codes.append(code)
            decoded.append(Float(code) * scales[row])
        }
    }
    return (codes, scales, decoded)
}

/// A's rows as a product that multiplies `format` natively reads them (CKernels.h, ck_weights), worked out
/// independently of the C code: bf16 rounds every value; int8 quantizes each row to u8 codes with a scale
/// and zero point over the row and returns (code - zero) · scale. Rows of `lda` values, `k` of them used.
private func nativeInputs(_ a: [Float], rows: Int, k: Int, lda: Int, format: ReducedFormat) -> [Float] {
    switch format {
    case .q4_0: return a
    case .bf16: return a.map(bf16Rounded)
    case .int8:
        var decoded = a
        for row in 0..<rows {
            let values = a[(row * lda)..<(row * lda + k)]
            let lowest = min(0, values.min() ?? 0), highest = max(0, values.max() ?? 0)
            let scale = (highest - lowest) / 255
            guard scale > 0 else {
                for i in 0..<k { decoded[row * lda + i] = 0 }
                continue
            }
            let zero = min(255, max(0, (-lowest / scale).rounded(.toNearestOrEven)))
            let inverse = 1 / scale
            for i in 0..<k {
                let code = min(255, max(0, (values[row * lda + i] * inverse).rounded(.toNearestOrEven) + zero))
                decoded[row * lda + i] = (code - zero) * scale
            }
        }
        return decoded
    }
}

/// The weight formats a product reads besides f32, for the tests that compare them with f32 panels.
enum ReducedFormat: String, CaseIterable, CustomTestStringConvertible {
    case q4_0, bf16, int8
    var testDescription: String { rawValue }
    var weights: ck_weights {
        switch self {
        case .q4_0: return CK_WEIGHTS_Q4_0
        case .bf16: return CK_WEIGHTS_BF16
        case .int8: return CK_WEIGHTS_INT8
        }
    }

    /// Packed seeded weights for [n, k] in this format (owned by the caller, 64-byte aligned) and their
    /// values as decoded independently of the C code.
    func seededMatrix(n: Int, k: Int, seed: UInt64) -> (packed: UnsafeMutableRawPointer, decoded: [Float]) {
        switch self {
        case .q4_0:
            let blocks = randomQ4_0(rows: n, columns: k, seed: seed)
            let packed = UnsafeMutableRawPointer.allocate(byteCount: ck_q4_packed_bytes(n, k), alignment: 64)
            blocks.withUnsafeBytes { file in
                let rows = (0..<n).map { Optional(UnsafeRawPointer(file.baseAddress! + $0 * k / 32 * 18)) }
                ck_q4_pack_rows(rows, n, k, packed)
            }
            return (packed, dequantizedQ4_0(blocks))
        case .bf16, .int8:
            // Every 5th row 8x larger and one row of zeros: different int8 scales, and a zero one.
            var weights = randomValues(n * k, seed: seed, scale: 0.5)
            for row in stride(from: 0, to: n, by: 5) { for i in 0..<k { weights[row * k + i] *= 8 } }
            if n > 2 { for i in 0..<k { weights[2 * k + i] = 0 } }
            let bytes = self == .bf16 ? ck_bf16_packed_bytes(n, k) : ck_i8_packed_bytes(n, k)
            let packed = UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: 64)
            weights.withUnsafeBufferPointer { values in
                let rows = (0..<n).map { Optional(values.baseAddress! + $0 * k) }
                if self == .bf16 { ck_bf16_pack_rows(rows, n, k, packed) } else { ck_i8_pack_rows(rows, n, k, packed) }
            }
            return (packed, self == .bf16 ? weights.map(bf16Rounded) : int8Quantized(weights, rows: n, columns: k).decoded)
        }
    }

    /// Odd shapes for the product: every tile and panel remainder, one and several depth blocks, one and
    /// two blocks of rows (192 for f32 lines, 384 for the dot-product kernels; Q4_0 needs whole blocks of
    /// 32 inputs).
    var shapes: [(m: Int, n: Int, k: Int)] {
        self == .q4_0
            ? [(1, 1, 32), (1, 16, 64), (5, 37, 96), (6, 16, 288), (7, 48, 256), (13, 33, 544), (97, 20, 64), (200, 48, 320)]
            : [(1, 1, 1), (1, 16, 7), (3, 17, 77), (5, 37, 13), (6, 16, 300), (7, 48, 256), (13, 33, 520), (97, 20, 40), (200, 48, 257),
               (397, 37, 40)]
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

    @Test("the fastest set the CPU runs is the one chosen: AVX-512 exactly where CPUID has F, BW, DQ and VL and XCR0 the ZMM and opmask state, its dot-product sets where CPUID also has VNNI, or BF16 and VNNI; AVX2+VNNI where it has AVX-VNNI")
    func dispatchOrder() {
        let cpu = ck_cpu()
        let avx = cpu.avx != 0 && cpu.avx2 != 0 && cpu.fma != 0 && cpu.xcr0 & 0x06 == 0x06
        let avx512 = avx && cpu.avx512f != 0 && cpu.avx512bw != 0 && cpu.avx512dq != 0 && cpu.avx512vl != 0 && cpu.xcr0 & 0xe0 == 0xe0
        #expect((ck_ops_for(CK_ISA_AVX2) != nil) == avx)
        #expect((ck_ops_for(CK_ISA_AVX512) != nil) == avx512)
        #expect((cpu.os_saves_avx512 != 0) == (cpu.xcr0 & 0xe6 == 0xe6))
        let vnni = avx512 && cpu.avx512vnni != 0, dot = vnni && cpu.avx512bf16 != 0
        #expect((ck_ops_for(CK_ISA_AVX512_DOT) != nil) == dot)
        #expect((ck_ops_for(CK_ISA_AVX512_VNNI) != nil) == vnni)
        #expect((ck_ops_for(CK_ISA_AVX2_VNNI) != nil) == (avx && cpu.avxvnni != 0))
        #expect(ck_ops_best() == (ck_ops_for(CK_ISA_AVX512_DOT) ?? ck_ops_for(CK_ISA_AVX512_VNNI) ?? ck_ops_for(CK_ISA_AVX512)
            ?? ck_ops_for(CK_ISA_AVX2_VNNI) ?? ck_ops_for(CK_ISA_AVX2) ?? ck_ops_for(CK_ISA_BASELINE)))
        for set in KernelSet.available {
            let bf16 = set.ops == ck_ops_for(CK_ISA_AVX512_DOT)
            let int8 = bf16 || set.ops == ck_ops_for(CK_ISA_AVX512_VNNI) || set.ops == ck_ops_for(CK_ISA_AVX2_VNNI)
            #expect((ck_multiplies_natively(set.ops, CK_WEIGHTS_BF16) != 0) == bf16, "\(set.name) bf16")
            #expect((ck_multiplies_natively(set.ops, CK_WEIGHTS_INT8) != 0) == int8, "\(set.name) int8")
            #expect(ck_multiplies_natively(set.ops, CK_WEIGHTS_Q4_0) == 0 && ck_multiplies_natively(set.ops, CK_WEIGHTS_F32) == 0)
        }
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
        #expect(ck_ops_for(CK_ISA_AVX512_DOT).map { KernelSet(ops: $0).shortName } ?? "avx512+bf16+vnni" == "avx512+bf16+vnni")
        #expect(ck_ops_for(CK_ISA_AVX512_VNNI).map { KernelSet(ops: $0).shortName } ?? "avx512+vnni" == "avx512+vnni")
        #expect(ck_ops_for(CK_ISA_AVX2_VNNI).map { KernelSet(ops: $0).shortName } ?? "avx2+vnni" == "avx2+vnni")
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

    @Test("f32 to bf16 rounds to nearest, ties to even; NaN stays NaN, overflow gives infinity")
    func bf16Rounding() {
        let special: [Float] = [0, -0, 1, -1, .infinity, -.infinity, .greatestFiniteMagnitude, -.greatestFiniteMagnitude,
                                .leastNonzeroMagnitude, .leastNormalMagnitude, 1 + 0x1p-8, 1 + 0x1p-7 + 0x1p-8, 1 + 0x1p-8 + 0x1p-20,
                                Float(bitPattern: 0x3f80_7fff), Float(bitPattern: 0x3f81_8000), Float(bitPattern: 0x7f7f_8000)]
        for value in special + randomValues(20_000, seed: 5, scale: 1000) {
            let widened = Float(bitPattern: UInt32(ck_bf16_from_float(value)) << 16)
            #expect(widened.bitPattern == bf16Rounded(value).bitPattern, "bf16(\(value)) = \(widened)")
        }
        #expect(Float(bitPattern: UInt32(ck_bf16_from_float(1 + 0x1p-8)) << 16) == 1, "a tie goes to the even neighbour")
        #expect(Float(bitPattern: UInt32(ck_bf16_from_float(.greatestFiniteMagnitude)) << 16) == .infinity)
        #expect(Float(bitPattern: UInt32(ck_bf16_from_float(.nan)) << 16).isNaN)
        #expect(Float(bitPattern: UInt32(ck_bf16_from_float(Float(bitPattern: 0x7f80_0001))) << 16).isNaN, "a NaN with low payload stays NaN")
    }

    @Test("int8 packing: per-row scale max |w| / 127, codes rounded to nearest even, stored per panel in depth quads with each depth block's code sums")
    func int8Packing() {
        let (n, k) = (19, 300)
        let weights = randomValues(n * k, seed: 9)
        let packed = UnsafeMutableRawPointer.allocate(byteCount: ck_i8_packed_bytes(n, k), alignment: 64)
        defer { packed.deallocate() }
        weights.withUnsafeBufferPointer { values in
            ck_i8_pack_rows((0..<n).map { Optional(values.baseAddress! + $0 * k) }, n, k, packed)
        }
        let expected = int8Quantized(weights, rows: n, columns: k)
        let panels = ck_panel_count(n)
        let scales = Array(UnsafeBufferPointer(start: packed.assumingMemoryBound(to: Float.self), count: panels * 16))
        #expect(Array(scales[..<n]) == expected.scales)
        #expect(scales[n...].allSatisfy { $0 == 0 }, "columns past n have scale 0")
        // Two depth blocks (256 and 44 deep), so 2 × 16 sums per panel after the scales, block by block.
        let sums = (packed + panels * 16 * 4).assumingMemoryBound(to: Int32.self)
        for column in [0, 17, n - 1] {
            let (panel, j) = (column / 16, column % 16)
            for block in 0..<2 {
                let blockCodes = expected.codes[(column * k + block * 256)..<(column * k + min(k, block * 256 + 256))]
                #expect(sums[(block * panels + panel) * 16 + j] == Int32(blockCodes.reduce(0) { $0 + Int($1) }), "column \(column) block \(block)")
            }
        }
        // Column 17 is panel 1's column 1; depth 262 is the second block's (44 deep, no padding: 300 is a
        // multiple of 4) depth 6: quad line 1, byte 4 · 1 + 2.
        let codes = (packed + panels * 16 * 4 + panels * 2 * 16 * 4).assumingMemoryBound(to: Int8.self)
        #expect(codes[(256 * 16 * panels) + 44 * 16 * 1 + 1 * 64 + 4 * 1 + 2] == expected.codes[17 * k + 262])
        #expect(codes[1 * 64 + 4 * 3 + 1] == expected.codes[3 * k + 5], "column 3, depth 5: the first block's quad line 1")
        #expect(expected.codes.contains(127) && expected.codes.contains(-127), "each row's largest weight has code ±127")
    }

    @Test("matrix product with Q4_0, bf16 and int8 panels: equals the f32 product of the decoded weights bit for bit, or where the set multiplies the format natively the product of the reduced inputs",
          arguments: variants.flatMap { variant in ReducedFormat.allCases.map { (variant.0, variant.1, $0) } })
    func gemmReduced(name: String, kernels: KernelSet, format: ReducedFormat) throws {
        for (index, shape) in format.shapes.enumerated() {
            let (m, n, k) = shape
            let scratch = aligned64(ck_gemm_scratch_floats(k))
            defer { scratch.deallocate() }
            let lda = k + 3
            var a = randomValues(m * lda, seed: UInt64(index))
            // Rows the int8 quantization treats apart: all zeros (scale 0), all positive (zero point 0), all
            // negative (zero point 255).
            if m > 3 { for i in 0..<k { a[i] = 0; a[lda + i] = abs(a[lda + i]); a[2 * lda + i] = -abs(a[2 * lda + i]) - 0.01 } }
            let native = ck_multiplies_natively(kernels.ops, format.weights) != 0
            let inputs = native ? nativeInputs(a, rows: m, k: k, lda: lda, format: format) : a
            let (packed, weights) = format.seededMatrix(n: n, k: k, seed: UInt64(100 + index))
            defer { packed.deallocate() }
            let bias = randomValues(n, seed: UInt64(200 + index))
            let residual = randomValues(m * n, seed: UInt64(300 + index))
            let packedF32 = aligned64(ck_packed_floats(n, k))
            defer { packedF32.deallocate() }
            ck_pack_nk(kernels.ops, weights, k, n, k, packedF32)
            for (withBias, gelu, withResidual) in [(false, false, false), (true, true, false), (true, false, true)] {
                var reduced = [Float](repeating: .nan, count: m * n)
                var f32 = [Float](repeating: .nan, count: m * n)
                withEpilogue(bias: withBias ? bias : nil, gelu: gelu, residual: withResidual ? residual : nil, columns: n) { epilogue in
                    for part in panelHalves(n) {
                        ck_gemm_weights(kernels.ops, format.weights, m, n, k, a, lda, packed, part.lowerBound, part.upperBound, &epilogue,
                                        &reduced, n, scratch)
                    }
                    ck_gemm(kernels.ops, m, n, k, a, lda, packedF32, 0, ck_panel_count(n), &epilogue, &f32, n, scratch)
                }
                let label = "\(name) \(format) \(m)x\(n)x\(k) bias \(withBias) gelu \(gelu) residual \(withResidual)"
                if !native { #expect(reduced == f32, "\(label): \(format) and f32 panels differ") }
                let expected = referenceProduct(m: m, n: n, k: k, a: inputs, lda: lda, b: weights, bias: withBias ? bias : nil,
                                                gelu: gelu, residual: withResidual ? residual : nil)
                // The f32 product's rounding error, which grows with the weights' magnitude (up to 4 here).
                let magnitude = max(1, Double(weights.map(abs).max() ?? 0))
                let difference = maxDifference(reduced, expected)
                #expect(difference <= 2e-6 * Double(k).squareRoot() * magnitude + 1e-6, "\(label): max |Δ| \(difference)")
            }
        }
    }

    @Test("a NaN or an infinity in a row of A makes that row's products NaN or infinite, never finite, and leaves the other rows finite",
          arguments: variants.flatMap { variant in ReducedFormat.allCases.map { (variant.0, variant.1, $0) } })
    func nonFiniteInputs(name: String, kernels: KernelSet, format: ReducedFormat) {
        let (m, n, k) = (9, 20, 64)
        let scratch = aligned64(ck_gemm_scratch_floats(k))
        defer { scratch.deallocate() }
        var a = randomValues(m * k, seed: 5)
        a[2 * k + 7] = .nan
        a[5 * k + 40] = .infinity
        let (packed, _) = format.seededMatrix(n: n, k: k, seed: 6)
        defer { packed.deallocate() }
        var c = [Float](repeating: 0, count: m * n)
        var epilogue = ck_epilogue(bias: nil, gelu: 0, residual: nil, residual_ld: n)
        ck_gemm_weights(kernels.ops, format.weights, m, n, k, a, k, packed, 0, ck_panel_count(n), &epilogue, &c, n, scratch)
        for row in 0..<m {
            let values = Array(c[(row * n)..<((row + 1) * n)])
            let finite = values.filter(\.isFinite).count
            // A zero weight times an infinity is NaN; any other, ±infinity (f32 lines) or NaN (the row's scale).
            let expected = row == 2 || row == 5 ? 0 : n
            #expect(finite == expected, "\(name) \(format) row \(row): \(values)")
        }
    }

    @Test("the parallel product over reduced panels equals the one-thread product", arguments: ReducedFormat.allCases)
    func gemmReducedParallel(format: ReducedFormat) {
        let (m, n, k) = (37, 200, 320)
        let scratch = aligned64(ck_gemm_scratch_floats(k))
        defer { scratch.deallocate() }
        let a = randomValues(m * k, seed: 1)
        let (packed, _) = format.seededMatrix(n: n, k: k, seed: 2)
        defer { packed.deallocate() }
        var one = [Float](repeating: .nan, count: m * n), three = one
        var epilogue = ck_epilogue(bias: nil, gelu: 0, residual: nil, residual_ld: n)
        ck_gemm_weights(KernelSet.best.ops, format.weights, m, n, k, a, k, packed, 0, ck_panel_count(n), &epilogue, &one, n, scratch)
        ck_gemm_weights_parallel(KernelSet.best.ops, 3, format.weights, m, n, k, a, k, packed, &epilogue, &three, n, scratch)
        #expect(one == three)
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
        let model = try ModelFolder.model(in: engineFixtures.appendingPathComponent("tiny-modern"))
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
