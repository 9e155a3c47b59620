import CBLAS
import CKernels
import Foundation

// The Swift face of the C kernels (Sources/CKernels): which instruction set runs them, how work is
// split over threads, and the operations the forward pass is written in. Buffers are raw row-major
// floats; shapes are in each signature's comment and callers guarantee them.

/// One instruction set's kernels, chosen for this CPU at run time.
struct KernelSet: @unchecked Sendable {
    let ops: OpaquePointer

    /// The fastest set this CPU runs, unless `BERTSCOPE_KERNELS` names another one it runs.
    static let best: KernelSet = {
        let fastest = KernelSet(ops: ck_ops_best())
        guard let requested = ProcessInfo.processInfo.environment["BERTSCOPE_KERNELS"], !requested.isEmpty else { return fastest }
        if let forced = available.first(where: { $0.answers(to: requested) }) { return forced }
        // Not a reason to stop: the results are the same whichever set computes them.
        FileHandle.standardError.write(Data(("bertscope: BERTSCOPE_KERNELS=\(requested) is not a kernel set this CPU runs (\(available.map(\.shortName).joined(separator: ", "))); using \(fastest.shortName)\n").utf8))
        return fastest
    }()

    static let baseline = KernelSet(ops: ck_ops_for(CK_ISA_BASELINE))

    /// Every set this CPU can run, baseline first, fastest last (for tests).
    static var available: [KernelSet] {
        [CK_ISA_BASELINE, CK_ISA_AVX2, CK_ISA_AVX2_VNNI, CK_ISA_AVX512, CK_ISA_AVX512_VNNI, CK_ISA_AVX512_DOT].compactMap { isa in ck_ops_for(isa).map(KernelSet.init) }
    }

    var name: String { String(cString: ck_ops_name(ops)) }

    /// The value of `BERTSCOPE_KERNELS` that asks for this set: its name in lower case without "+FMA"
    /// and "-" ("baseline", "avx2", "avx2+vnni", "avx512", "avx512+vnni", "avx512+bf16+vnni").
    var shortName: String {
        name.lowercased().replacingOccurrences(of: "+fma", with: "").replacingOccurrences(of: "-", with: "")
    }

    /// Whether `request` names this set, by its short name or its full name, in any case.
    func answers(to request: String) -> Bool {
        request.lowercased() == shortName || request.lowercased() == name.lowercased()
    }
}

/// Runs `body(item, worker)` for every item in 0..<items on up to `workers` threads, which take items in
/// turn (`ck_parallel_for`: a pool whose threads stay awake between the pass's ~60 parallel steps, and
/// where a thread on a busy core takes fewer items). Items write disjoint parts of shared buffers.
func parallelFor(_ items: Int, workers: Int, _ body: (_ item: Int, _ worker: Int) -> Void) {
    guard workers > 1, items > 1 else {
        for item in 0..<items { body(item, 0) }
        return
    }
    withoutActuallyEscaping(body) { body in
        var work = body
        withUnsafeMutablePointer(to: &work) { pointer in
            ck_parallel_for(items, workers, { context, item, worker in
                context!.assumingMemoryBound(to: ((Int, Int) -> Void).self).pointee(item, worker)
            }, pointer)
        }
    }
}

// MARK: Weight storage

/// How a weight matrix's numbers are stored: the one choice a reduced format plugs into. Each case has
/// its own layout and packing; the reduced ones are expanded to f32 panel by panel inside the product,
/// which then runs the f32 microkernel, so products equal f32 products over the decoded weights, except
/// where the kernel set multiplies bf16 or int8 natively (`ck_multiplies_natively`), reducing the inputs.
enum WeightStorage: Sendable, Equatable {
    /// f32, packed into 16-column panels (`ck_pack_rows`).
    case f32Panels
    /// Q4_0 (4-bit codes, one scale per 32 inputs) in 16-column panels (`ck_q4_pack_rows`); needs inputs
    /// to be a multiple of 32.
    case q4_0Panels
    /// bf16 (f32 rounded to nearest even, 8 significant bits) in 16-column panels (`ck_bf16_pack_rows`).
    case bf16Panels
    /// int8 codes with one scale per output (`ck_i8_pack_rows`), in 16-column panels.
    case int8Panels

    /// Floats of arena memory a matrix of this shape takes.
    func floats(outputs: Int, inputs: Int) -> Int {
        switch self {
        case .f32Panels: return ck_packed_floats(outputs, inputs)
        case .q4_0Panels: return (ck_q4_packed_bytes(outputs, inputs) + 3) / 4
        case .bf16Panels: return (ck_bf16_packed_bytes(outputs, inputs) + 3) / 4
        case .int8Panels: return (ck_i8_packed_bytes(outputs, inputs) + 3) / 4
        }
    }

