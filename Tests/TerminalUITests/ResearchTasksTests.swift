import BertEngine
import Embeddings
import Export
import Foundation
import Testing
import ModelLoader
import TestSupport
import Tokenization

@testable import TerminalUI

/// Issue 17: what went wrong when a researcher used the explorer for real work.
@Suite("Explorer: research tasks")
struct ResearchTasksTests {
    /// Adds lines until there are `count`, each with a short text.
    func lines(_ count: Int, in driver: ExplorerDriver) {
        while driver.state.lines.count < count {
            driver.press(.escape, .character("+"))
            driver.type("dog \(driver.state.lines.count)")
        }
        driver.press(.escape)
    }

    @Test("a refused + leaves the person typing: the next sentence is text, its q and e are letters")
    func refusedLineKeepsTyping() {
        let driver = ExplorerDriver(text: "the dog")
        lines(ExplorerReducer.maxLines, in: driver)
        #expect(driver.state.lines.count == 12)
        driver.press(.character("+"))
        #expect(driver.state.lines.count == 12)
        #expect(driver.state.mode == .typing)
        #expect(driver.text.contains("at most 12 lines"))
        let before = driver.state.focused.editor.text
        driver.type(" A quick dog. The cat sleeps.")
        #expect(!driver.state.quit && driver.state.exportDialog == nil)
        #expect(driver.state.focused.editor.text == before + " A quick dog. The cat sleeps.")
    }

    @Test("twelve lines on 80x24: the lines shown scroll with the focus and say how many are hidden")
    func linesScroll() {
        let driver = ExplorerDriver(rows: 24, columns: 80, text: "first")
        lines(12, in: driver)
        let layout = Layout(driver.state)
        #expect(layout.inputRows < 12 && layout.bodyHeight >= 16)
        #expect(driver.text.contains("12» dog 12"))
        #expect(!driver.text.contains(" 1  first"))
        #expect(driver.text.contains("↑\(layout.inputScroll) more"))
        for _ in 0..<1 { driver.press(.character("o")) }  // from line 12 to line 1
        #expect(driver.state.focusedLine == 0)
        #expect(driver.text.contains(" 1» first"))
        #expect(driver.text.contains("↓\(12 - Layout(driver.state).inputRows) more"))
        // A click on a shown line focuses that line, scrolled or not.
        driver.press(.mouse(row: Layout(driver.state).inputTop + 2, column: 5))
        #expect(driver.state.focusedLine == 2)
    }

    @Test("q with pins or several lines asks once: a second q quits, another key stays; with nothing to lose q quits")
    func quitAsks() {
        let driver = ExplorerDriver(text: "the dog")
        driver.press(.escape, .character("w"), .character("m"), .character("q"))
        #expect(!driver.state.quit)
        #expect(driver.text.contains("quit and lose 1 pin? q quits, any other key stays"))
        driver.press(.character("j"))
        #expect(!driver.state.quit && !driver.text.contains("quit and lose"))
        driver.press(.character("q"))
        #expect(!driver.state.quit, "asked again after a key that stayed")
        driver.press(.character("q"))
        #expect(driver.state.quit)
        let lines = ExplorerDriver(text: "a")
        lines.press(.escape, .character("+"), .escape, .character("q"))
        #expect(!lines.state.quit && lines.text.contains("quit and lose 2 lines?"))
        let plain = ExplorerDriver(text: "a")
        plain.press(.escape, .character("q"))
        #expect(plain.state.quit)
    }

