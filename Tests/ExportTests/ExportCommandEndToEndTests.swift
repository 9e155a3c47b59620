import Embeddings
import Export
import Foundation
import TestSupport
import Testing
import Tokenization

private let model = TinyModel.folder.path
private let texts = ["the dogs bark", "犬 and the cat\tran", "a \"mail\", man\nday", "Ich mag das Haus 🐕"]

/// What the export of `texts` should hold, computed in-process.
private func expectedRecords(layers: [LayerChoice], pooling: Pooling?, language: String? = nil) throws -> [VectorRecord] {
    try texts.enumerated().flatMap { index, text in
        let embedded = try TinyModel.embed(text)
        return pooling.map { VectorRecord.words(of: embedded, sentenceIndex: index, layers: layers, pooling: $0, language: language) }
            ?? VectorRecord.tokens(of: embedded, sentenceIndex: index, layers: layers, language: language)
    }
}

/// Runs `bertscope export` one text per forward pass on one thread, so vectors match in-process ones bit for bit.
private func export(_ arguments: [String], texts inputs: [String] = texts) throws -> CommandResult {
    try Bertscope.run(["export", "--model", model, "--threads", "1", "--batch-size", "1"] + arguments + inputs)
}

@Suite("bertscope export, end to end")
struct ExportCommandEndToEndTests {
    @Test("csv: one row per word and layer, labels and vectors as computed directly")
    func csv() throws {
        let folder = try makeScratchFolder()
        defer { removeScratch(folder) }
        let path = folder.appendingPathComponent("words.csv").path
        let result = try export(["--format", "csv", "--out", path, "--layers", "1,2", "--pooling", "mean"])
        #expect(result.status == 0, "\(result.standardError)")
        let expected = try expectedRecords(layers: [.layer(1), .layer(2)], pooling: .mean)
        let rows = try PythonReader.rows("csv", path)
        #expect(rows.count == expected.count)
        for (record, row) in zip(expected, rows) {
            #expect(row.labels["token"] == record.text)
            #expect(row.labels["sentence"] == record.sentence)
            #expect(row.labels["layer"] == record.layer)
            #expect(row.labels["pooling"] == "mean")
            // Two occurrences of one word differ by word index and span.
            #expect(row.labels["word_index"] == record.wordIndex.map(String.init))
            #expect(row.labels["span_start"] == record.span.map { String($0.start) })
            #expect(row.labels["span_end"] == record.span.map { String($0.end) })
            #expect(maxRelativeDifference(record.vector, row.vector) <= 1e-6)
        }
        #expect(result.standardError.contains("wrote \(expected.count) rows from 4 texts"))
    }

    @Test("npy: per-token rows for every layer, bit-identical to the engine's hidden states")
    func npy() throws {
        let folder = try makeScratchFolder()
        defer { removeScratch(folder) }
        let path = folder.appendingPathComponent("tokens.npy").path
        let result = try export(["--format", "npy", "--out", path, "--layers", "all", "--pooling", "none"])
        #expect(result.status == 0, "\(result.standardError)")
        let expected = try expectedRecords(layers: [.layer(0), .layer(1), .layer(2)], pooling: nil)
        let read = try PythonReader.read("npy", path)
        #expect(read["shape"] as? [Int] == [expected.count, 32])
        let rows = try PythonReader.rows("npy", path)
        #expect(rows.count == expected.count)
        for (record, row) in zip(expected, rows) {
            #expect(maxDifference(record.vector, row.vector) == 0)
            #expect(row.labels["token"] == record.text)
            #expect(row.labels["token_index"] == record.tokenIndex.map(String.init))
            #expect(row.labels["pooling"] == "none")
        }
    }

