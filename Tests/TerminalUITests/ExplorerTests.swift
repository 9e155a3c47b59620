import BertEngine
import Embeddings
import Foundation
import ModelLoader
import TestSupport
import Testing
import Tokenization

@testable import TerminalUI

/// Drives the explorer without a terminal: keys go through the reducer, effects run synchronously
/// (as the worker would), and the screen is rendered for inspection.
final class ExplorerDriver {
    static let folder = TestPaths.fixtures.appendingPathComponent("engine/tiny-modern")
    static let tokenizer = try! BertTokenizer(modelFolder: folder)
    static let model = try! ModelFolder.model(in: folder)

    var state: ExplorerState
    let context: ExplorerContext
    /// Another model to drive the explorer with (multilingual-e5-small's SentencePiece); nil for the tiny
    /// WordPiece model, whose dialects the driver switches.
    let encoder: (tokenizer: any TextTokenizer, model: BertModel)?
    var exported: [(path: String, format: String, overwrite: Bool)] = []
    /// When false, embed effects are held back (vectors stay stale).
    var computesVectors = true
    var pendingEmbeds: [ExplorerEffect] = []
    /// When false, attention summaries are held back (the pane stays computing).
    var computesSummaries = true
    var pendingSummaries: [ExplorerEffect] = []

    /// A second model loaded beside the first (`explore --model A --model B`), named "second".
    let second: (tokenizer: any TextTokenizer, model: BertModel)?

    init(rows: Int = 30, columns: Int = 100, text: String? = nil, encoder: (tokenizer: any TextTokenizer, model: BertModel)? = nil,
         second: (tokenizer: any TextTokenizer, model: BertModel)? = nil) {
        self.encoder = encoder
        self.second = second
        let tokenizer = { @Sendable (dialect: Dialect) in Self.tokenizer(encoder, dialect) }
        var models = [ExplorerContext.Model(tokenize: { text, dialect in tokenizer(dialect).encode(text) },
                                            trace: { text, dialect in tokenizer(dialect).trace(text) })]
        let model = encoder?.model ?? Self.model
        var facts = [ModelFacts(name: encoder == nil ? "tiny" : "e5", reason: "test", layerCount: model.config.layerCount,
                                hiddenSize: model.config.hiddenSize, hasPooler: model.hasPooler,
                                tokenizerFamily: encoder?.tokenizer.family ?? .wordPiece)]
        if let second {
            let tokenizer = second.tokenizer
            models.append(ExplorerContext.Model(tokenize: { text, _ in tokenizer.encode(text) }, trace: { text, _ in tokenizer.trace(text) }))
            facts.append(ModelFacts(name: "second", reason: "test", layerCount: second.model.config.layerCount,
                                    hiddenSize: second.model.config.hiddenSize, hasPooler: second.model.hasPooler,
                                    tokenizerFamily: tokenizer.family))
        }
        context = ExplorerContext(models: models)
        state = ExplorerState(models: facts, rows: rows, columns: columns, emptyEncodings: context.encodings("", .hf))
        if let text {
            state.lines[0].editor.setText(text)
        }
        run(ExplorerReducer.start(&state, context: context))
    }

    static func tokenizer(_ encoder: (tokenizer: any TextTokenizer, model: BertModel)?, _ dialect: Dialect) -> any TextTokenizer {
        encoder?.tokenizer ?? (try! BertTokenizer(modelFolder: folder, dialect: dialect))
    }

    func tokenizer(_ dialect: Dialect, model index: Int = 0) -> any TextTokenizer {
        index == 1 ? second!.tokenizer : Self.tokenizer(encoder, dialect)
    }

    func encoderModel(_ index: Int) -> BertModel { index == 1 ? second!.model : model }

    var model: BertModel { encoder?.model ?? Self.model }

