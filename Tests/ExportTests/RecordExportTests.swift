import Embeddings
import Export
import Foundation
import TestSupport
import Testing
import Tokenization

/// Records whose labels hold everything that breaks naive CSV/TSV writers.
private let trickySentences = [
    "tab\there and a \"quote\", a comma",
    "new\nline, carriage\rreturn and CRLF\r\nend",
    "犬と猫が走る 🐕‍🦺 한국어",
    "back\\slash and a literal \\t and \\n",
    "  leading and trailing spaces  ",
    "=1+1, @mention",
    "",
]

private func trickyRecords() -> [VectorRecord] {
    var generator = SystemRandomNumberGenerator()
    let specials: [Float] = [0, -0.0, 1e-30, -3.4e38, Float.leastNonzeroMagnitude, 0.1, 1 / 3, 123456.79]
    var records = [VectorRecord]()
    for (index, sentence) in trickySentences.enumerated() {
        let word = sentence.split(separator: " ").first.map(String.init) ?? ""
        var vector = (0..<12).map { _ in Float.random(in: -4...4, using: &generator) }
        if index == 0 { vector.replaceSubrange(0..<specials.count, with: specials) }
        records.append(VectorRecord(
            text: index == 2 ? "##猫" : word, word: word, sentence: sentence, sentenceIndex: index,
            tokenIndex: index % 2 == 0 ? index : nil, language: index == 3 ? nil : ["de", "zh\tHant", "ko"][index % 3],
            layer: index == 4 ? "last4" : String(index % 3), pooling: index % 2 == 0 ? "none" : "mean", vector: vector))
    }
    return records
}