    @Test("projector: a folder TensorBoard parses, with language, layer and pooling columns")
    func projector() throws {
        let folder = try makeScratchFolder()
        defer { removeScratch(folder) }
        let path = folder.appendingPathComponent("projector").path
        let result = try export(["--format", "projector", "--out", path, "--pooling", "first", "--language", "mul"])
        #expect(result.status == 0, "\(result.standardError)")
        let expected = try expectedRecords(layers: [.layer(2)], pooling: .first, language: "mul")
        let read = try PythonReader.read("projector", path)
        #expect(read["columns"] as? [String] == ["token", "word", "sentence", "language", "layer", "pooling"])
        let rows = try PythonReader.rows("projector", path)
        #expect(rows.count == expected.count)
        for (record, row) in zip(expected, rows) {
            #expect(row.labels == ["token": record.text, "word": record.word, "sentence": record.sentence, "language": "mul",
                                   "layer": "2", "pooling": "first"])
            #expect(maxRelativeDifference(record.vector, row.vector) <= 1e-6)
        }
    }

    @Test("json: the embed schema plus pooling and per-word vectors, one array")
    func json() throws {
        let folder = try makeScratchFolder()
        defer { removeScratch(folder) }
        let path = folder.appendingPathComponent("out.json").path
        let result = try export(["--format", "json", "--out", path, "--layers", "0,-1"])
        #expect(result.status == 0, "\(result.standardError)")
        let documents = try PythonReader.read("json", path)["documents"] as? [[String: Any]] ?? []
        #expect(documents.count == texts.count)
        for (index, document) in documents.enumerated() {
            for key in ["id", "text", "input_ids", "tokens", "offsets", "word_ids", "layers", "hidden_states", "pooler_output", "pooling", "words"] {
                #expect(document[key] != nil, "missing \(key)")
            }
            let embedded = try TinyModel.embed(texts[index])
            #expect(document["id"] as? Int == index)
            #expect(document["text"] as? String == texts[index])
            #expect(document["layers"] as? [Int] == [0, 2])
            #expect(document["tokens"] as? [String] == embedded.encoding.tokens)
            let hidden = document["hidden_states"] as? [[[NSNumber]]] ?? []
            #expect(hidden.count == 2)
            for token in 0..<embedded.encoding.count {
                #expect(maxDifference(embedded.pieceVector(token, layer: .layer(2)), hidden[1][token].map(\.doubleValue)) == 0)
            }
            let words = document["words"] as? [[String: Any]] ?? []
            #expect(words.map { $0["text"] as? String } == embedded.words().map(\.text))
            if let first = words.first, let vectors = first["vectors"] as? [[NSNumber]] {
                let expected = embedded.wordVector(embedded.words()[0], layer: .layer(0), pooling: .mean)
                #expect(maxDifference(expected, vectors[0].map(\.doubleValue)) == 0)
            }
        }
    }

    @Test("jsonl input: ids are copied, each record's language wins over --language, blank lines are skipped")
    func jsonlInput() throws {
        let folder = try makeScratchFolder()
        defer { removeScratch(folder) }
        let input = folder.appendingPathComponent("in.jsonl")
        try Data("""
            {"id": "a1", "text": "the dog", "language": "en"}

            {"id": 7, "text": "der hund"}
            {"id": null, "text": "犬", "language": "ja"}

            """.utf8).write(to: input)
        let path = folder.appendingPathComponent("out.jsonl").path
        var result = try export(["--format", "jsonl", "--out", path, "--jsonl", input.path, "--language", "xx"], texts: [])
        #expect(result.status == 0, "\(result.standardError)")
        let documents = try PythonReader.read("jsonl", path)["documents"] as? [[String: Any]] ?? []
        #expect(documents.count == 3)
        #expect(documents.first?["id"] as? String == "a1")
        #expect(documents.map { $0["language"] as? String } == ["en", "xx", "ja"])
        let csvPath = folder.appendingPathComponent("out.csv").path
        result = try export(["--format", "csv", "--out", csvPath, "--jsonl", input.path], texts: [])
        #expect(result.status == 0, "\(result.standardError)")
        #expect(try PythonReader.rows("csv", csvPath).map { $0.labels["language"] } == ["en", "en", "", "", "ja"])
    }

    @Test("jsonl input: a raw U+FEFF in text and language reaches the export; the file's signature is reported once and skipped")
    func jsonlByteOrderMarks() throws {
        let folder = try makeScratchFolder()
        defer { removeScratch(folder) }
        let input = folder.appendingPathComponent("in.jsonl")
        try Data("\u{FEFF}{\"id\": \"a\", \"text\": \"\u{FEFF}the dog\", \"language\": \"\u{FEFF}en\"}\n{\"text\": \"\\n\u{FEFF}cat\"}\n".utf8)
            .write(to: input)
        let path = folder.appendingPathComponent("out.jsonl").path
        let result = try export(["--format", "jsonl", "--out", path, "--jsonl", input.path], texts: [])
        #expect(result.status == 0, "\(result.standardError)")
        #expect(result.standardError.components(separatedBy: "byte-order mark").count == 2, "\(result.standardError)")
        struct Document: Decodable { var text: String; var language: String? }
        // JSONDecoder: JSONSerialization would drop the marks that start a string.
        let documents = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n")
            .map { try JSONDecoder().decode(Document.self, from: Data($0.utf8)) }
        #expect(documents.map(\.text) == ["\u{FEFF}the dog", "\n\u{FEFF}cat"])
        #expect(documents.first?.language == "\u{FEFF}en")
    }

    @Test("--jsonl from a pipe is read once, not counted first (which would consume it)")
    func jsonlFromPipe() throws {
        let folder = try makeScratchFolder()
        defer { removeScratch(folder) }
        let fifo = folder.appendingPathComponent("in.fifo").path
        #expect(mkfifo(fifo, 0o600) == 0)
        DispatchQueue.global().async {
            guard let handle = FileHandle(forWritingAtPath: fifo) else { return }
            handle.write(Data("{\"text\": \"the dog\"}\n{\"text\": \"a cat\"}\n".utf8))
            try? handle.close()
        }
        let path = folder.appendingPathComponent("out.csv").path
        let result = try export(["--format", "csv", "--out", path, "--jsonl", fifo], texts: [])
        #expect(result.status == 0, "\(result.standardError)")
        #expect(try PythonReader.rows("csv", path).map { $0.labels["token"] } == ["the", "dog", "a", "cat"])
    }

    @Test("spark: last layer, first piece, Spark's tokenization, UTF-16 inclusive offsets, string metadata")
    func spark() throws {
        let folder = try makeScratchFolder()
        defer { removeScratch(folder) }
        let path = folder.appendingPathComponent("spark.jsonl").path
        let result = try export(["--format", "spark", "--out", path])
        #expect(result.status == 0, "\(result.standardError)")
        let documents = try PythonReader.read("spark", path)["documents"] as? [[String: Any]] ?? []
        #expect(documents.count == texts.count)
        for (index, document) in documents.enumerated() {
            let embedded = try TinyModel.embed(texts[index], dialect: .spark)
            let expected = SparkNLP.annotations(of: embedded)
            let annotations = document["embeddings"] as? [[String: Any]] ?? []
            #expect(annotations.count == expected.count)
            let utf16 = Array(texts[index].utf16)
            for (annotation, wanted) in zip(annotations, expected) {
                #expect(annotation["annotatorType"] as? String == "word_embeddings")
                let begin = annotation["begin"] as? Int ?? -1, end = annotation["end"] as? Int ?? -1
                #expect(begin == wanted.begin && end == wanted.end)
                // The JVM's text.substring(begin, end + 1) is the token.
                #expect(String(decoding: utf16[begin...end], as: UTF16.self) == annotation["result"] as? String)
                let metadata = annotation["metadata"] as? [String: String] ?? [:]
                #expect(metadata["sentence"] == "0" && metadata["isWordStart"] == "true")
                #expect(metadata["pieceId"] == String(wanted.pieceId))
                #expect(metadata["isOOV"] == String(wanted.isOOV))
                let vector = (annotation["embeddings"] as? [NSNumber] ?? []).map(\.doubleValue)
                #expect(maxDifference(wanted.embeddings, vector) == 0)
            }
        }
        let refused = try export(["--format", "spark", "--out", path + "2", "--pooling", "mean"])
        #expect(refused.status != 0)
        #expect(refused.standardError.contains("first piece"))
    }

    @Test("spark with a SentencePiece model (multilingual-e5-small): its own tokenizer, words without their ▁ space")
    func sparkWithSentencePiece() throws {
        let e5 = try TestPaths.require(TestPaths.e5Model, madeBy: "scripts/fetch_test_assets.sh").deletingLastPathComponent()
        let folder = try makeScratchFolder()
        defer { removeScratch(folder) }
        let path = folder.appendingPathComponent("spark.jsonl").path
        let text = "Der Hund bellt."
        let result = try Bertscope.run(["export", "--model", e5.path, "--format", "spark", "--out", path, text])
        #expect(result.status == 0, "\(result.standardError)")
        let documents = try PythonReader.read("spark", path)["documents"] as? [[String: Any]] ?? []
        let annotations = documents.first?["embeddings"] as? [[String: Any]] ?? []
        #expect(annotations.map { $0["result"] as? String } == ["Der", "Hund", "bellt."])
        #expect(annotations.map { $0["begin"] as? Int } == [0, 4, 9])
        #expect(annotations.allSatisfy { ($0["embeddings"] as? [NSNumber])?.count == 384 })
        let refused = try Bertscope.run(["export", "--model", e5.path, "--format", "spark", "--dialect", "google", "--out", path + "2", text])
        #expect(refused.status != 0 && refused.standardError.contains("SentencePiece"))
    }

    @Test("batches give the same vectors as one text at a time")
    func batching() throws {
        let folder = try makeScratchFolder()
        defer { removeScratch(folder) }
        let path = folder.appendingPathComponent("batched.npy").path
        let result = try Bertscope.run(["export", "--model", model, "--format", "npy", "--out", path, "--batch-size", "3", "--threads", "2"] + texts)
        #expect(result.status == 0, "\(result.standardError)")
        let expected = try expectedRecords(layers: [.layer(2)], pooling: .mean)
        let rows = try PythonReader.rows("npy", path)
        #expect(rows.count == expected.count)
        for (record, row) in zip(expected, rows) { #expect(maxDifference(record.vector, row.vector) <= 1e-5) }
    }
}