    func run(_ effects: [ExplorerEffect]) {
        for effect in effects {
            switch effect {
            case let .embed(line, generation, text, dialect, attentions, precision, index):
                if !computesVectors {
                    pendingEmbeds.append(effect)
                    continue
                }
                let embedded = try! EmbeddedText(text, tokenizer: tokenizer(dialect, model: index), model: encoderModel(index).converted(to: precision),
                                                 attentions: attentions ? .all : .none, f32Model: encoderModel(index))
                send(.vectorsReady(line: line, generation: generation, embedded, milliseconds: 1))
            case .computeBaseline(let key):
                let baseline = try! Baseline(sentences: TestPaths.baselineSentences, tokenizer: tokenizer(.hf, model: key.model),
                                             model: encoderModel(key.model).converted(to: key.precision),
                                             layer: key.layer, pooling: key.pooling)
                send(.baselineReady(key, baseline))
            case let .export(path, format, overwrite):
                exported.append((path, format, overwrite))
            case let .summarizeAttention(generation, embedded, words, rollout):
                if !computesSummaries {
                    pendingSummaries.append(effect)
                    continue
                }
                send(.attentionReady(generation: generation, LineAttention(embedded, words: words, rollout: rollout)))
            }
        }
    }

    func send(_ action: ExplorerAction) {
        run(ExplorerReducer.reduce(&state, action, context: context))
    }

    func press(_ keys: Key...) { for key in keys { send(.key(key)) } }

    func type(_ text: String) { for character in text { press(.character(character)) } }

    var screen: Screen { ExplorerView.render(state) }
    var text: String { screen.text }
}