@Suite("writeRecords: every format read back by the tools people use")
struct RecordExportTests {
    @Test("CSV survives Python's csv module: tabs, newlines, quotes, commas and CJK intact, vectors exact")
    func csvRoundTrip() throws {
        let folder = try makeScratchFolder()
        defer { removeScratch(folder) }
        let path = folder.appendingPathComponent("vectors.csv").path
        let records = trickyRecords()
        try writeRecords(records, format: .csv, to: path, overwrite: false)
        let read = try PythonReader.read("csv", path)
        #expect(read["columns"] as? [String] == ["sentence_index", "sentence", "token_index", "token", "word", "word_index",
                                                 "span_start", "span_end", "language", "layer", "pooling"])
        let rows = try PythonReader.rows("csv", path)
        #expect(rows.count == records.count)
        for (record, row) in zip(records, rows) {
            #expect(row.labels["sentence"] == record.sentence)
            #expect(row.labels["token"] == record.text)
            #expect(row.labels["word"] == record.word)
            #expect(row.labels["sentence_index"] == String(record.sentenceIndex))
            #expect(row.labels["token_index"] == record.tokenIndex.map(String.init) ?? "")
            #expect(row.labels["word_index"] == record.wordIndex.map(String.init) ?? "")
            #expect(row.labels["span_start"] == record.span.map { String($0.start) } ?? "")
            #expect(row.labels["language"] == record.language ?? "")
            #expect(row.labels["layer"] == record.layer)
            #expect(row.labels["pooling"] == record.pooling)
            #expect(maxRelativeDifference(record.vector, row.vector) <= 1e-6)
        }
        let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        #expect(bytes.starts(with: Data("sentence_index,".utf8)), "no byte-order mark")
    }

    @Test("npy loads with np.load as float32 rows x dimensions, identical bits, labels beside it")
    func npyRoundTrip() throws {
        let folder = try makeScratchFolder()
        defer { removeScratch(folder) }
        let path = folder.appendingPathComponent("vectors.npy").path
        let records = trickyRecords()
        try writeRecords(records, format: .npy, to: path, overwrite: false)
        let read = try PythonReader.read("npy", path)
        #expect(read["shape"] as? [Int] == [records.count, 12])
        #expect(read["version"] as? [Int] == [1, 0])
        #expect((read["data_offset"] as? Int).map { $0 % 64 } == 0, "data starts on a 64-byte boundary")
        let rows = try PythonReader.rows("npy", path)
        #expect(rows.count == records.count)
        for (record, row) in zip(records, rows) {
            #expect(maxDifference(record.vector, row.vector) == 0)
            #expect(row.labels["sentence"] == record.sentence)
            #expect(row.labels["token"] == record.text)
            #expect(row.labels["language"] == record.language ?? "")
        }
        #expect(FileManager.default.fileExists(atPath: folder.appendingPathComponent("vectors.labels.tsv").path))
    }

    @Test("the Projector folder parses the way TensorBoard parses it, with the documented metadata columns")
    func projectorRoundTrip() throws {
        let folder = try makeScratchFolder()
        defer { removeScratch(folder) }
        let path = folder.appendingPathComponent("projector").path
        let records = trickyRecords()
        try writeRecords(records, format: .projector, to: path, overwrite: false)
        let read = try PythonReader.read("projector", path)
        #expect(read["columns"] as? [String] == ["token", "word", "sentence", "language", "layer", "pooling"])
        let config = read["config"] as? [String: Any]
        #expect(config?["tensor_shape"] as? [Int] == [records.count, 12])
        #expect(config?["tensor_path"] as? [String] == ["vectors.tsv"])
        #expect(config?["metadata_path"] as? [String] == ["metadata.tsv"])
        let rows = try PythonReader.rows("projector", path)
        #expect(rows.count == records.count)
        for (record, row) in zip(records, rows) {
            #expect(row.labels["sentence"] == record.sentence)
            #expect(row.labels["token"] == record.text)
            #expect(row.labels["word"] == record.word)
            #expect(row.labels["language"] == record.language ?? "")
            #expect(maxDifference(record.vector, row.vector) == 0)
        }
        let metadata = try String(contentsOfFile: path + "/metadata.tsv", encoding: .utf8)
        #expect(!metadata.contains("\r"), "no raw carriage return for the Projector to keep")
        #expect(metadata.split(separator: "\n").allSatisfy { $0.split(separator: "\t", omittingEmptySubsequences: false).count == 6 })
    }

    @Test("without any language the language column is left out")
    func noLanguageColumn() throws {
        let folder = try makeScratchFolder()
        defer { removeScratch(folder) }
        let records = trickyRecords().map { record -> VectorRecord in
            var copy = record
            copy.language = nil
            return copy
        }
        try writeRecords(records, format: .projector, to: folder.appendingPathComponent("p").path, overwrite: false)
        try writeRecords(records, format: .csv, to: folder.appendingPathComponent("a.csv").path, overwrite: false)
        #expect(try PythonReader.read("projector", folder.appendingPathComponent("p").path)["columns"] as? [String]
            == ["token", "word", "sentence", "layer", "pooling"])
        #expect(try PythonReader.read("csv", folder.appendingPathComponent("a.csv").path)["columns"] as? [String]
            == ["sentence_index", "sentence", "token_index", "token", "word", "word_index", "span_start", "span_end", "layer", "pooling"])
    }

    @Test("JSON and JSONL records load with the json module, strings and floats unchanged")
    func jsonRoundTrip() throws {
        let folder = try makeScratchFolder()
        defer { removeScratch(folder) }
        let records = trickyRecords()
        for format in [ExportFormat.json, .jsonl] {
            let path = folder.appendingPathComponent("records.\(format.rawValue)").path
            try writeRecords(records, format: format, to: path, overwrite: false)
            let documents = try PythonReader.read(format.rawValue, path)["documents"] as? [[String: Any]] ?? []
            #expect(documents.count == records.count)
            for (record, document) in zip(records, documents) {
                #expect(document["sentence"] as? String == record.sentence)
                #expect(document["token"] as? String == record.text)
                #expect(document["language"] as? String == record.language)
                #expect(document["token_index"] as? Int == record.tokenIndex)
                #expect(document["layer"] as? String == record.layer)
                #expect(maxDifference(record.vector, (document["vector"] as? [NSNumber] ?? []).map(\.doubleValue)) == 0)
            }
        }
        let empty = folder.appendingPathComponent("empty.json").path
        try writeRecords([], format: .json, to: empty, overwrite: false)
        #expect(try PythonReader.read("json", empty)["documents"] as? [Any] != nil)
    }

    @Test("Spark records group by sentence, with UTF-16 inclusive begin/end and string metadata")
    func sparkRecords() throws {
        let folder = try makeScratchFolder()
        defer { removeScratch(folder) }
        let path = folder.appendingPathComponent("spark.jsonl").path
        let text = try TinyModel.embed("🐕 the dogs bark")
        let records = VectorRecord.words(of: text, sentenceIndex: 4, layers: [.layer(2)], pooling: .first)
        try writeRecords(records, format: .spark, to: path, overwrite: false)
        let documents = try PythonReader.read("spark", path)["documents"] as? [[String: Any]] ?? []
        #expect(documents.count == 1)
        let annotations = documents.first?["embeddings"] as? [[String: Any]] ?? []
        #expect(annotations.map { $0["result"] as? String } == ["🐕", "the", "dogs", "bark"])
        // "🐕" is two UTF-16 units: begin 0, end 1; "the" starts at 3.
        #expect(annotations.map { $0["begin"] as? Int } == [0, 3, 7, 12])
        #expect(annotations.map { $0["end"] as? Int } == [1, 5, 10, 15])
        let metadata = annotations.first?["metadata"] as? [String: String]
        #expect(metadata?["isOOV"] == "true", "the tiny vocabulary has no dog emoji")
        #expect(metadata?["isWordStart"] == "true")
        #expect(Set(metadata?.keys.map { $0 } ?? []) == ["sentence", "token", "pieceId", "isWordStart", "isOOV"])
    }
}