@Suite("bertscope export keeps the previous file when it cannot finish")
struct ExportFailureEndToEndTests {
    /// A finished export to fail over.
    private func previous(in folder: URL) throws -> (path: String, contents: Data) {
        let path = folder.appendingPathComponent("out.csv").path
        let result = try export(["--format", "csv", "--out", path], texts: ["the dog"])
        #expect(result.status == 0, "\(result.standardError)")
        return (path, try Data(contentsOf: URL(fileURLWithPath: path)))
    }

    @Test("an existing file is kept without --force and replaced with it")
    func force() throws {
        let folder = try makeScratchFolder()
        defer { removeScratch(folder) }
        let (path, contents) = try previous(in: folder)
        let refused = try export(["--format", "csv", "--out", path])
        #expect(refused.status != 0)
        #expect(refused.standardError.contains("\(path) exists; pass --force to replace it"))
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == contents)
        let forced = try export(["--format", "csv", "--out", path, "--force"])
        #expect(forced.status == 0, "\(forced.standardError)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) != contents)
        #expect(leftovers(in: folder).isEmpty)
    }

    @Test("a read-only folder fails cleanly: the reason is given and the old file stays")
    func readOnlyFolder() throws {
        let folder = try makeScratchFolder()
        defer {
            try? FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: folder.path)
            removeScratch(folder)
        }
        let (path, contents) = try previous(in: folder)
        // root may write anywhere: run the export as nobody so the folder's permissions apply, from copies
        // of the binary and the model that nobody can reach wherever the repository is.
        var executable = Bertscope.executable.path, modelPath = model
        let tools = try makeScratchFolder("readOnlyTools")
        defer { removeScratch(tools) }
        if geteuid() == 0 {
            executable = tools.appendingPathComponent("bertscope").path
            modelPath = tools.appendingPathComponent("model").path
            try FileManager.default.copyItem(atPath: Bertscope.executable.path, toPath: executable)
            try FileManager.default.copyItem(atPath: model, toPath: modelPath)
            for item in [tools.path, modelPath] { try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: item) }
            for file in try FileManager.default.contentsOfDirectory(atPath: modelPath) {
                try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: modelPath + "/" + file)
            }
        }
        try FileManager.default.setAttributes([.posixPermissions: 0o555], ofItemAtPath: folder.path)
        let arguments = ["export", "--model", modelPath, "--format", "csv", "--out", path, "--force", "the cat"]
        let result = geteuid() == 0
            ? try runProgram("/usr/bin/setpriv", ["--reuid=65534", "--regid=65534", "--clear-groups", executable] + arguments)
            : try runProgram(executable, arguments)
        #expect(result.status != 0)
        #expect(result.standardError.contains("cannot write \(path): Permission denied; the previous file is kept"), "\(result.standardError)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == contents)
        #expect(leftovers(in: folder).isEmpty)
    }

    @Test("running out of room halfway (a file size limit) reports why and leaves the old file, no temporary")
    func fileTooLarge() throws {
        let folder = try makeScratchFolder()
        defer { removeScratch(folder) }
        let (path, contents) = try previous(in: folder)
        let many = Array(repeating: "the dogs bark at the man in the house", count: 40)
        // As a user's shell would run it: SIGXFSZ at its default, which kills a process that writes past the
        // limit unless the process ignores the signal and handles EFBIG. (The test runner may have it blocked or
        // ignored, which a shell cannot undo, so Python resets both before the exec.)
        let reset = "import os, signal, sys; signal.signal(signal.SIGXFSZ, signal.SIG_DFL); "
            + "signal.pthread_sigmask(signal.SIG_UNBLOCK, [signal.SIGXFSZ]); os.execv(sys.argv[1], sys.argv[1:])"
        let script = "ulimit -f 8; exec python3 -c '\(reset)' \"$@\""
        let result = try runProgram("/bin/bash", ["-c", script, "bash", Bertscope.executable.path, "export", "--model", model,
                                                  "--format", "csv", "--out", path, "--force", "--pooling", "none", "--layers", "all"] + many)
        #expect(result.status != 0)
        #expect(result.standardError.contains("cannot write \(path): File too large; the previous file is kept"), "\(result.standardError)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == contents)
        #expect(leftovers(in: folder).isEmpty, "\(leftovers(in: folder))")
    }

    /// A line that is not JSON, and one whose escape is half a surrogate pair (valid JSON syntax, but no text).
    static let badLines = [
        ("not json", "line 3: the line is not valid JSON"),
        (#"{"text": "half \ud800 a pair"}"#, #"line 3: the line has the escape \ud800"#),
    ]

    @Test("a bad input line halfway stops the export, names the line, and writes nothing", arguments: badLines)
    func badLine(line: String, reason: String) throws {
        let folder = try makeScratchFolder()
        defer { removeScratch(folder) }
        let (path, contents) = try previous(in: folder)
        let input = folder.appendingPathComponent("in.jsonl")
        try Data("{\"text\": \"the dog\"}\n{\"text\": \"the cat\"}\n\(line)\n{\"text\": \"a man\"}\n".utf8).write(to: input)
        let result = try export(["--format", "csv", "--out", path, "--force", "--jsonl", input.path], texts: [])
        #expect(result.status != 0)
        #expect(result.standardError.contains("\(input.path), \(reason)"), "\(result.standardError)")
        #expect(result.standardError.contains("nothing was written"))
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == contents)
        #expect(leftovers(in: folder) == [])
    }

    @Test("an interrupted export (Ctrl-C) removes its temporary file and keeps the old one")
    func interrupted() throws {
        let folder = try makeScratchFolder()
        defer { removeScratch(folder) }
        let (path, contents) = try previous(in: folder)
        let process = Process()
        process.executableURL = Bertscope.executable
        process.arguments = ["export", "--model", model, "--format", "csv", "--out", path, "--force", "--jsonl", "-", "--batch-size", "1"]
        let input = Pipe()
        process.standardInput = input
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        // More than the 64 KiB the line reader waits for, but not the end: the export keeps waiting for more.
        input.fileHandleForWriting.write(Data(String(repeating: "{\"text\": \"the dog\"}\n", count: 4000).utf8))
        // Wait until the export has started writing beside its destination.
        let deadline = Date().addingTimeInterval(20)
        while leftovers(in: folder).isEmpty && Date() < deadline { Thread.sleep(forTimeInterval: 0.02) }
        #expect(!leftovers(in: folder).isEmpty, "the export never started")
        Thread.sleep(forTimeInterval: 0.3)
        process.interrupt()
        process.waitUntilExit()
        try? input.fileHandleForWriting.close()
        #expect(process.terminationStatus == 130)
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == contents)
        #expect(leftovers(in: folder).isEmpty, "\(leftovers(in: folder))")
    }
}