    /// The kernels' name for the layout.
    var format: ck_weights {
        switch self {
        case .f32Panels: return CK_WEIGHTS_F32
        case .q4_0Panels: return CK_WEIGHTS_Q4_0
        case .bf16Panels: return CK_WEIGHTS_BF16
        case .int8Panels: return CK_WEIGHTS_INT8
        }
    }
}

/// Where a matrix's rows are read from when it is packed: f32 rows, or Q4_0 rows as files store them.
enum WeightRows: @unchecked Sendable {
    case f32([UnsafePointer<Float>])
    case q4_0([UnsafeRawPointer])

    var count: Int {
        switch self {
        case .f32(let rows): return rows.count
        case .q4_0(let rows): return rows.count
        }
    }
}

/// A weight matrix W [outputs, inputs] (PyTorch's Linear layout) ready for `y = x Wᵀ`.
struct WeightMatrix: @unchecked Sendable {
    let outputs: Int
    let inputs: Int
    let storage: WeightStorage
    /// The packed matrix, in memory the model's `WeightArena` owns.
    let data: UnsafeMutableRawPointer

    /// Room for the matrix in `arena`; `pack(_:kernels:)` fills it.
    init(outputs: Int, inputs: Int, storage: WeightStorage, arena: WeightArena) {
        self.outputs = outputs
        self.inputs = inputs
        self.storage = storage
        data = UnsafeMutableRawPointer(arena.allocate(storage.floats(outputs: outputs, inputs: inputs)))
    }

    /// Stores the matrix from its rows (each `inputs` values). Q4_0 rows are re-laid out as they are
    /// for Q4_0 panels, and dequantized (exactly) for any other storage, which then converts them as it
    /// does f32 rows. Different matrices can be packed at the same time.
    func pack(_ rows: WeightRows, kernels: KernelSet) {
        precondition(rows.count == outputs, "\(outputs) rows expected")
        switch (storage, rows) {
        case (.q4_0Panels, .q4_0(let blockRows)):
            blockRows.map { Optional($0) }.withUnsafeBufferPointer { ck_q4_pack_rows($0.baseAddress, outputs, inputs, data) }
        case (.q4_0Panels, .f32):
            preconditionFailure("f32 weights are never quantized to Q4_0")
        case (_, .f32(let rows)):
            packFloats(rows, kernels: kernels)
        case (_, .q4_0(let blockRows)):
            let values = UnsafeMutablePointer<Float>.allocate(capacity: outputs * inputs)
            defer { values.deallocate() }
            for (index, row) in blockRows.enumerated() { ck_q4_dequantize(row, inputs, values + index * inputs) }
            packFloats((0..<outputs).map { UnsafePointer(values + $0 * inputs) }, kernels: kernels)
        }
    }

    /// Stores f32 rows in this matrix's storage (any but Q4_0).
    private func packFloats(_ rows: [UnsafePointer<Float>], kernels: KernelSet) {
        rows.map { Optional($0) }.withUnsafeBufferPointer { rows in
            switch storage {
            case .f32Panels: ck_pack_rows(kernels.ops, rows.baseAddress, outputs, inputs, data.assumingMemoryBound(to: Float.self))
            case .bf16Panels: ck_bf16_pack_rows(rows.baseAddress, outputs, inputs, data)
            case .int8Panels: ck_i8_pack_rows(rows.baseAddress, outputs, inputs, data)
            case .q4_0Panels: preconditionFailure("f32 weights are never quantized to Q4_0")
            }
        }
    }

    /// output[rows × outputs] (row stride ldo) = epilogue(input[rows × inputs] (row stride ldi) · Wᵀ),
    /// on up to `workers` threads sharing `scratch` (ck_gemm_scratch_floats(inputs) floats).
    func multiply(_ kernels: KernelSet, workers: Int, input: UnsafePointer<Float>, ldi: Int, rows: Int,
                  epilogue: inout ck_epilogue, output: UnsafeMutablePointer<Float>, ldo: Int, scratch: UnsafeMutablePointer<Float>) {
        ck_gemm_weights_parallel(kernels.ops, workers, storage.format, rows, outputs, inputs, input, ldi, data, &epilogue, output,
                                 ldo, scratch)
    }
}

/// Memory for packed weights: one region, freed with the model. On Linux the region asks for
/// transparent huge pages, which cut TLB misses when the forward pass streams all weights.
final class WeightArena: @unchecked Sendable {
    private let base: UnsafeMutableRawPointer
    private let capacity: Int
    private var used = 0
    private let lock = NSLock()
    /// Huge-page alignment for large arenas (the size of an x86-64 and arm64 Linux huge page).
    private static let hugePage = 2 << 20