    @Test("Home and End arrive in every common encoding: xterm, tmux/screen, rxvt, application mode")
    func homeEndEncodings() {
        for (introducer, body) in [("[", "1~"), ("[", "7~"), ("[", "H"), ("O", "H"), ("[", "1;5H")] {
            #expect(EscapeSequence.key(introducer: Character(introducer), body: body) == .home, "ESC \(introducer)\(body)")
        }
        for (introducer, body) in [("[", "4~"), ("[", "8~"), ("[", "F"), ("O", "F")] {
            #expect(EscapeSequence.key(introducer: Character(introducer), body: body) == .end, "ESC \(introducer)\(body)")
        }
        #expect(EscapeSequence.key(introducer: "[", body: "3~") == .delete)
        #expect(EscapeSequence.key(introducer: "[", body: "5~") == .pageUp)
        #expect(EscapeSequence.key(introducer: "[", body: "Z") == .backTab)
        #expect(EscapeSequence.key(introducer: "O", body: "P") == .function(1))
        #expect(EscapeSequence.key(introducer: "[", body: "15~") == .function(5))
        #expect(EscapeSequence.key(introducer: "[", body: "99~") == nil)
    }

    @Test("an Escape read together with a key that has no Alt binding is Escape and that key; Alt-B still moves by word")
    func escapeThenKey() {
        let driver = ExplorerDriver(text: "the dog")
        driver.press(.alt("+"))  // Escape and + sent together
        #expect(driver.state.lines.count == 2 && driver.state.mode == .typing)
        driver.type("der Hund")
        #expect(driver.state.lines[0].editor.text == "the dog" && driver.state.lines[1].editor.text == "der Hund")
        driver.press(.alt("b"))
        #expect(driver.state.lines[1].editor.cursor == 4, "Alt-B moved a word back")
        driver.press(.escape, .alt("w"))  // while browsing no Alt binds: Escape, then w
        #expect(driver.state.showWords)
    }

    @Test("g and G in Pins go to the first and last pin, so G x x x removes the last three")
    func pinsHomeEnd() {
        let driver = ExplorerDriver(text: "the dog barks at the mailman")
        driver.press(.escape, .character("w"))
        for _ in 0..<5 { driver.press(.character("m"), .character("j")) }
        #expect(driver.state.pins.count == 5)
        driver.press(.character("4"), .character("G"))
        #expect(driver.state.selectedPin == 4)
        driver.press(.character("x"), .character("x"), .character("x"))
        #expect(driver.state.pins.map(\.word) == ["the", "dog"])
        driver.press(.character("G"), .character("g"))
        #expect(driver.state.selectedPin == 0)
    }

    @Test("o keeps each line's selection: coming back, m pins the word that was selected")
    func focusKeepsSelection() {
        let driver = ExplorerDriver(text: "the dog barks")
        driver.press(.escape, .character("+"))
        driver.type("a cat")
        driver.press(.escape, .character("o"), .character("w"), .character("j"), .character("j"))
        #expect(driver.state.focusedLine == 0 && driver.state.selection == 2)
        driver.press(.character("o"), .character("o"))
        #expect(driver.state.focusedLine == 0 && driver.state.selection == 2)
        driver.press(.character("m"))
        #expect(driver.state.pins.map(\.word) == ["barks"])
    }

