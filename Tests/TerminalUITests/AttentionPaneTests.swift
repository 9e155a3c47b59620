import BertEngine
import Embeddings
import Foundation
import Testing
import Tokenization

@testable import TerminalUI

/// The Attention pane through keys and the screen. Expected values are worked out here from the encoder's
/// own attention probabilities (the pass embed --attentions prints), not from the pane's code.
@Suite("Explorer: the Attention pane")
struct AttentionPaneTests {
    /// The encoder's attention for `text`: [layer - 1][head], each T x T.
    static func attention(_ text: String) -> (encoding: Encoding, heads: [[Matrix]]) {
        let embedded = try! EmbeddedText(text, tokenizer: ExplorerDriver.tokenizer, model: ExplorerDriver.model, attentions: .all)
        return (embedded.encoding, embedded.output.attentions.keys.sorted().map { embedded.output.attentions[$0]! })
    }

    /// Row `row` of the mean over heads, by hand.
    static func meanRow(_ heads: [Matrix], _ row: Int) -> [Double] {
        let count = heads[0].columns
        return (0..<count).map { column in heads.map { Double($0.values[row * count + column]) }.reduce(0, +) / Double(heads.count) }
    }

    static func argmax(_ values: [Double]) -> Int { values.indices.max { values[$0] < values[$1] }! }

    func openPane(_ text: String, rows: Int = 30, columns: Int = 100) -> ExplorerDriver {
        let driver = ExplorerDriver(rows: rows, columns: columns, text: text)
        driver.press(.escape, .character(ExplorerPanes.digit(of: .attention)))
        return driver
    }

    @Test("the pane asks for attention only while open: other panes' passes carry none, and closing it frees every line's")
    func attentionOnlyWhileOpen() throws {
        let driver = ExplorerDriver(text: "the dog")
        var state = driver.state
        let typed = ExplorerReducer.reduce(&state, .key(.character("s")), context: driver.context)
        #expect(typed.allSatisfy { if case let .embed(_, _, _, _, attentions, _, _) = $0 { !attentions } else { true } }, "\(typed)")
        #expect(driver.state.focused.embedded?.output.attentions.isEmpty == true)
        driver.press(.escape)
        var opening = driver.state
        let effects = ExplorerReducer.reduce(&opening, .key(.function(ExplorerPanes.firstFunctionKey + ExplorerPanes.position(of: .attention))),
                                             context: driver.context)
        #expect(opening.pane == .attention)
        guard case let .embed(line, _, text, _, attentions, _, _)? = effects.first else {
            Issue.record("opening the pane must ask for the focused line's attention: \(effects)")
            return
        }
        #expect(line == 0 && text == "the dog" && attentions)
        driver.press(.function(ExplorerPanes.firstFunctionKey + ExplorerPanes.position(of: .attention)))
        #expect(driver.state.focused.embedded?.output.attentions.count == ExplorerDriver.model.config.layerCount)
        #expect(driver.text.contains("→ most to"))
        driver.press(.character("1"))
        #expect(driver.state.focused.embedded?.output.attentions.isEmpty == true)
        #expect(driver.state.derived.attention == nil)
        #expect(!driver.state.holdsAttention, "what the explorer's loop checks before giving freed pages back")
    }

    @Test("the summary is the worker's: computing… until it arrives, a result for inputs since changed is dropped, the newest shown")
    func summaryOffTheUIThread() throws {
        let driver = ExplorerDriver(text: "the dog barks")
        driver.computesSummaries = false
        driver.press(.escape, .character(ExplorerPanes.digit(of: .attention)))
        #expect(driver.state.focused.embedded?.output.attentions.isEmpty == false, "the vectors carry attention")
        #expect(driver.state.derived.attention == nil)
        #expect(driver.text.contains("computing attention…"), "\(driver.text)")
        guard driver.pendingSummaries.count == 1, case let .summarizeAttention(old, _, nil, false) = driver.pendingSummaries[0] else {
            Issue.record("vectors with attention must ask for one pieces summary: \(driver.pendingSummaries)")
            return
        }
        // Words mode before the pieces summary came: a new summary is asked for, the old one is now stale.
        driver.press(.character("w"))
        guard driver.pendingSummaries.count == 2, case let .summarizeAttention(new, _, .some, false) = driver.pendingSummaries[1] else {
            Issue.record("words mode must ask for a words summary: \(driver.pendingSummaries)")
            return
        }
        #expect(new != old)
        driver.computesSummaries = true
        driver.run([driver.pendingSummaries[0]])
        #expect(driver.state.derived.attention == nil, "the pieces summary arrived late and is dropped")
        #expect(driver.text.contains("computing attention…"))
        driver.run([driver.pendingSummaries[1]])
        #expect(driver.state.derived.attention?.labels == ["[CLS]", "the", "dog", "barks", "[SEP]"])
        #expect(driver.text.contains("word \"the\" · layer 1/"), "\(driver.text)")
        #expect(!driver.text.contains("computing attention…"))
        // The stale one once more, after the fresh one: it does not replace it.
        driver.run([driver.pendingSummaries[0]])
        #expect(driver.state.derived.attention?.labels.contains("barks") == true)
        // Another layer is read from the same summary: nothing new is asked of the worker.
        driver.computesSummaries = false
        driver.press(.character("]"))
        #expect(driver.pendingSummaries.count == 2 && driver.state.derived.attention != nil)
    }