    /// An arena for allocations of these many floats each.
    init(allocations: [Int]) {
        capacity = max(allocations.reduce(0) { $0 + Self.rounded($1) }, 1)
        let large = capacity >= Self.hugePage
        base = UnsafeMutableRawPointer.allocate(byteCount: capacity, alignment: large ? Self.hugePage : 64)
        #if os(Linux)
        if large { madvise(base, capacity, MADV_HUGEPAGE) }
        #endif
    }

    deinit { base.deallocate() }

    /// `count` floats, 64-byte aligned.
    func allocate(_ count: Int) -> UnsafeMutablePointer<Float> {
        lock.lock()
        defer { lock.unlock() }
        precondition(used + Self.rounded(count) <= capacity, "weight arena overflow")
        let pointer = (base + used).bindMemory(to: Float.self, capacity: count)
        used += Self.rounded(count)
        return pointer
    }

    private static func rounded(_ floats: Int) -> Int { (floats * MemoryLayout<Float>.size + 63) / 64 * 64 }
}

// MARK: Operations

/// output[rows × layer.outputs] = act(input[rows × layer.inputs] · Wᵀ + b) + residual (of the output's
/// shape), on the workspace's threads.
func applyLinear(_ layer: Linear, input: UnsafePointer<Float>, rows: Int, output: UnsafeMutablePointer<Float>,
                 gelu: Bool = false, residual: UnsafePointer<Float>? = nil, workspace: Workspace) {
    var epilogue = ck_epilogue(bias: layer.bias.baseAddress, gelu: gelu ? 1 : 0, residual: residual, residual_ld: layer.outputs)
    layer.weight.multiply(workspace.kernels, workers: workspace.threads, input: input, ldi: layer.inputs, rows: rows,
                          epilogue: &epilogue, output: output, ldo: layer.outputs, scratch: workspace.gemmScratch)
}

/// In place over `rows` rows of `size`: (x - mean) / sqrt(var + eps) * scale + shift.
func layerNorm(_ data: UnsafeMutablePointer<Float>, rows: Int, size: Int, weights: LayerNormWeights, epsilon: Float,
               workspace: Workspace) {
    // Blocks of 32 rows: fewer rows than that take less time than handing them to another thread.
    let block = 32
    parallelFor((rows + block - 1) / block, workers: workspace.threads) { item, _ in
        let first = item * block
        ck_layer_norm(workspace.kernels.ops, data + first * size, min(block, rows - first), size, size,
                      weights.scale.baseAddress, weights.shift.baseAddress, epsilon)
    }
}

/// In place, each of `rows` rows of `size`: softmax.
func softmaxRows(_ data: UnsafeMutablePointer<Float>, rows: Int, size: Int, kernels: KernelSet) {
    ck_softmax(kernels.ops, data, rows, size, size)
}

/// The BLAS threads of the one product left to OpenBLAS, the masked-LM decoder (vocabulary × hidden).
enum BLASThreads {
    static func set(_ count: Int) { openblas_set_num_threads(Int32(max(1, count))) }
}

extension BertModel {
    /// Which kernels run the matrix products on this CPU, for benchmarks and `model info`.
    public static var kernelDescription: String { "bertscope \(kernelName)" }

    /// The name of the kernel set every forward pass uses ("AVX-512", "AVX2+FMA", "baseline").
    public static var kernelName: String { KernelSet.best.name }

    /// What the CPU and the OS told the dispatch, for `--version` and bug reports: the vector extensions
    /// found (CPUID) and whether the OS saves their registers (XCR0), which both decide the kernel set.
    public static var cpuFeatureDescription: String {
        #if arch(x86_64)
        let cpu = ck_cpu()
        let extensions = [
            ("AVX", cpu.avx), ("FMA", cpu.fma), ("AVX2", cpu.avx2), ("AVX512F", cpu.avx512f), ("AVX512BW", cpu.avx512bw),
            ("AVX512DQ", cpu.avx512dq), ("AVX512VL", cpu.avx512vl), ("AVX512VNNI", cpu.avx512vnni), ("AVX512BF16", cpu.avx512bf16), ("AVXVNNI", cpu.avxvnni),
        ].filter { $0.1 != 0 }.map(\.0)
        let yes = { (flag: Int32) in flag != 0 ? "yes" : "no" }
        return "\(extensions.isEmpty ? "no AVX" : extensions.joined(separator: " ")); the OS saves AVX state: \(yes(cpu.os_saves_avx)), "
            + "AVX-512 state: \(yes(cpu.os_saves_avx512)) (XCR0 0x\(String(cpu.xcr0, radix: 16)))"
        #else
        return "not x86-64: the portable kernels"
        #endif
    }
}
