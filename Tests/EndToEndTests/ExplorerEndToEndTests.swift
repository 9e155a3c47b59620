import Foundation
import TerminalUI
import TestSupport
import Testing
import Tokenization

/// The real binary in a real terminal (tmux), driven as a person would.
@Suite("Explorer end to end (tmux)", .serialized)
struct ExplorerEndToEndTests {
    static let model = try! TestModels.multilingualTiny()

    func startExplorer(in folder: URL, model: URL = Self.model, arguments: String = "", columns: Int = 100, rows: Int = 30) throws -> TmuxSession {
        let command = "cd '\(folder.path)'; '\(Bertscope.executable.path)' --model '\(model.path)' \(arguments); "
            + "echo \\\"exit=\\$?\\\"; stty -a > stty.txt; sleep 120"
        let session = try TmuxSession(command: command, columns: columns, rows: rows)
        try session.waitFor("type text in any language")
        return session
    }


    @Test("mixed scripts, layers, pooling, compare, pins, resize and quit: the screen shows the right pieces, aligned, and the terminal is restored")
    func session() throws {
        let folder = try makeTemporaryFolder("e2e")
        defer { try? FileManager.default.removeItem(at: folder) }
        let session = try startExplorer(in: folder)
        let text = "Tokyo 東京 كِتاب 😀 Cafe\u{301}"
        try session.type(text)
        let expected = try BertTokenizer(modelFolder: Self.model).encode(text)
        var screen = try session.waitFor("京")
        // Every piece is listed, in order, with its id; the id column is aligned whatever the script.
        let rows = screen.split(separator: "\n").map(String.init)
        var idColumns = Set<Int>()
        var searchFrom = 0
        for (index, token) in expected.tokens.enumerated() where index > 0 && index < expected.count - 1 {
            let found = rows.indices.dropFirst(searchFrom).first { rows[$0].contains(" \(token) ") && rows[$0].contains(" \(expected.ids[index]) ") }
            let row = try #require(found, "piece \(token) (id \(expected.ids[index])) not on screen:\n\(screen)")
            searchFrom = row + 1
            let line = rows[row]
            let idStart = line.range(of: " \(expected.ids[index]) ")!.upperBound
            idColumns.insert(DisplayWidth.of(line[..<idStart]))
        }
        #expect(idColumns.count == 1, "the id column moved between rows:\n\(screen)")
        #expect(screen.contains("› " + text) || screen.contains("› Tokyo"))

        try session.press("Escape")
        try session.press("]", "]")
        screen = try session.waitFor("layer 0")
        try session.press("p")
        screen = try session.waitFor("pooling max")

        // Compare with a second language.
        try session.press("+")
        try session.type("Tokio ist groß")
        try session.press("Escape", "3")
        screen = try session.waitFor("sentence cosine (mean)")
        #expect(screen.contains("words of line 2 × line 1"))

        // Pin two words.
        try session.press("o", "w", "m", "j", "m", "4")
        screen = try session.waitFor("nearest to")
        #expect(screen.contains("2 pins") || screen.contains("● "))

        // Export the pins in every format from the dialog, and read each file back.
        let names = ["bertscope-export.json", "bertscope-export.jsonl", "bertscope-export.csv", "bertscope-export.npy",
                     "bertscope-export-projector", "bertscope-export.spark.json"]
        for (index, name) in names.enumerated() {
            try session.press("e")
            try session.waitFor("format:")
            for _ in 0..<index { try session.press("Tab") }
            try session.waitFor(name)
            try session.press("Enter")
            try session.waitFor("wrote 2 vectors to \(folder.path)/\(name)")  // the full path: the file is in the start folder
        }
        try checkExports(in: folder, names: names)
        // An existing file is never replaced without asking; "n" keeps it.
        let before = try Data(contentsOf: folder.appendingPathComponent(names[0]))
        try session.press("e", "Enter")
        try session.waitFor("exists: replace it? y / n")
        try session.press("n")
        try session.waitFor("kept the existing file")
        // The dialog stays open to pick another name; Esc closes it.
        try session.press("Escape")
        try session.waitUntil("the dialog to close") { !$0.contains("format:") }
        #expect(try Data(contentsOf: folder.appendingPathComponent(names[0])) == before)

        // Resize to the compact layout and back; too small says so.
        try session.resize(columns: 80, rows: 24)
        screen = try session.waitUntil("compact layout") { $0.contains("Pieces") || $0.contains("Words") }
        #expect(screen.split(separator: "\n").allSatisfy { DisplayWidth.of($0) <= 80 })
        try session.resize(columns: 70, rows: 20)
        try session.waitFor("needs at least 80x24")
        try session.resize(columns: 100, rows: 30)
        try session.waitUntil("full layout") { $0.contains("Words") }

        // Two lines and two pins: q asks once, the second q quits.
        try session.press("q")
        try session.waitFor("quit and lose 2 lines and 2 pins?")
        try session.press("q")
        try session.waitFor("exit=0")
        let stty = try String(contentsOf: folder.appendingPathComponent("stty.txt"), encoding: .utf8)
        #expect(stty.contains(" icanon") && stty.contains(" echo") && !stty.contains("-icanon"), "terminal not restored: \(stty)")
    }