    @Test("bars: the selected piece's top target and values, all heads as the mean; [ ] move the layer, , . the head")
    func layerAndHeadKeys() throws {
        let text = "the dog barks"
        let driver = openPane(text)
        let (encoding, heads) = Self.attention(text)
        let layers = heads.count, headCount = heads[0].count
        let piece = driver.state.selection
        // All heads: the mean over heads of layer 1.
        var expected = Self.meanRow(heads[0], piece)
        var top = Self.argmax(expected)
        var screen = driver.text
        #expect(screen.contains("piece \"\(encoding.tokens[piece])\" · layer 1/\(layers) · all heads (mean)"), "\(screen)")
        #expect(screen.contains(String(format: "→ most to \"%@\" %.3f", encoding.tokens[top], expected[top])), "\(screen)")
        // Head 2 of the last layer: [ wraps from layer 1 to the last; . . goes to the second head.
        let layerBefore = driver.state.layer
        driver.press(.character("["), .character("."), .character("."))
        #expect(driver.state.attention.layer == layers && driver.state.attention.head == 1)
        #expect(driver.state.layer == layerBefore, "the hidden-state layer stays as it was")
        let row = heads[layers - 1][1][piece].map(Double.init)
        top = Self.argmax(row)
        screen = driver.text
        #expect(screen.contains("layer \(layers)/\(layers) · head 2/\(headCount)"), "\(screen)")
        #expect(screen.contains(String(format: "→ most to \"%@\" %.3f", encoding.tokens[top], row[top])), "\(screen)")
        // Values on demand: every target's value, in line order.
        #expect(!screen.contains(String(format: "%6.3f", row[0])) || row[0] == row[top])
        driver.press(.character("n"))
        screen = driver.text
        for value in row { #expect(screen.contains(String(format: "%6.3f", value)), "\(value)\n\(screen)") }
        // , from the first head is all heads; again, the last head.
        driver.press(.character(","), .character(","))
        #expect(driver.state.attention.head == nil)
        driver.press(.character(","))
        #expect(driver.state.attention.head == headCount - 1)
        driver.press(.character("]"))
        #expect(driver.state.attention.layer == 1)
        expected = heads[0][headCount - 1][piece].map(Double.init)
        #expect(driver.text.contains(String(format: "→ most to \"%@\" %.3f", encoding.tokens[Self.argmax(expected)], expected.max()!)))
    }

    @Test("rollout, an option of the bars: the product over layers of 0.5·A + 0.5·I (heads averaged), labelled as such")
    func rollout() throws {
        let text = "the dog barks"
        let driver = openPane(text)
        let (encoding, heads) = Self.attention(text)
        let piece = driver.state.selection
        driver.press(.character("r"), .character("]"))
        #expect(driver.state.attention.rollout && driver.state.attention.layer == 2)
        // Layer 2's rollout row: Σ_k M2[piece][k] · M1[k], with Mi = 0.5 · mean_i + 0.5 · I.
        func mixed(_ layer: Int, _ row: Int) -> [Double] {
            Self.meanRow(heads[layer], row).enumerated().map { 0.5 * $0.element + ($0.offset == row ? 0.5 : 0) }
        }
        let second = mixed(1, piece)
        let expected = (0..<encoding.count).map { column in
            (0..<encoding.count).map { second[$0] * mixed(0, $0)[column] }.reduce(0, +)
        }
        let top = Self.argmax(expected)
        let screen = driver.text
        #expect(screen.contains("layer 2 rollout (Abnar & Zuidema 2020)"), "\(screen)")
        #expect(screen.contains(String(format: "→ most to \"%@\" %.3f", encoding.tokens[top], expected[top])), "\(screen)")
        driver.press(.character("r"))
        #expect(driver.text.contains("layer 2/2 · all heads (mean)"))
    }

    @Test("words mode: attention between words (sum over the target's pieces, mean over the source's), special tokens apart")
    func wordsMode() throws {
        let text = "the dog barks"
        let driver = openPane(text)
        driver.press(.character("w"), .character("j"), .character("j"))
        let (encoding, heads) = Self.attention(text)
        #expect(encoding.tokens == ["[CLS]", "the", "dog", "bark", "##s", "[SEP]"])
        // Units [CLS] the dog barks [SEP]; the source "barks" is pieces 3 and 4.
        let units = [[0], [1], [2], [3, 4], [5]], labels = ["[CLS]", "the", "dog", "barks", "[SEP]"]
        let mean = [Self.meanRow(heads[0], 3), Self.meanRow(heads[0], 4)]
        let words = units.map { targets in targets.map { (mean[0][$0] + mean[1][$0]) / 2 }.reduce(0, +) }
        #expect(abs(words.reduce(0, +) - 1) < 1e-5)
        let top = Self.argmax(words)
        let screen = driver.text
        #expect(screen.contains("word \"barks\" · layer 1/"), "\(screen)")
        #expect(screen.contains(String(format: "→ most to \"%@\" %.3f", labels[top], words[top])), "\(screen)")
        // The bars list the words, not the pieces.
        let paneLeft = Layout(driver.state).paneLeft
        let pane = screen.split(separator: "\n").map { String($0.dropFirst(paneLeft)) }.joined(separator: "\n")
        #expect(pane.contains(" barks ") && !pane.contains("##s"), "\(pane)")
    }

    @Test("a line longer than the pane: the bars and the matrix scroll to the selected piece, the column cursor reaches the last piece")
    func longLine() throws {
        let text = Array(repeating: "the dog barks", count: 9).joined(separator: " ")
        let driver = openPane(text, rows: 24, columns: 80)
        let (encoding, heads) = Self.attention(text)
        let layout = Layout(driver.state)
        #expect(encoding.count > layout.bodyHeight && encoding.count == driver.state.focused.encoding.count,
                "the line must be longer than the pane, and all of it read by the model")
        driver.press(.character("G"), .character("k"))
        let piece = driver.state.selection
        #expect(piece == encoding.count - 2)
        let row = Self.meanRow(heads[0], piece)
        let top = Self.argmax(row)
        var screen = driver.screen
        // The selected piece's bar row is on screen, in the pane.
        let barRows = (layout.bodyTop..<layout.footerRow).map { screen.text(row: $0) }
        #expect(barRows.contains { $0.dropFirst(layout.paneLeft).hasPrefix(" " + DisplayWidth.padded(encoding.tokens[piece], to: 12)) })
        #expect(screen.text.contains(String(format: "→ most to \"%@\" %.3f", encoding.tokens[top], row[top])))
        // The matrix: the cursor column goes to the last piece and no further, and its label is shown.
        driver.press(.character("v"))
        #expect(driver.state.attention.view == .matrix)
        for _ in 0..<(encoding.count + 5) { driver.press(.character("l")) }
        #expect(driver.state.matrixColumn == encoding.count - 1)
        screen = driver.screen
        let last = encoding.count - 1
        #expect(screen.text.contains("attention \(encoding.tokens[piece]) → \(encoding.tokens[last]) = " + String(format: "%.3f", row[last])),
                "\(screen.text)")
        #expect(screen.text.contains(" \(last) "), "the last column's number is in the header")
    }

    @Test("the heads grid: a row per layer, a cell per head saying where the token's attention goes; its cursor is the layer and head")
    func headGrid() throws {
        let text = "the dog ."
        let driver = openPane(text)
        driver.press(.character("v"), .character("v"))
        #expect(driver.state.attention.view == .heads)
        let (encoding, heads) = Self.attention(text)
        driver.press(.character("]"), .right, .right)
        #expect(driver.state.attention.layer == 2 && driver.state.attention.head == 1)
        let piece = driver.state.selection
        let row = heads[1][1][piece]
        let focus = AttentionFocus(row: row, token: piece, roles: TokenRoles(encoding))
        let screen = driver.text
        for layer in 1...heads.count { #expect(screen.contains("L " + String(layer) + " "), "\(screen)") }
        let named = focus.target == .start ? "[CLS]" : focus.target == .separator ? "[SEP]" : focus.target == .spread ? "spread out" : focus.target.rawValue
        #expect(screen.contains(String(format: "layer 2 head 2: %@ %.2f · entropy %.2f nats", named, focus.share, focus.entropy)), "\(screen)")
        #expect(screen.contains("[" + AttentionPane.glyph(focus.target) + "]"), "the cursor cell shows its head's focus")
        driver.press(.left, .left, .left)
        #expect(driver.state.attention.head == headCount(heads) - 1, "left from head 1 passes all heads, then wraps")
    }

    func headCount(_ heads: [[Matrix]]) -> Int { heads[0].count }

    @Test("head statistics: Clark et al.'s measures of every head of the chosen layer, for the whole line")
    func statistics() throws {
        let text = "the dog ."
        let driver = openPane(text)
        driver.press(.character("v"), .character("v"), .character("v"))
        #expect(driver.state.attention.view == .statistics)
        let (encoding, heads) = Self.attention(text)
        let screen = driver.text
        #expect(screen.contains("[CLS]") && screen.contains("[SEP]") && screen.contains("entropy"))
        for (head, matrix) in heads[0].enumerated() {
            // Mean attention to [CLS] (column 0) and mean row entropy, by hand.
            let count = encoding.count
            let toStart = (0..<count).map { Double(matrix.values[$0 * count]) }.reduce(0, +) / Double(count)
            var entropy = 0.0
            for value in matrix.values where value > 0 { entropy -= Double(value) * log(Double(value)) }
            entropy /= Double(count)
            #expect(screen.contains(ExplorerView.pad(String(head + 1), 4) + ExplorerView.pad(String(format: "%.3f", entropy), 6)
                                    + ExplorerView.pad(String(format: "%.3f", toStart), 6)), "head \(head + 1)\n\(screen)")
        }
    }
}