@Suite("npy header")
struct NumpyHeaderTests {
    @Test("v1.0 header: magic, little-endian length, dict, space padding, newline, 64-byte aligned")
    func version1() {
        let header = NumpyFormat.float32Header(shape: [3, 768])
        #expect(Array(header.prefix(8)) == [0x93] + Array("NUMPY".utf8) + [1, 0])
        #expect(header.count % 64 == 0)
        #expect(Int(header[8]) | Int(header[9]) << 8 == header.count - 10)
        #expect(header.last == 0x0A)
        let text = String(decoding: header.dropFirst(10), as: UTF8.self)
        #expect(text.hasPrefix("{'descr': '<f4', 'fortran_order': False, 'shape': (3, 768), }"))
    }

    @Test("a header that does not fit 65535 bytes switches to v2.0 with a 4-byte length")
    func version2() {
        let header = NumpyFormat.float32Header(shape: [1, 2], minimumLength: 70_000)
        #expect(Array(header.prefix(8)) == [0x93] + Array("NUMPY".utf8) + [2, 0])
        let length = (0..<4).reduce(0) { $0 | Int(header[8 + $1]) << (8 * $1) }
        #expect(length == header.count - 12)
        #expect(header.count % 64 == 0)
    }

    @Test("one-dimensional shapes keep Python's trailing comma")
    func oneDimension() {
        let text = String(decoding: NumpyFormat.float32Header(shape: [5]).dropFirst(10), as: UTF8.self)
        #expect(text.contains("'shape': (5,)"))
    }
}

@Suite("writes are atomic")
struct AtomicWriteTests {
    let records = trickyRecords()