    /// Reads every exported file back and checks they hold the same two vectors.
    func checkExports(in folder: URL, names: [String]) throws {
        func url(_ name: String) -> URL { folder.appendingPathComponent(name) }
        let json = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: url(names[0]))) as? [[String: Any]])
        #expect(json.count == 2)
        let vectors = try json.map { try #require($0["vector"] as? [Double]).map(Float.init) }
        #expect(vectors.allSatisfy { $0.count == 32 })
        let jsonl = try String(contentsOf: url(names[1]), encoding: .utf8).split(separator: "\n")
        #expect(jsonl.count == 2)
        let csv = try String(contentsOf: url(names[2]), encoding: .utf8).split(separator: "\r\n")
        #expect(csv.count == 3 && csv[0].contains("v31"))
        // .npy: magic, version, header with the shape, then float32 little-endian rows.
        let npy = try Data(contentsOf: url(names[3]))
        #expect(npy.prefix(6) == Data([0x93]) + Data("NUMPY".utf8))
        let headerLength = Int(npy[8]) | Int(npy[9]) << 8
        let header = String(decoding: npy[10..<(10 + headerLength)], as: UTF8.self)
        #expect(header.contains("'shape': (2, 32)") && header.contains("'descr': '<f4'"))
        let values = npy[(10 + headerLength)...].withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
        #expect(values == vectors.flatMap { $0 })
        let projector = url(names[4])
        let tsv = try String(contentsOf: projector.appendingPathComponent("vectors.tsv"), encoding: .utf8).split(separator: "\n")
        #expect(tsv.count == 2 && tsv[0].split(separator: "\t").count == 32)
        let metadata = try String(contentsOf: projector.appendingPathComponent("metadata.tsv"), encoding: .utf8).split(separator: "\n")
        #expect(metadata.count == 3 && metadata[0].hasPrefix("token\tword\tsentence"))
        #expect(FileManager.default.fileExists(atPath: projector.appendingPathComponent("projector_config.pbtxt").path))
        let spark = try String(contentsOf: url(names[5]), encoding: .utf8)
        #expect(spark.contains("\"annotatorType\":\"word_embeddings\""))
    }

    @Test("the Attention pane on a mixed-script line shows the selected piece's top target, as embed --attentions computes it")
    func attentionPane() throws {
        let folder = try makeTemporaryFolder("e2e-attention")
        defer { try? FileManager.default.removeItem(at: folder) }
        let text = "Tokyo 東京 كِتاب 😀 Cafe\u{301}"
        // The expected values from the command line, a separate pass of the same model.
        let result = try Bertscope.run(["embed", "--model", Self.model.path, "--attentions", "--json", text])
        #expect(result.status == 0, "\(result.standardError)")
        let json = try #require(JSONSerialization.jsonObject(with: Data(result.standardOutput.utf8)) as? [String: Any])
        let tokens = try #require(json["tokens"] as? [String])
        let attentions = try #require(json["attentions"] as? [[[[Double]]]])
        let piece = try #require(tokens.firstIndex { $0.contains("京") }, "\(tokens)")
        // The last layer (one [ from layer 1), its second head (. twice from all heads).
        let row = attentions[attentions.count - 1][1][piece]
        let top = row.indices.max { row[$0] < row[$1] }!

        let session = try startExplorer(in: folder)
        try session.type(text)
        try session.waitFor("京")
        try session.press("Escape", "6")
        try session.waitFor("→ most to")
        for _ in 1..<piece { try session.press("j") }
        try session.press("[", ".", ".")
        let screen = try session.waitFor("layer \(attentions.count)/\(attentions.count) · head 2/")
        #expect(screen.contains("piece \"\(tokens[piece])\""), "\(screen)")
        let expected = String(format: "→ most to \"%@\" %.3f", tokens[top], row[top])
        try session.waitFor(expected)
        // Values on demand: the top target's value is on its bar's row.
        try session.press("n")
        let values = try session.waitFor(String(format: "%6.3f", row[top]))
        #expect(values.split(separator: "\n").contains { $0.contains("◆") && $0.contains(String(format: "%6.3f", row[top])) }, "\(values)")
        try session.press("q")
        try session.waitFor("exit=0")
    }

    @Test("a refused + keeps typing (its q is a letter), twelve lines scroll, and q with several lines asks once")
    func twelveLines() throws {
        let folder = try makeTemporaryFolder("e2e")
        defer { try? FileManager.default.removeItem(at: folder) }
        let session = try startExplorer(in: folder, columns: 80, rows: 24)
        try session.type("line one")
        for number in 2...12 {
            try session.press("Escape", "+")
            try session.type("line \(number)")
        }
        try session.waitFor("12› line 12")
        try session.press("Escape", "+")
        try session.waitFor("at most 12 lines")
        try session.type(" A quick dog.")
        var screen = try session.waitFor("12› line 12 A quick dog.")
        #expect(!screen.contains("exit="))
        #expect(screen.contains("↑") && screen.contains("more"), "the lines above are counted:\n\(screen)")
        try session.press("Escape", "q")
        screen = try session.waitFor("quit and lose 12 lines?")
        try session.press("q")
        try session.waitFor("exit=0")
    }

    @Test("Compare on two translated lines lists the links `bertscope align --json` gives for the same model, texts and layer, for each method A picks")
    func compareLinks() throws {
        let e5 = try TestPaths.require(TestPaths.e5Model, madeBy: "scripts/fetch_test_assets.sh").deletingLastPathComponent()
        let folder = try makeTemporaryFolder("e2e-links")
        defer { try? FileManager.default.removeItem(at: folder) }
        let texts = ["Der Hund bellt den Briefträger an.", "The dog barks at the mailman."]
        let session = try startExplorer(in: folder, model: e5, columns: 140, rows: 45)
        try session.type(texts[0])
        try session.press("Escape", "+")
        try session.type(texts[1])
        // Back to the first line: Compare shows it against the next, at the explorer's layer (the last, 12), not
        // centred (the explorer's default, align's --no-centre).
        try session.press("Escape", "o", "3")
        for method in ["argmax", "itermax", "match"] {
            let result = try Bertscope.run(["align", "--model", e5.path, "--layer", "12", "--method", method, "--no-centre", "--json", texts[0], texts[1]])
            #expect(result.status == 0, "\(result.standardError)")
            let json = try #require(JSONSerialization.jsonObject(with: Data(result.standardOutput.utf8)) as? [String: Any])
            let links = try #require(json["links"] as? [[Int]]), cosines = try #require(json["cosines"] as? [Double])
            let wordsA = try #require(json["words_a"] as? [String]), wordsB = try #require(json["words_b"] as? [String])
            #expect(!links.isEmpty)
            let screen = try session.waitFor("links (\(method), layer 12")
            for (link, cosine) in zip(links, cosines) {
                try session.waitFor("\(wordsA[link[0]]) ↔ \(wordsB[link[1]]) \(String(format: "%.2f", cosine))")
            }
            #expect(screen.filter { $0 == "↔" }.count == links.count, "\(screen)")
            try session.press("A")
        }
        try session.press("q")
        try session.waitFor("quit and lose 2 lines?")
        try session.press("q")
        try session.waitFor("exit=0")
    }

    @Test("--model twice in 80x24: a row per model gives its pieces and counts as each tokenizer cuts the text; M switches the header and the vectors")
    func twoModels() throws {
        let e5 = try TestPaths.require(TestPaths.e5Model, madeBy: "scripts/fetch_test_assets.sh").deletingLastPathComponent()
        let folder = try makeTemporaryFolder("e2e-two")
        defer { try? FileManager.default.removeItem(at: folder) }
        let session = try startExplorer(in: folder, arguments: "--model '\(e5.path)'", columns: 80, rows: 24)
        let text = "The dog barks 犬"
        try session.type(text)
        var screen = try session.waitFor("32 dims")
        #expect(screen.contains("model 1/2 mbert-vocab-tiny-v1"), "\(screen)")
        // Each model's row: its counts and pieces, from `tokenize --model A --model B --json` (the same numbers).
        let result = try Bertscope.run(["tokenize", "--model", Self.model.path, "--model", e5.path, "--json", text])
        let object = try #require(try JSONSerialization.jsonObject(with: Data(result.standardOutput.utf8)) as? [String: Any])
        let models = try #require(object["models"] as? [[String: Any]])
        for (index, model) in models.enumerated() {
            let counts = try #require(model["counts"] as? [String: Any])
            let tokens = try #require(model["tokens"] as? [String]), sequences = try #require(model["sequence_ids"] as? [Any])
            let pieces = tokens.indices.filter { sequences[$0] is Int }.map { tokens[$0] }
            let label = String(format: "%3d pieces · %d unk · %.2f/word │ ", counts["pieces"] as! Int, counts["unknown"] as! Int,
                               counts["pieces_per_word"] as! Double) + pieces.joined(separator: " ")
            let row = try #require(screen.split(separator: "\n").first { $0.contains(label) }, "\(label)\n\(screen)")
            // The active model is marked; a name too long for 80 columns keeps its end (where model names differ).
            #expect(row.hasPrefix(index == 0 ? "▸ " : "  ") && row.contains(index == 0 ? "tiny-v1 " : "e5-small "), "\(row)")
        }
        try session.press("Escape", "M")
        screen = try session.waitFor("384 dims")
        #expect(screen.contains("model 2/2 multilingual-e5-small"), "\(screen)")
        #expect(screen.split(separator: "\n").contains { $0.hasPrefix("▸ ") && $0.contains("e5-small ") }, "\(screen)")
        #expect(screen.contains("» " + text), "the line stays")
        try session.press("M")
        screen = try session.waitFor("32 dims")
        #expect(screen.contains("model 1/2 mbert-vocab-tiny-v1"), "\(screen)")
        try session.press("q")
        try session.waitFor("exit=0")
    }

    @Test("--words tokenizer starts with the tokenizer's words (the full stop is a word of BERT's), W switches to ICU's (it is none)")
    func wordSource() throws {
        let folder = try makeTemporaryFolder("e2e-words")
        defer { try? FileManager.default.removeItem(at: folder) }
        let session = try startExplorer(in: folder, arguments: "--words tokenizer")
        try session.type("bank.")
        try session.press("Escape", "w")
        // Words mode rows: number, word, piece count, pieces.
        var screen = try session.waitFor("  1 .")
        #expect(screen.contains("  0 bank"), "\(screen)")
        try session.press("W")
        screen = try session.waitFor("words: linguistic")
        #expect(screen.contains("  0 bank") && !screen.contains("  1 ."), "\(screen)")
        try session.press("q")
        try session.waitFor("exit=0")
    }

    @Test("Home and End in every common encoding move the cursor (xterm, tmux/screen, rxvt, application mode)")
    func homeAndEnd() throws {
        let folder = try makeTemporaryFolder("e2e")
        defer { try? FileManager.default.removeItem(at: folder) }
        let session = try startExplorer(in: folder)
        try session.type("mid")
        let pairs = [("\u{1b}[1~", "\u{1b}[4~"), ("\u{1b}[H", "\u{1b}[F"), ("\u{1b}[7~", "\u{1b}[8~"), ("\u{1b}OH", "\u{1b}OF")]
        for (number, (home, end)) in pairs.enumerated() {
            try session.type(home)
            try session.type("<")
            try session.type(end)
            try session.type(">")
            let expected = String(repeating: "<", count: number + 1) + "mid" + String(repeating: ">", count: number + 1)
            try session.waitFor("› " + expected)
        }
        try session.press("C-c")
        try session.waitFor("exit=0")
    }

    @Test("an Escape sent together with + is Escape then +: the text typed next goes to a new line")
    func escapeTogetherWithKey() throws {
        let folder = try makeTemporaryFolder("e2e")
        defer { try? FileManager.default.removeItem(at: folder) }
        let session = try startExplorer(in: folder)
        try session.type("the dog")
        try session.sendKeys(["Escape", "+"])
        try session.waitFor("type a translation to compare")
        try session.type("der Hund")
        let screen = try session.waitFor("2› der Hund")
        #expect(screen.contains("1  the dog"), "the first line kept its text:\n\(screen)")
        // Pins: G selects the last pin and x removes it.
        try session.press("Escape", "w", "m", "j", "m", "o", "m", "4")
        try session.waitFor("dog · layer 2")
        try session.press("g", "G", "x")
        try session.waitUntil("the last pin removed") { !$0.contains("dog · layer 2") && $0.contains("Hund · layer 2") && $0.contains("der · layer 2") }
        try session.press("C-c")
        try session.waitFor("exit=0")
    }

    @Test("SIGTERM restores the terminal too")
    func terminate() throws {
        let folder = try makeTemporaryFolder("e2e")
        defer { try? FileManager.default.removeItem(at: folder) }
        let session = try startExplorer(in: folder)
        try session.type("Hund")
        let pid = try session.tmuxPanePID()
        _ = try Process.run(URL(fileURLWithPath: "/usr/bin/pkill"), arguments: ["-TERM", "-P", String(pid), "-x", "bertscope"])
        try session.waitFor("exit=0")
        let stty = try String(contentsOf: folder.appendingPathComponent("stty.txt"), encoding: .utf8)
        #expect(!stty.contains("-icanon"))
    }

    @Test("20,000 random keys with resizes and pastes of random Unicode: still alive and responsive")
    func soak() throws {
        let folder = try makeTemporaryFolder("e2e")
        defer { try? FileManager.default.removeItem(at: folder) }
        let session = try startExplorer(in: folder)
        var random = SplitMix64(seed: 4242)
        // Everything but the keys that quit (q, Ctrl-C); e opens the export dialog, which writes into the temp folder.
        let named = ["Escape", "Enter", "Tab", "BTab", "Up", "Down", "Left", "Right", "Home", "End", "PageUp", "PageDown",
                     "BSpace", "DC", "C-a", "C-e", "C-k", "C-u", "C-w", "M-b", "M-f", "F1", "F2", "F3", "F4", "F5", "F6", "F7",
                     "[", "]", "p", "P", "w", "c", "d", "+", "-", "o", "m", "x", "j", "k", "h", "l", "e", "i", "1", "2", "3", "4", "5", "6", ",", ".", "v", "r", "y", "n"]
        let alphabet = Array("abcdefghijklmnoprstuvwxyz ÄéßЖжλ漢字かなكتابहिंदीไทย😀👍🏽🇩🇪\u{301}.,!?")
        var sent = 0
        while sent < 20_000 {
            var batch = [String]()
            for _ in 0..<50 {
                if random.next() % 3 == 0 {
                    batch.append(named[Int(random.next() % UInt64(named.count))])
                } else {
                    batch.append(String(alphabet[Int(random.next() % UInt64(alphabet.count))]))
                }
            }
            try session.sendKeys(batch)
            sent += batch.count
            switch random.next() % 20 {
            case 0: try session.resize(columns: 60 + Int(random.next() % 80), rows: 15 + Int(random.next() % 30))
            case 1:
                let paste = String(String.UnicodeScalarView((0..<Int(random.next() % 300)).compactMap { _ in
                    Unicode.Scalar(UInt32(random.next() % 0x30000)).flatMap { $0.value >= 0x20 ? $0 : nil }
                }))
                try session.paste(paste)
            default: break
            }
        }
        try session.resize(columns: 100, rows: 30)
        // Let it work through what is queued, then it must answer at once.
        let start = Date()
        try session.waitUntilStable(for: 3, timeout: 600)
        let drained = Date().timeIntervalSince(start)
        try session.press("Escape", "Escape", "F1")
        try session.waitFor("any other key closes", timeout: 20)
        print("soak: \(sent) keys, queue drained \(Int(drained)) s after the last one")
        try session.press("Escape", "C-c")
        try session.waitFor("exit=0", timeout: 30)
    }
}
