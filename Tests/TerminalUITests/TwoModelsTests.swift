import BertEngine
import Embeddings
import Testing
import Tokenization
import WordSegmentation

@testable import TerminalUI

/// `explore --model A --model B`: both models' pieces at once, M switching the model the vector panes show.
@Suite("Explorer: two models (M)")
struct TwoModelsTests {
    /// The tiny WordPiece model (2 layers, 32 wide) first, multilingual-e5-small (SentencePiece, 12 layers, 384 wide) second.
    static func driver(columns: Int = 120, text: String = "the dog barks") throws -> ExplorerDriver {
        try ExplorerDriver(rows: 40, columns: columns, text: text, second: ResearchTasksTests.e5())
    }

    static func header(_ driver: ExplorerDriver) -> String { String(driver.text.split(separator: "\n").first ?? "") }

    static func embeds(_ effects: [ExplorerEffect]) -> [(line: Int, text: String, model: Int)] {
        effects.compactMap { effect in
            if case let .embed(line, _, text, _, _, _, model) = effect { return (line, text, model) } else { return nil }
        }
    }

    @Test("M switches the model of the vector panes and the header, keeping the lines, the selected piece's characters and the layer's place")
    func switchKey() throws {
        let driver = try Self.driver()
        driver.press(.escape, .down)
        #expect(driver.state.focused.encoding.tokens[driver.state.selection] == "dog")
        #expect(Self.header(driver).contains("model 1/2 tiny"), "\(Self.header(driver))")
        #expect(driver.text.contains("32 dims"))
        // Only the model on screen was embedded.
        #expect(driver.state.focused.models[1].embedded == nil)
        #expect(driver.state.layer == .layer(2))

        let effects = ExplorerReducer.reduce(&driver.state, .key(.character("M")), context: driver.context)
        #expect(Self.embeds(effects).map(\.model) == [1] && Self.embeds(effects).map(\.text) == ["the dog barks"], "\(effects)")
        driver.run(effects)
        #expect(driver.state.activeModel == 1)
        #expect(Self.header(driver).contains("model 2/2 second"), "\(Self.header(driver))")
        #expect(driver.state.focused.editor.text == "the dog barks" && driver.state.lines.count == 1)
        #expect(driver.state.focused.encoding.tokens[driver.state.selection] == "▁dog", "the cursor stays on the same characters")
        #expect(driver.state.layer == .layer(12), "the last layer stays the last")
        #expect(driver.text.contains("384 dims"))
        #expect(driver.state.focused.embedded?.output.lastHiddenState.columns == 384)

        // Back: the first model's vectors are still those of the text, so nothing is computed again.
        let back = ExplorerReducer.reduce(&driver.state, .key(.character("M")), context: driver.context)
        #expect(Self.embeds(back).isEmpty, "\(back)")
        driver.run(back)
        #expect(driver.state.activeModel == 0 && driver.state.layer == .layer(2))
        #expect(driver.state.focused.encoding.tokens[driver.state.selection] == "dog")
        #expect(driver.text.contains("32 dims") && Self.header(driver).contains("model 1/2 tiny"))

        // The Why pane traces the word with the model shown: WordPiece's look-ups, then SentencePiece's scored pieces.
        driver.press(.character("5"))
        #expect(driver.state.wordTrace?.attempts.isEmpty == false && driver.state.wordTrace?.scoredPieces.isEmpty == true)
        driver.press(.character("M"))
        #expect(driver.state.wordTrace?.scoredPieces.map(\.piece) == ["▁dog"], "\(String(describing: driver.state.wordTrace))")
    }

    @Test("typing embeds only the model on screen; the other's vectors are asked for when M shows it; a layer it lacks becomes its last")
    func typingWaitsForNeither() throws {
        let driver = try Self.driver()
        driver.press(.escape, .character("M"))
        driver.press(.character("["), .character("["), .character("["))  // layer 9 of e5's 12
        #expect(driver.state.layer == .layer(9))
        driver.press(.character("i"))
        for character in " at the mailman" {
            let effects = ExplorerReducer.reduce(&driver.state, .key(.character(character)), context: driver.context)
            #expect(Self.embeds(effects).map(\.model) == [1], "\(effects)")
            driver.run(effects)
        }
        // Both models' pieces follow every key.
        let text = "the dog barks at the mailman"
        #expect(driver.state.focused.models[0].encoding.tokens == driver.tokenizer(.hf).encode(text).tokens)
        #expect(driver.state.focused.models[1].encoding.tokens == driver.tokenizer(.hf, model: 1).encode(text).tokens)
        #expect(driver.state.focused.models[0].embedded?.encoding.texts.first == "the dog barks", "the first model was not embedded")
        driver.press(.escape)
        let effects = ExplorerReducer.reduce(&driver.state, .key(.character("M")), context: driver.context)
        #expect(Self.embeds(effects).map(\.model) == [0] && Self.embeds(effects).map(\.text) == [text])
        #expect(driver.state.layer == .layer(2), "layer 9 is past the tiny model's 2")
        #expect(driver.state.focused.isStale && driver.text.contains("computing"))
        driver.run(effects)
        #expect(!driver.state.focused.isStale)
    }