    @Test("an existing file is kept unless overwrite is asked for, and the error says to pass --force")
    func keepsExisting() throws {
        let folder = try makeScratchFolder()
        defer { removeScratch(folder) }
        for format in ExportFormat.vectorFormats {
            let path = folder.appendingPathComponent("out-\(format.rawValue)").path
            if format.writesFolder {
                try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false)
                try Data("old".utf8).write(to: URL(fileURLWithPath: path + "/old.txt"))
            } else {
                try Data("old".utf8).write(to: URL(fileURLWithPath: path))
            }
            #expect(throws: ExportError.exists(path: path)) { try writeRecords(records, format: format, to: path, overwrite: false) }
            #expect(ExportError.exists(path: path).description == "\(path) exists; pass --force to replace it")
            let kept = format.writesFolder ? path + "/old.txt" : path
            #expect(try String(contentsOfFile: kept, encoding: .utf8) == "old", "\(format)")
        }
        #expect(leftovers(in: folder).isEmpty, "\(leftovers(in: folder))")
        // Records are vectors: the attention formats are refused before anything is written.
        for format in ExportFormat.allCases where format.carriesAttention {
            let path = folder.appendingPathComponent("attention-\(format.rawValue)").path
            #expect(throws: ExportError.self) { try writeRecords(records, format: format, to: path, overwrite: false) }
            #expect(!FileManager.default.fileExists(atPath: path))
        }
    }

    @Test("overwrite replaces the file and keeps its permissions")
    func replaces() throws {
        let folder = try makeScratchFolder()
        defer { removeScratch(folder) }
        let path = folder.appendingPathComponent("out.csv").path
        try Data("old".utf8).write(to: URL(fileURLWithPath: path))
        try FileManager.default.setAttributes([.posixPermissions: 0o640], ofItemAtPath: path)
        try writeRecords(records, format: .csv, to: path, overwrite: true)
        #expect(try String(contentsOfFile: path, encoding: .utf8).hasPrefix("sentence_index"))
        let mode = try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int
        #expect(mode == 0o640)
        #expect(leftovers(in: folder).isEmpty)
    }

    @Test("a Projector folder is replaced whole; an existing empty folder needs no overwrite")
    func replacesFolder() throws {
        let folder = try makeScratchFolder()
        defer { removeScratch(folder) }
        let path = folder.appendingPathComponent("projector").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false)
        try writeRecords(records, format: .projector, to: path, overwrite: false)
        try writeRecords(Array(records.prefix(2)), format: .projector, to: path, overwrite: true)
        #expect(try FileManager.default.contentsOfDirectory(atPath: path).sorted() == ["metadata.tsv", "projector_config.pbtxt", "vectors.tsv"])
        #expect(try PythonReader.rows("projector", path).count == 2)
        #expect(leftovers(in: folder).isEmpty, "\(leftovers(in: folder))")
    }

    @Test("a failure halfway (a vector of the wrong size) leaves the previous file and no temporary file")
    func failureHalfway() throws {
        let folder = try makeScratchFolder()
        defer { removeScratch(folder) }
        var broken = records
        broken[4].vector.removeLast()
        for format in [ExportFormat.csv, .npy, .projector] {
            let path = folder.appendingPathComponent("out-\(format.rawValue)").path
            try writeRecords(Array(records.prefix(1)), format: format, to: path, overwrite: false)
            let before = try PythonReader.rows(format.rawValue, path)
            #expect(throws: ExportError.self) { try writeRecords(broken, format: format, to: path, overwrite: true) }
            let after = try PythonReader.rows(format.rawValue, path)
            #expect(after.count == 1 && after.first?.vector == before.first?.vector, "\(format)")
        }
        #expect(leftovers(in: folder).isEmpty, "\(leftovers(in: folder))")
    }

    @Test("a missing folder, or a folder where a file should be, is a clear error")
    func badDestinations() throws {
        let folder = try makeScratchFolder()
        defer { removeScratch(folder) }
        let missing = folder.appendingPathComponent("no/such/out.csv").path
        #expect(throws: ExportError.folderMissing(path: missing, folder: folder.appendingPathComponent("no/such").path)) {
            try writeRecords(records, format: .csv, to: missing, overwrite: true)
        }
        #expect(throws: ExportError.self) { try writeRecords(records, format: .csv, to: folder.path, overwrite: true) }
        let file = folder.appendingPathComponent("file").path
        try Data().write(to: URL(fileURLWithPath: file))
        #expect(throws: ExportError.self) { try writeRecords(records, format: .projector, to: file, overwrite: true) }
        #expect(leftovers(in: folder).isEmpty)
    }
}

@Suite("records from embedded texts")
struct VectorRecordTests {
    @Test("per-word records pool each word's pieces at each layer; per-token records keep [CLS] and [SEP]")
    func fromEmbeddedText() throws {
        let text = try TinyModel.embed("the dogs bark")
        let words = VectorRecord.words(of: text, sentenceIndex: 7, layers: [.layer(1), .layer(2)], pooling: .mean, language: "en")
        #expect(words.map(\.text) == ["the", "the", "dogs", "dogs", "bark", "bark"])
        #expect(words.map(\.layer) == ["1", "2", "1", "2", "1", "2"])
        let dogs = text.words()[1]
        #expect(words[3].vector == text.wordVector(dogs, layer: .layer(2), pooling: .mean))
        #expect(words[3].span == TextSpan(4, 8))
        #expect(words.allSatisfy { $0.sentenceIndex == 7 && $0.language == "en" && $0.tokenIndex == nil && $0.pooling == "mean" })
        let tokens = VectorRecord.tokens(of: text, sentenceIndex: 0, layers: [.sumOfLastFour])
        #expect(tokens.map(\.text) == ["[CLS]", "the", "dog", "##s", "bark", "[SEP]"])
        #expect(tokens.map(\.word) == ["", "the", "dogs", "dogs", "bark", ""])
        #expect(tokens.map(\.isWordStart) == [false, true, true, false, true, false])
        #expect(tokens[3].vector == text.pieceVector(3, layer: .sumOfLastFour))
        #expect(tokens.allSatisfy { $0.layer == "last4" && $0.pooling == "none" })
    }
}