@Suite("Explorer: state, keys and screen")
struct ExplorerTests {
    @Test("typing re-tokenizes on every key and shows the pieces aligned under their columns")
    func typing() {
        let driver = ExplorerDriver()
        driver.type("the dog barks")
        #expect(driver.state.focused.encoding.tokens == ["[CLS]", "the", "dog", "bark", "##s", "[SEP]"])
        let screen = driver.text
        #expect(screen.contains("› the dog barks"))
        let rows = screen.split(separator: "\n").map(String.init)
        let bark = rows.first { $0.contains(" bark ") }!
        let suffix = rows.first { $0.contains("##s") }!
        // The id column lines up: both rows put their id at the same display column.
        #expect(DisplayWidth.of(bark.prefix(upTo: bark.range(of: "71")!.lowerBound))
                == DisplayWidth.of(suffix.prefix(upTo: suffix.range(of: "89")!.lowerBound)))
    }

    @Test("the newest text wins: a result for an older generation is dropped")
    func newestWins() {
        let driver = ExplorerDriver()
        driver.computesVectors = false
        driver.type("the")
        driver.type(" dog")
        #expect(driver.state.focused.isStale)
        #expect(driver.text.contains("computing"))
        // Deliver the vectors of the first text only: they must not be taken for the current text.
        let first = driver.pendingEmbeds.first!
        guard case let .embed(line, generation, text, _, _, _, _) = first else { return }
        let stale = try! EmbeddedText(text, tokenizer: ExplorerDriver.tokenizer, model: ExplorerDriver.model)
        driver.send(.vectorsReady(line: line, generation: generation, stale, milliseconds: 1))
        #expect(driver.state.focused.embedded?.encoding.texts.first != "the")
        driver.computesVectors = true
        driver.run([driver.pendingEmbeds.last!])
        #expect(!driver.state.focused.isStale)
        #expect(!driver.text.contains("computing"))
    }

    @Test("editing keys: Ctrl-A/E/K/U/W, Alt-B/F, history with Up/Down, paste flattens lines")
    func editingKeys() {
        let driver = ExplorerDriver()
        driver.type("the dog")
        driver.press(.control("w"))
        #expect(driver.state.focused.editor.text == "the ")
        driver.press(.paste("dog\nbarks"))
        #expect(driver.state.focused.editor.text == "the dog barks")
        driver.press(.control("a"), .control("k"))
        #expect(driver.state.focused.editor.text == "")
        driver.type("at the")
        driver.press(.alt("b"), .control("u"))
        #expect(driver.state.focused.editor.text == "the")
        driver.press(.enter)
        #expect(driver.state.mode == .browsing)
        driver.press(.character("i"), .control("e"), .control("u"))
        driver.type("dog")
        driver.press(.up)
        #expect(driver.state.focused.editor.text == "the")
        driver.press(.down)
        #expect(driver.state.focused.editor.text == "dog")
    }

    @Test("browsing: select with j/k, layers with [ ] (including sum of last 4), pooling with p, words with w")
    func browsing() {
        let driver = ExplorerDriver(text: "the dog barks")
        driver.press(.escape, .character("j"), .character("j"))
        #expect(driver.state.selection == 3)
        #expect(driver.text.contains("piece \"bark\""))
        driver.press(.character("]"))
        #expect(driver.state.layer == .sumOfLastFour)
        driver.press(.character("]"))
        #expect(driver.state.layer == .layer(0))
        #expect(driver.text.contains("layer 0"))
        driver.press(.character("p"))
        #expect(driver.state.pooling == .max)
        driver.press(.character("w"))
        #expect(driver.text.contains(" Words "))
        driver.press(.character("j"), .character("j"))
        #expect(driver.text.contains("word \"barks\" (2 pieces, max)"))
    }

    @Test("the vector pane shows numbers, norm, statistics, largest dimensions and the layer strip")
    func vectorPane() {
        let driver = ExplorerDriver(text: "dog")
        let text = driver.text
        #expect(text.contains("norm"))
        #expect(text.contains("std"))
        #expect(text.contains("largest: d"))
        #expect(text.contains("cos₀"))
        #expect(text.contains("32 dims"))
    }

    @Test("similarity: a heatmap with the value under the cursor next to the baseline, centring changes it")
    func similarity() {
        let driver = ExplorerDriver(text: "the dog barks")
        driver.press(.escape, .character("2"), .character("w"), .character("j"), .character("l"), .character("l"))
        let text = driver.text
        #expect(text.contains("cos(dog, barks)"))
        #expect(text.contains("baseline (unrelated words, raw)"))
        driver.press(.character("c"))
        #expect(driver.state.centre)
        #expect(driver.text.contains("baseline (unrelated words, centred)"))
    }

    @Test("the highlighted text line keeps combining marks on their letters")
    func sourceLineKeepsMarks() {
        let text = "Cafe\u{301} नमस्ते"
        let driver = ExplorerDriver(text: text)
        let row = Layout(driver.state).sourceRow
        let cells = (0..<driver.screen.columns).map { driver.screen[row, $0] }
        #expect(cells.map(\.text).joined().hasPrefix(" " + text), "\(cells.map(\.text).joined())")
        #expect(cells[4].text == "e\u{301}")
    }

    @Test("why, SentencePiece: every word's scored segmentation, though its span leaves out the space its ▁ stands for")
    func whySentencePiece() throws {
        let folder = try TestPaths.require(TestPaths.e5Model, madeBy: "scripts/fetch_test_assets.sh").deletingLastPathComponent()
        let tokenizer = try ModelFolder.tokenizer(in: folder)
        let context = ExplorerContext(tokenize: { text, _ in tokenizer.encode(text) }, trace: { text, _ in tokenizer.trace(text) })
        var state = ExplorerState(
            model: ModelFacts(name: "e5", reason: "test", layerCount: 12, hiddenSize: 384, hasPooler: false, tokenizerFamily: .unigram),
            rows: 30, columns: 120, emptyEncoding: tokenizer.encode(""))
        state.lines[0].editor.setText("東京 مرحبا ok")
        _ = ExplorerReducer.start(&state, context: context)
        for key in [Key.escape, .character("w"), .character("5")] { _ = ExplorerReducer.reduce(&state, .key(key), context: context) }
        for word in 0..<3 {
            let text = ExplorerView.render(state).text
            #expect(text.contains("word \(word) "), "\(text)")
            #expect(text.contains("Unigram best segmentation"), "word \(word): \(text)")
            #expect(text.contains("· sentencepiece") && !text.contains("dialect hf"))
            _ = ExplorerReducer.reduce(&state, .key(.character("j")), context: context)
        }
        // Pieces mode, the first piece: the special tokens named as this tokenizer spells them.
        for key in [Key.character("w"), .character("g")] { _ = ExplorerReducer.reduce(&state, .key(key), context: context) }
        #expect(ExplorerView.render(state).text.contains("<s> and </s> are added around every text"))
    }

    @Test("why, a word of more look-ups than rows: the last row says how many more there are")
    func whyMoreLookups() {
        let driver = ExplorerDriver(rows: 24, columns: 100, text: String(repeating: "barks", count: 5))
        driver.press(.escape, .character("w"), .character("5"))
        let attempts = driver.state.wordTrace?.attempts.count ?? 0
        #expect(attempts > 24, "the word needs more look-ups than the screen has rows: \(attempts)")
        let lines = driver.text.split(separator: "\n")
        let shown = lines.filter { $0.contains("not in vocabulary") || $0.contains("✗") || $0.contains("✓ id") }.count
        #expect(driver.text.contains("… \(attempts - shown) more (all: bertscope tokenize --trace)"), "\(driver.text)")
    }

    @Test("zero-width joiners after emoji are not drawn, so every terminal puts a ZWJ family in the cells wcwidth counts")
    func joinerNotDrawn() {
        var screen = Screen(rows: 1, columns: 20)
        let end = screen.write("a👨\u{200D}👩\u{200D}👧b", row: 0, column: 0)
        #expect(end == 8)
        #expect(!screen.text(row: 0).unicodeScalars.contains("\u{200D}"))
        #expect(screen[0, 7].text == "b")
        // In a script's spelling the joiner stays, on its letter's cell: Sinhala "Sri" (ශ්‍රී).
        var sinhala = Screen(rows: 1, columns: 10)
        sinhala.write("\u{0DC1}\u{0DCA}\u{200D}\u{0DBB}\u{0DD3}", row: 0, column: 0)
        #expect(sinhala.text(row: 0).unicodeScalars.contains("\u{200D}"))
    }

    @Test("a text longer than the model's positions says under the list, in both list modes, that it was cut; the last row stays visible")
    func truncationShown() {
        let driver = ExplorerDriver(text: String(repeating: "dog ", count: 600))
        let dropped = driver.state.focused.encoding.truncation.removedPieces.reduce(0, +)
        #expect(dropped > 0)
        let notice = "✂ \(dropped) pieces past 512 dropped"
        let layout = Layout(driver.state)
        driver.press(.escape, .character("G"))
        #expect(driver.screen.text(row: layout.footerRow - 2).hasPrefix(notice), "\(driver.text)")
        let last = driver.state.focused.encoding.count - 1
        #expect(driver.screen.text(row: layout.footerRow - 3).hasPrefix(String(format: "%3d ", last)), "the selected last piece is on screen")
        driver.press(.character("w"))
        #expect(driver.screen.text(row: layout.footerRow - 2).hasPrefix(notice))
        let short = ExplorerDriver(text: "dog")
        #expect(!short.text.contains("✂"))
    }

    @Test("the heatmap's column stops at the last column, so h moves back at once; another pair keeps it inside")
    func heatmapColumnHeld() {
        let driver = ExplorerDriver(text: "the dog barks")
        driver.press(.escape, .character("2"))
        let columns = driver.state.focused.encoding.count
        for _ in 0..<(columns + 5) { driver.press(.character("l")) }
        #expect(driver.state.matrixColumn == columns - 1)
        driver.press(.character("h"))
        #expect(driver.state.matrixColumn == columns - 2)
        driver.press(.character("+"))
        driver.type("dog")
        driver.press(.escape, .character("o"), .character("3"))  // compare line 1 with the one-word line 2
        #expect(driver.state.matrixColumn == 0)
    }

    @Test("a paste becomes one line: each run of line breaks is one space, none at the ends, tabs are spaces")
    func pasteLineBreaks() {
        let driver = ExplorerDriver()
        driver.press(.paste("first line\r\rsecond línea\r\nthird\tline 日本\n"))
        #expect(driver.state.focused.editor.text == "first line second línea third line 日本")
    }

    @Test("PgDn and PgUp move by the rows the list shows")
    func paging() {
        let driver = ExplorerDriver(text: String(repeating: "dog ", count: 100))
        let page = Layout(driver.state).visibleListRows
        driver.press(.escape, .character("g"), .pageDown)
        #expect(driver.state.selection == page)
        driver.press(.pageUp)
        #expect(driver.state.selection == 0)
    }

    @Test("compare: a second line gives the cross-sentence matrix, best matches and sentence cosines")
    func compare() {
        let driver = ExplorerDriver(text: "the dog barks")
        driver.press(.escape, .character("+"))
        #expect(driver.state.lines.count == 2 && driver.state.focusedLine == 1)
        #expect(!driver.state.lines[1].isStale && !driver.text.contains("computing"), "a new, empty line is not left computing")
        driver.type("dog the")
        driver.press(.escape, .character("o"), .character("3"))
        let text = driver.text
        #expect(text.contains("words of line 1 × line 2"))
        #expect(text.contains("sentence cosine (mean)"))
        #expect(text.contains("pooler"))
        #expect(text.contains("◆"))
        driver.press(.character("-"))
        #expect(driver.state.lines.count == 1)
    }

    @Test("pins: m pins the selected word with its layer and pooling; neighbours and the PCA plot appear")
    func pins() {
        let driver = ExplorerDriver(text: "the dog barks at the mailman")
        driver.press(.escape, .character("w"), .character("m"), .character("j"), .character("m"), .character("j"), .character("m"))
        driver.press(.character("m"))  // the same word again is refused
        #expect(driver.state.pins.map(\.word) == ["the", "dog", "barks"])
        #expect(driver.state.message?.contains("already pinned") == true)
        driver.press(.character("4"))
        let text = driver.text
        #expect(text.contains("nearest to the:"))
        driver.press(.character("j"), .character("m"))  // in the Pins pane j moves among pins: m does not pin
        #expect(driver.state.pins.count == 3)
        #expect(driver.state.message?.contains("leave the Pins pane") == true)
        #expect(text.contains("PCA of the pins"))
        #expect(text.contains("● dog"))
        driver.press(.character("1"), .delete, .character("x"))  // outside the Pins pane, neither removes a pin
        #expect(driver.state.pins.count == 3)
        driver.press(.character("4"), .character("x"))
        #expect(driver.state.pins.count == 2)
    }

    @Test("why: the selected word's WordPiece look-ups, and why a word became [UNK]")
    func why() {
        let driver = ExplorerDriver(text: "barks qqqq")
        driver.press(.escape, .character("5"), .character("j"))
        #expect(driver.text.contains("word 0 \"barks\" → bark ##s"))
        #expect(driver.text.contains("✓ id 71"))
        driver.press(.character("j"))
        let text = driver.text
        #expect(text.contains("word 1 \"qqqq\" → [UNK]"))
        #expect(text.contains("[UNK]: no piece matches from character 1 on,"))
    }

    @Test("export dialog: Tab picks the format and renames the file, Enter asks to write, an existing file asks first")
    func exportDialog() {
        let driver = ExplorerDriver(text: "the dog")
        driver.press(.escape, .character("e"))
        #expect(driver.text.contains("format:"))
        driver.press(.tab, .tab)
        #expect(driver.state.exportDialog?.format == "csv")
        #expect(driver.state.exportDialog?.path.text == "bertscope-export.csv")
        driver.press(.enter)
        #expect(driver.exported.last?.format == "csv")
        #expect(driver.exported.last?.overwrite == false)
        driver.send(.exportNeedsConfirmation(path: "bertscope-export.csv"))
        #expect(driver.text.contains("exists: replace it? y / n"))
        driver.press(.character("y"))
        #expect(driver.exported.last?.overwrite == true)
        driver.send(.exportFinished(message: "wrote 2 vectors"))
        #expect(driver.state.exportDialog == nil)
        #expect(driver.text.contains("wrote 2 vectors"))
        #expect(ExplorerExport.records(driver.state).map(\.word) == ["the", "dog"])
    }

    @Test("a nearest pin made at another layer says which, since its cosine compares different layers")
    func nearestAcrossLayers() {
        let driver = ExplorerDriver(text: "the dog barks")
        driver.press(.escape, .character("w"), .character("m"), .character("["), .character("j"), .character("m"), .character("4"))
        #expect(driver.state.pins.count == 2 && driver.state.pins[0].layer != driver.state.pins[1].layer)
        #expect(driver.text.contains("nearest to the: dog "), "\(driver.text)")
        #expect(driver.text.contains("(\(driver.state.pins[1].layer), mean)"), "\(driver.text)")
    }

    @Test("exported pins number their sentences in the order the pins were made, not alphabetically")
    func pinSentenceOrder() {
        let driver = ExplorerDriver(text: "the man")
        driver.press(.escape, .character("w"), .character("m"), .character("+"))
        driver.type("a dog")
        driver.press(.escape, .character("m"))
        let records = ExplorerExport.records(driver.state)
        #expect(records.map(\.sentence) == ["the man", "a dog"])
        #expect(records.map(\.sentenceIndex) == [0, 1])
    }

    @Test("Compare with an empty line next to a line with words says both need words (an empty text has no sentence vector)")
    func compareWithEmptyLine() {
        let driver = ExplorerDriver(text: "the dog")
        driver.press(.escape, .character("+"), .escape, .character(ExplorerPanes.digit(of: .compare)))
        #expect(driver.state.lines.count == 2 && driver.state.focusedLine == 1)
        #expect(driver.text.contains("both lines need words"))
        driver.press(.character("o"))
        #expect(driver.text.contains("both lines need words"))
    }

    @Test("help lists every key; q and Ctrl-C quit; a resize re-lays the screen, too small says so")
    func helpQuitResize() {
        let driver = ExplorerDriver(text: "dog")
        driver.press(.function(1))
        for line in ExplorerView.helpLines.prefix(8) { #expect(driver.text.contains(line.trimmingCharacters(in: .whitespaces).prefix(20))) }
        driver.press(.character("z"))
        #expect(!driver.state.showHelp)
        driver.press(.resize(rows: 23, columns: 79))
        #expect(driver.text.contains("needs at least 80x24"))
        driver.press(.resize(rows: 6, columns: 20))  // the whole message, wrapped; keys other than q do nothing
        let words = driver.text.split(whereSeparator: \.isWhitespace)
        #expect(words.joined(separator: " ") == "bertscope needs at least 80x24; this terminal is 20x6: enlarge it, or press Ctrl-C to quit")
        driver.press(.resize(rows: 2, columns: 20))
        #expect(driver.text.contains("Ctrl-C to quit"), "the end of the message shows when it cannot all: \(driver.text)")
        driver.press(.character("i"), .character("x"))
        #expect(driver.state.focused.editor.text == "dog")
        driver.press(.resize(rows: 24, columns: 80))
        #expect(driver.text.contains("Pieces"))
        #expect(driver.screen.rows == 24)
        driver.press(.control("c"))
        #expect(driver.state.quit)
        let small = ExplorerDriver(rows: 10, columns: 40, text: "dog")
        small.state.mode = .typing
        small.press(.character("q"))
        #expect(!small.state.quit && small.state.focused.editor.text == "dog", "while typing, q neither quits nor edits unseen text")
        small.state.mode = .browsing
        small.press(.character("q"))
        #expect(small.state.quit, "browsing's q still quits while the terminal is too small")
    }

    @Test("a mouse click on a token row selects it")
    func mouse() {
        let driver = ExplorerDriver(text: "the dog barks")
        let rows = driver.text.split(separator: "\n", omittingEmptySubsequences: false)
        let row = rows.firstIndex { $0.contains(" dog ") && $0.contains("67") }!
        driver.press(.mouse(row: row, column: 3))
        #expect(driver.state.selection == 2)
    }

    @Test("mixed scripts: CJK, Arabic, emoji and a combining accent render without breaking the columns")
    func mixedScripts() {
        let driver = ExplorerDriver(text: "犬 كلب 😀 Cafe\u{301}")
        let rows = driver.text.split(separator: "\n").map(String.init)
        for row in rows { #expect(DisplayWidth.of(row) <= 100) }
        #expect(rows.contains { $0.contains("[UNK]") })
    }

    @Test("dialect switch re-tokenizes every line")
    func dialect() {
        let driver = ExplorerDriver(text: "[MASK]")
        #expect(driver.state.focused.encoding.tokens.contains("[MASK]"))
        driver.press(.escape, .character("d"))
        #expect(driver.state.dialect == .google)
        #expect(!driver.state.focused.encoding.tokens.contains("[MASK]"))
    }
}

@Suite("Colour modes")
struct ColourModeTests {
    @Test("without colours (NO_COLOR, or a terminal without them) heatmaps and strips use shading characters")
    func noColor() {
        let driver = ExplorerDriver(text: "the dog barks")
        driver.state.colors = .none
        driver.press(.escape, .character("2"))
        let text = driver.text
        #expect(["░", "▒", "▓", "█"].contains { text.contains($0) })
        driver.state.colors = .full
        #expect(!["░", "▒", "▓"].contains { driver.text.contains($0) })
    }

    @Test("256 colours map down to the 8 basic ones")
    func basicColours() {
        #expect(Color.cube(5, 0, 0).basic == .red)
        #expect(Color.cube(0, 0, 5).basic == .blue)
        #expect(Color(250).basic == .white)
        #expect(Color(9).basic == .red)
    }
}