    @Test("a pin remembers its model; the Pins pane names it, and two models' pins have no cosine but say why")
    func pinsRememberTheModel() throws {
        let driver = try Self.driver()
        driver.press(.escape, .character("w"), .down, .character("m"))  // "dog" of the tiny model
        driver.press(.character("M"), .character("m"), .up, .character("m"))  // "dog", then "the", of e5
        let pins = driver.state.pins
        #expect(pins.map(\.word) == ["dog", "dog", "the"])
        #expect(pins.map(\.model) == [0, 1, 1])
        #expect(pins.map(\.vector.count) == [32, 384, 384])
        #expect(pins[1].baselineKey.model == 1 && driver.state.baselines[pins[1].baselineKey] != nil)
        // The same word at the same place by another model is another pin.
        #expect(pins[0] != pins[1])
        let cosines = driver.state.pinCosines
        #expect(cosines[0][1].isNaN && cosines[1][0].isNaN && cosines[0][2].isNaN)
        #expect(abs(cosines[1][2] - VectorMath.cosine(pins[1].vector, pins[2].vector)) < 1e-9)
        driver.press(.character("4"))
        let screen = driver.text
        #expect(screen.contains("dog · layer 2 · mean · tiny") && screen.contains("dog · layer 12 · mean · second"), "\(screen)")
        #expect(screen.contains("≠model"), "\(screen)")
        #expect(screen.contains("nearest to dog: pin more words · 2 of another model: no cosine"), "\(screen)")
        // From a pin of the second model, its neighbour of the same model has a cosine; the other model's pin none.
        driver.press(.down)
        #expect(driver.text.contains(String(format: "nearest to dog: the %.3f · 1 of another model: no cosine", cosines[1][2])), "\(driver.text)")
        // An export says which model each pin's vector came from.
        #expect(ExplorerExport.records(driver.state).map { $0.provenance?.model } == ["tiny", "second", "second"])
    }

    @Test("the models row: each model's pieces, unknown pieces and pieces per linguistic word, as its tokenizer cuts the text, in 80 columns")
    func modelRows() throws {
        let text = "the dogs bark at 犬 zebra"
        let driver = try Self.driver(columns: 80, text: text)
        let words = try WordSegmenter.words(of: text).count
        let rows = driver.text.split(separator: "\n").map(String.init)
        for model in 0..<2 {
            let encoding = driver.tokenizer(.hf, model: model).encode(text)
            let pieces = encoding.tokens.indices.filter { encoding.sequenceIds[$0] != nil }
            let unknowns = pieces.filter { encoding.isUnknown[$0] }.count
            let counts = driver.state.focused.models[model].counts
            #expect(counts == PieceCounts(pieces: pieces.count, unknowns: unknowns, words: words))
            #expect(counts.piecesPerWord == Double(pieces.count) / Double(words))
            let label = "\(ExplorerView.pad(String(pieces.count), 3)) pieces · \(unknowns) unk · \(String(format: "%.2f", Double(pieces.count) / Double(words)))/word"
            let name = model == 0 ? "tiny" : "second"
            let row = try #require(rows.first { $0.contains(name) && $0.contains(label) }, "\(label)\n\(driver.text)")
            #expect(DisplayWidth.of(row) <= 80)
            // The pieces follow, in order, as far as they fit.
            let shown = row.components(separatedBy: "│ ").last ?? ""
            #expect(shown.hasPrefix(pieces.prefix(3).map { encoding.tokens[$0] }.joined(separator: " ")), "\(row)")
        }
        #expect(driver.state.focused.models[0].counts.unknowns > 0, "the tiny vocabulary lacks a word of the text: \(driver.state.focused.models[0].encoding.tokens)")
        #expect(rows.contains { $0.hasPrefix("▸ tiny") })
    }

    @Test("M keeps the selection on the same characters: a word of the tokenizer's words, and the closing special token")
    func selectionFollowsTheCharacters() throws {
        let driver = try Self.driver(text: "bank. the dog")
        driver.press(.escape, .character("W"), .character("w"), .down, .down)
        // BERT's tokenizer words: bank / . / the / dog; XLM-R's: bank. / the / dog.
        #expect(driver.state.focused.words.words.map(\.text) == ["bank", ".", "the", "dog"])
        #expect(driver.state.focused.words.words[driver.state.selection].text == "the")
        driver.press(.character("M"))
        #expect(driver.state.focused.words.words.map(\.text) == ["bank.", "the", "dog"])
        #expect(driver.state.focused.words.words[driver.state.selection].text == "the")
        driver.press(.character("w"), .character("G"))
        #expect(driver.state.focused.encoding.tokens[driver.state.selection] == "</s>")
        driver.press(.character("M"))
        #expect(driver.state.focused.encoding.tokens[driver.state.selection] == "[SEP]")
    }

    @Test("with one model, M says how to load two and changes nothing")
    func oneModel() {
        let driver = ExplorerDriver(text: "the dog")
        driver.press(.escape)
        let effects = ExplorerReducer.reduce(&driver.state, .key(.character("M")), context: driver.context)
        #expect(effects.isEmpty && driver.state.activeModel == 0)
        #expect(driver.state.message?.contains("--model twice") == true)
        #expect(!driver.text.contains("model 1/1"))
    }
}