    @Test("the second occurrence of a word is a pin of its own; CSV rows tell them apart by word index and span")
    func secondOccurrence() throws {
        let driver = ExplorerDriver(text: "the cat saw the dog")
        driver.press(.escape, .character("w"), .character("m"))
        for _ in 0..<3 { driver.press(.character("j")) }
        driver.press(.character("m"))
        #expect(driver.state.pins.map(\.word) == ["the", "the"], "\(driver.state.message ?? "")")
        #expect(driver.state.pins.map(\.wordIndex) == [0, 3])
        driver.press(.character("m"))
        #expect(driver.state.message?.contains("already pinned") == true)
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("bertscope-pins-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("pins.csv").path
        try writeRecords(ExplorerExport.records(driver.state), format: .csv, to: path, overwrite: false)
        let rows = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\r\n").map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
        let header = rows[0]
        func value(_ row: [String], _ name: String) -> String { row[header.firstIndex(of: name)!] }
        #expect(rows.dropFirst().map { value($0, "word_index") } == ["0", "3"])
        #expect(rows.dropFirst().map { value($0, "span_start") + "-" + value($0, "span_end") } == ["0-3", "12-15"])
    }

    @Test("in pieces mode m pins the selected piece alone, not its word")
    func pinPiece() {
        let driver = ExplorerDriver(text: "the dog barks")
        driver.press(.escape, .character("j"), .character("j"), .character("j"))  // [CLS] the dog bark ##s: "##s"
        #expect(driver.state.focused.encoding.tokens[driver.state.selection] == "##s")
        driver.press(.character("m"))
        let pin = driver.state.pins.first
        #expect(pin?.unit == .piece && pin?.word == "##s" && pin?.containingWord == "barks")
        #expect(pin?.vector == driver.state.focused.embedded?.pieceVector(4, layer: driver.state.layer))
        #expect(pin?.span == TextSpan(12, 13))
        let record = ExplorerExport.records(driver.state).first
        #expect(record?.pooling == "none" && record?.tokenIndex == 4 && record?.word == "barks")
    }

    @Test("Pins follow the centring, say raw or centred, show the baseline, and hold every pin against every other")
    func pinsCentringAndMatrix() {
        let driver = ExplorerDriver(text: "the dog barks")
        driver.press(.escape, .character("w"), .character("m"), .character("j"), .character("m"), .character("j"), .character("m"), .character("4"))
        let pins = driver.state.pins
        #expect(pins.count == 3)
        let baseline = driver.state.baselines[pins[0].baselineKey]!
        var text = driver.text
        #expect(text.contains(String(format: "cosines raw · baseline %.3f (unrelated words)", baseline.meanCosine)), "\(text)")
        for a in 0..<3 {
            for b in 0..<3 { #expect(text.contains(String(format: "%.3f", VectorMath.cosine(pins[a].vector, pins[b].vector)))) }
        }
        driver.press(.character("c"))
        text = driver.text
        let centred = pins.map { VectorMath.subtract($0.vector, baseline.centroid) }
        #expect(text.contains(String(format: "cosines centred · baseline %.3f (unrelated words)", baseline.centredMeanCosine)), "\(text)")
        let dog = VectorMath.cosine(centred[0], centred[1])
        #expect(driver.state.pinCosines[0][1] == dog)
        #expect(text.contains("nearest to the: ") && text.contains(String(format: "dog %.3f", dog)), "\(text)")
        // Exports write what the screen compared.
        #expect(ExplorerExport.records(driver.state).map(\.vector) == centred)
        #expect(ExplorerExport.records(driver.state).allSatisfy { $0.provenance?.centring == "centred" })
    }

    @Test("exports from the explorer carry the line's language (L), the line, word index, span, model, tokenizer and centring")
    func exportLabels() throws {
        let driver = ExplorerDriver(text: "the dog")
        driver.press(.escape, .character("+"))
        driver.type("the dog barks")
        driver.press(.escape, .character("L"))
        driver.type("en")
        driver.press(.enter)
        #expect(driver.state.lines[1].language == "en")
        #expect(driver.text.contains("2 en» the dog barks"))
        #expect(driver.screen.text(row: 1).hasPrefix("1     the dog"), "both texts start in one column: \(driver.screen.text(row: 1))")
        driver.press(.character("w"), .character("j"), .character("m"))
        // A label given after pinning reaches the line's pins; the first line's pin has none.
        driver.press(.character("o"), .character("m"), .character("o"), .character("L"), .control("u"))
        driver.type("de")
        driver.press(.enter)
        #expect(driver.state.pins.map(\.language) == ["de", nil])
        driver.press(.character("L"), .control("u"))
        driver.type("en")
        driver.press(.enter)
        #expect(driver.state.pins.map(\.language) == ["en", nil])
        let record = try #require(ExplorerExport.records(driver.state).first)
        #expect(record.language == "en" && record.sentenceIndex == 1 && record.wordIndex == 1 && record.span == TextSpan(4, 7))
        #expect(record.provenance == VectorRecord.Provenance(model: "tiny", tokenizer: "dialect hf", centring: "raw"))
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("bertscope-labels-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        try writeRecords(ExplorerExport.records(driver.state), format: .projector, to: folder.appendingPathComponent("p").path, overwrite: false)
        let metadata = try String(contentsOf: folder.appendingPathComponent("p/metadata.tsv"), encoding: .utf8).split(separator: "\n")
        #expect(metadata[0] == "token\tword\tsentence\tsentence_index\tword_index\tlanguage\tmodel\ttokenizer\tcentring\tlayer\tpooling")
        #expect(metadata[1] == "dog\tdog\tthe dog barks\t1\t1\ten\ttiny\tdialect hf\traw\t2\tmean")
        let config = try String(contentsOf: folder.appendingPathComponent("p/projector_config.pbtxt"), encoding: .utf8)
        #expect(config.contains("tensor_name: \"bertscope tiny, layers 2, pooling mean\""))
        // A language label is removed by an empty one; Esc leaves it as it was.
        driver.press(.character("L"), .control("u"), .escape)
        #expect(driver.state.lines[1].language == "en")
        driver.press(.character("L"), .control("u"), .enter)
        #expect(driver.state.lines[1].language == nil)
    }

    @Test("the export dialog's path follows the format both ways: Tab x5 then Shift-Tab x2 proposes .npy")
    func exportEndings() {
        let driver = ExplorerDriver(text: "the dog")
        driver.press(.escape, .character("e"))
        for _ in 0..<5 { driver.press(.tab) }
        #expect(driver.state.exportDialog?.path.text == "bertscope-export.spark.json")
        driver.press(.backTab, .backTab)
        #expect(driver.state.exportDialog?.path.text == "bertscope-export.npy")
        for from in ExportDialog.formats {
            for to in ExportDialog.formats {
                let start = ExplorerReducer.renamed("run/vectors", to: from)
                #expect(ExplorerReducer.renamed(start, to: to) == ExplorerReducer.renamed("run/vectors", to: to), "\(from) → \(to)")
            }
        }
    }

    @Test("a text past the model's positions: the notice gives the character where reading stops; the text after it is dim behind ✂")
    func unreadTextMarked() {
        let text = String(repeating: "dog ", count: 600)
        let driver = ExplorerDriver(text: text)
        let encoding = driver.state.focused.encoding
        let lastRead = encoding.offsets[encoding.count - 2].end  // the piece before the final [SEP]
        #expect(driver.state.focused.unreadFrom == lastRead)
        #expect(driver.text.contains("unread from character \(lastRead) (dim)"))
        driver.press(.escape, .character("G"), .character("k"))  // the last piece read: the source row shows the cut
        let row = Layout(driver.state).sourceRow
        let cells = (0..<driver.screen.columns).map { driver.screen[row, $0] }
        let cut = cells.firstIndex { $0.text == "✂" }
        #expect(cut != nil, "\(driver.screen.text(row: row))")
        if let cut {
            #expect(cells[cut - 1].style != Palette.unread && cells[cut + 2].style == Palette.unread)
        }
        #expect(!ExplorerDriver(text: "dog").text.contains("unread"))
    }

    @Test("Compare on a tall terminal keeps the value and the baseline right under the heatmap, and names the columns")
    func heatmapTogether() {
        let driver = ExplorerDriver(rows: 45, columns: 140, text: "the dog barks")
        driver.press(.escape, .character("+"))
        driver.type("a dog")
        driver.press(.escape, .character("o"), .character("3"), .character("l"))
        let rows = driver.text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let title = rows.firstIndex { $0.contains("words of line 1 × line 2") }!
        let value = rows.firstIndex { $0.contains("cos(the, dog) = ") }!
        // title, sentence cosine, column numbers, 3 rows, the legend: the value follows at once.
        #expect(value == title + 7, "\(driver.text)")
        #expect(rows[value + 1].contains("baseline (unrelated words, raw)"))
        #expect(rows[value - 1].contains("0 a [1 dog]"), "\(rows[value - 1])")
    }

    @Test("at 80x24 the footer keeps help, quit and export, and every tab shows whole")
    func compactFooterAndTabs() {
        let driver = ExplorerDriver(rows: 24, columns: 80, text: "the dog")
        driver.press(.escape)
        let layout = Layout(driver.state)
        let footer = driver.screen.text(row: layout.footerRow)
        for hint in ["? help", "q quit", "e export", "+ line", "m pin"] { #expect(footer.contains(hint), "\(footer)") }
        #expect(!footer.contains("…"))
        let tabs = driver.screen.text(row: layout.tabsRow)
        for pane in Pane.allCases { #expect(tabs.contains(" \(pane.rawValue + 1) \(pane.title) "), "\(tabs)") }
        driver.press(.character("i"))
        #expect(driver.screen.text(row: layout.footerRow).contains("F1 help"))
    }

    @Test("help has a second page: what each pane compares, the baseline, the line limit, the command behind each pane, the export formats")
    func helpSecondPage() {
        let driver = ExplorerDriver(text: "dog")
        driver.press(.escape, .character("?"))
        #expect(driver.state.helpPage == 0)
        for line in ExplorerView.helpLines { #expect(driver.text.contains(line.trimmingCharacters(in: .whitespaces)), "cut: \(line)") }
        #expect(driver.text.contains("json jsonl csv npy projector spark"))
        driver.press(.character("?"))
        #expect(driver.state.helpPage == 1)
        for line in ExplorerView.paneHelpLines { #expect(driver.text.contains(line.trimmingCharacters(in: .whitespaces)), "cut: \(line)") }
        let text = driver.text
        for needed in ["Compare: the focused line's words × the next line's", "Baseline: the mean cosine", "up to 12",
                       "bertscope tokenize --trace", "bertscope similarity TEXT_A TEXT_B", "bertscope embed", "docs/EXPORTS.md"] {
            #expect(text.contains(needed), "\(needed)")
        }
        driver.press(.tab)
        #expect(driver.state.helpPage == 0)
        driver.press(.character("j"))
        #expect(driver.state.helpPage == nil && driver.state.selection == 1, "another key closes the help and does nothing else")
    }

    /// multilingual-e5-small (XLM-R's SentencePiece), where the tokenizer's words are the runs between spaces.
    static func e5() throws -> (tokenizer: any TextTokenizer, model: BertModel) {
        let folder = try TestPaths.require(TestPaths.e5Model, madeBy: "scripts/fetch_test_assets.sh").deletingLastPathComponent()
        let (tokenizer, model) = try ModelFolder.open(folder)
        return (tokenizer, model)
    }

    @Test("words mode has ICU's words under SentencePiece: \"bank.\" pools to bank (punctuation is no word), 狗 pins alone, Japanese is cut")
    func sentencePieceLinguisticWords() throws {
        let driver = ExplorerDriver(columns: 120, text: "The dog barks at the mailman. bank. 狗在睡觉。", encoder: try Self.e5())
        let encoding = driver.state.focused.encoding
        // The tokenizer's own words keep the full stop and the unspaced Chinese sentence: what the old words mode showed.
        #expect(EmbeddedText.words(of: encoding).map(\.text).suffix(2) == ["bank.", "狗在睡觉。"])
        driver.press(.escape, .character("w"))
        // ICU 72's words (the issue's; WordSegmentationTests holds ICU to PyICU's boundaries).
        let words = driver.state.focused.words.words
        #expect(words.map(\.text) == ["The", "dog", "barks", "at", "the", "mailman", "bank", "狗", "在", "睡觉"])
        let bank = try #require(words.first { $0.text == "bank" })
        #expect(bank.tokens.map { encoding.tokens[$0] } == ["▁bank"], "the full stop is a piece of no word")
        while driver.state.selection < words.firstIndex(of: bank)! { driver.press(.character("j")) }
        driver.press(.character("m"))
        let embedded = try #require(driver.state.focused.embedded)
        let bankPin = try #require(driver.state.pins.last)
        #expect(bankPin.word == "bank" && bankPin.unit == .word)
        #expect(bankPin.vector == embedded.pieceVector(bank.tokens.lowerBound, layer: driver.state.layer), "bank alone, not bank + .")
        // 狗 selected in words mode and pinned: the word 狗, not the sentence.
        driver.press(.character("j"))
        #expect(driver.state.selectedSpan == words[7].span)
        driver.press(.character("m"))
        let dogPin = try #require(driver.state.pins.last)
        #expect(dogPin.unit == .word && dogPin.word == "狗" && dogPin.containingWord == "狗")
        #expect(dogPin.vector == embedded.wordVector(words[7], layer: driver.state.layer, pooling: driver.state.pooling))
        // Exports from the explorer carry the same words.
        let records = ExplorerExport.records(driver.state)
        #expect(records.map(\.word) == ["bank", "狗"])
    }

    @Test("in pieces mode a piece of an unspaced Chinese word pins alone, inside its ICU word")
    func sentencePiecePieces() throws {
        let driver = ExplorerDriver(columns: 120, text: "bank. 狗在睡觉。", encoder: try Self.e5())
        let encoding = driver.state.focused.encoding
        let dog = try #require(encoding.tokens.firstIndex { $0.contains("狗") }, "\(encoding.tokens)")
        driver.press(.escape)
        while driver.state.selection < dog { driver.press(.character("j")) }
        driver.press(.character("m"))
        let pin = try #require(driver.state.pins.first)
        #expect(pin.unit == .piece && pin.word == encoding.tokens[dog])
        #expect(pin.containingWord == "狗", "the piece's word is ICU's 狗, not the sentence")
        #expect(pin.vector == driver.state.focused.embedded?.pieceVector(dog, layer: driver.state.layer))
        #expect(pin.span == encoding.offsets[dog] && pin.span.end - pin.span.start < 5, "the piece, not the word")
        // The full stop's piece belongs to no word: it is not pinned, and the message says why.
        let stop = try #require(encoding.tokens.firstIndex(of: "."), "\(encoding.tokens)")
        while driver.state.selection > stop { driver.press(.character("k")) }
        driver.press(.character("m"))
        #expect(driver.state.pins.count == 1)
        #expect(driver.text.contains("belongs to no word"))
    }

    @Test("the Japanese line of issue 13 gives ICU's words in words mode and in Compare, and W brings back the tokenizer's")
    func japaneseWords() throws {
        let driver = ExplorerDriver(columns: 140, text: "The dog barks at the mailman. 犬が郵便配達員に吠える。", encoder: try Self.e5())
        driver.press(.escape, .character("+"))
        driver.type("Der Hund bellt den Briefträger an.")
        driver.press(.escape, .character("o"), .character("w"), .character("3"))
        let expected = ["The", "dog", "barks", "at", "the", "mailman", "犬", "が", "郵便", "配達員", "に", "吠える"]
        #expect(driver.state.focused.words.words.map(\.text) == expected)
        let comparison = try #require(driver.state.derived.comparison?.1)
        #expect(comparison.wordsA.map(\.text) == expected)
        #expect(comparison.wordsB.map(\.text) == ["Der", "Hund", "bellt", "den", "Briefträger", "an"])
        #expect(!driver.text.contains("11 pieces"))
        // The tokenizer's words: the Japanese sentence is one word again, as the model's word_ids have it.
        driver.press(.character("W"))
        #expect(driver.state.wordSource == .tokenizer)
        #expect(driver.state.focused.words.words.map(\.text).last == "犬が郵便配達員に吠える。")
        #expect(driver.state.derived.comparison?.1.wordsA.last?.text == "犬が郵便配達員に吠える。")
        #expect(driver.text.contains("tokenizer's"))
    }

    @Test("the Why pane says when the selected piece runs across a word boundary (▁私は holds 私 and は), and only then")
    func whyCrossesWordBoundary() throws {
        let driver = ExplorerDriver(columns: 120, text: "私は学生です", encoder: try Self.e5())
        let encoding = driver.state.focused.encoding
        let crossing = try #require(encoding.tokens.firstIndex(of: "▁私は"), "\(encoding.tokens)")
        let inside = try #require(encoding.tokens.firstIndex(of: "学生"), "\(encoding.tokens)")
        #expect(driver.state.focused.words.crossesWordBoundary[crossing] && !driver.state.focused.words.crossesWordBoundary[inside])
        driver.press(.escape, .character("5"))
        while driver.state.selection < crossing { driver.press(.character("j")) }
        #expect(driver.text.contains("piece \"▁私は\" crosses a word boundary: it covers 私 · は"), "\(driver.text)")
        while driver.state.selection < inside { driver.press(.character("j")) }
        #expect(driver.text.contains("\"学生\""))
        #expect(!driver.text.contains("crosses a word boundary"))
        // In words mode は has no piece of its own: it is given ▁私は, and the pane says the piece is shared.
        driver.press(.character("w"), .character("j"))
        #expect(driver.state.focused.words.words[driver.state.selection].text == "は")
        #expect(driver.text.contains("word 1 \"は\" → ▁私は"))
        #expect(driver.text.contains("piece \"▁私は\" crosses a word boundary: it covers 私 · は"))
    }

    @Test("Compare's ● links are WordAlignment's for the two lines at the layer, for each method A cycles through, listed as \"Hund ↔ dog 0.83\"")
    func compareLinks() throws {
        let e5 = try Self.e5()
        let texts = ["Der Hund bellt den Briefträger an.", "The dog barks at the mailman."]
        let driver = ExplorerDriver(rows: 45, columns: 140, text: texts[0], encoder: e5)
        driver.press(.escape, .character("+"))
        driver.type(texts[1])
        // Back to the first line, a layer below the last: the links follow the explorer's layer.
        driver.press(.escape, .character("o"), .character("3"), .character("["))
        let a = try EmbeddedText(texts[0], tokenizer: e5.tokenizer, model: e5.model)
        let b = try EmbeddedText(texts[1], tokenizer: e5.tokenizer, model: e5.model)
        let wordsA = try WordPieces(encoding: a.encoding, source: .linguistic).words
        let wordsB = try WordPieces(encoding: b.encoding, source: .linguistic).words
        for method in [AlignmentMethod.argmax, .itermax, .match] {
            #expect(driver.state.alignmentMethod == method)
            let expected = WordAlignment(a, words: wordsA, b, words: wordsB, options: WordAlignmentOptions(method: method, layer: driver.state.layer))
            #expect(!expected.links.isEmpty)
            #expect(driver.state.derived.alignment?.links == expected.links, "\(method)")
            let screen = driver.text
            #expect(screen.contains("links (\(method.rawValue), layer \(driver.state.layer.exportLabel)"))
            for link in expected.links {
                let source = wordsA.first { $0.index == link.source }!.text, target = wordsB.first { $0.index == link.target }!.text
                #expect(screen.contains("\(source) ↔ \(target) \(String(format: "%.2f", link.cosine))"), "\(screen)")
            }
            // Every link is one ● in the heatmap (the cursor's cell shows it in brackets), and the legend names it.
            #expect(screen.contains("● link"))
            #expect(screen.filter { $0 == "●" }.count == expected.links.count + 1, "\(screen)")
            driver.press(.character("A"))
        }
        #expect(driver.state.alignmentMethod == .argmax)
    }

    @Test("word attention over linguistic words: every row of the list has its unit, words sharing ▁私は are one unit, the full stop is its own")
    func attentionOverLinguisticWords() throws {
        let driver = ExplorerDriver(columns: 120, text: "私は学生です。", encoder: try Self.e5())
        driver.press(.escape, .character("w"), .character("6"))
        let words = driver.state.focused.words.words
        let attention = try #require(driver.state.derived.attention)
        #expect(attention.unitOfRow.count == words.count)
        #expect(words.prefix(2).map(\.text) == ["私", "は"] && attention.unitOfRow[0] == attention.unitOfRow[1])
        #expect(attention.labels[attention.unitOfRow[0]] == "私 は")
        #expect(Set(attention.unitOfRow).count == words.count - 1)
        #expect(attention.labels.contains("。"), "\(attention.labels)")
        let mean = attention.means[0]
        for row in 0..<mean.rows { #expect(abs(mean[row].reduce(0, +) - 1) < 1e-4) }
    }
}
