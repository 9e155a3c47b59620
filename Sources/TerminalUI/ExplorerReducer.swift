import BertEngine
import Embeddings
import Foundation
import Tokenization

/// Something that happened: a key, or a result from work done off the UI thread.
public enum ExplorerAction: Sendable {
    case key(Key)
    case vectorsReady(line: Int, generation: Int, EmbeddedText, milliseconds: Double)
    case vectorsFailed(line: Int, generation: Int, message: String)
    case baselineReady(BaselineKey, Baseline)
    /// The focused line's attention summary asked for under `generation` (nil: the vectors carried no attention).
    case attentionReady(generation: Int, LineAttention?)
    case exportFinished(message: String)
    /// The export target exists; ask before replacing it.
    case exportNeedsConfirmation(path: String)
}

/// Work the reducer asks the runtime to do.
public enum ExplorerEffect: Sendable, Equatable {
    /// Run the encoder (`model`: its index in `ExplorerState.models`) on a line's text, keeping every layer's
    /// attention when `attentions` (the Attention pane is open on this line); the newest generation wins.
    case embed(line: Int, generation: Int, text: String, dialect: Dialect, attentions: Bool, precision: Precision, model: Int)
    case computeBaseline(BaselineKey)
    case export(path: String, format: String, overwrite: Bool)
    /// Summarize the focused line's attention (`LineAttention`: at the list's grain, rollout when asked); the
    /// newest generation wins.
    case summarizeAttention(generation: Int, EmbeddedText, words: [Word]?, rollout: Bool)

    public static func == (a: ExplorerEffect, b: ExplorerEffect) -> Bool {
        switch (a, b) {
        case let (.embed(l1, g1, t1, d1, a1, p1, m1), .embed(l2, g2, t2, d2, a2, p2, m2)):
            return l1 == l2 && g1 == g2 && t1 == t2 && d1 == d2 && a1 == a2 && p1 == p2 && m1 == m2
        // A generation names one summary of one text.
        case let (.summarizeAttention(g1, _, w1, r1), .summarizeAttention(g2, _, w2, r2)): return g1 == g2 && w1 == w2 && r1 == r2
        case let (.computeBaseline(k1), .computeBaseline(k2)): return k1 == k2
        case let (.export(p1, f1, o1), .export(p2, f2, o2)): return p1 == p2 && f1 == f2 && o1 == o2
        default: return false
        }
    }
}

/// What the reducer needs from outside: tokenizing is instant, so it happens here on every keystroke, for every model.
public struct ExplorerContext: Sendable {
    /// One model's tokenizer.
    public struct Model: Sendable {
        public var tokenize: @Sendable (String, Dialect) -> Encoding
        public var trace: @Sendable (String, Dialect) -> TokenizationTrace

        public init(tokenize: @escaping @Sendable (String, Dialect) -> Encoding,
                    trace: @escaping @Sendable (String, Dialect) -> TokenizationTrace) {
            self.tokenize = tokenize
            self.trace = trace
        }
    }

    /// In the order of `ExplorerState.models`.
    public var models: [Model]

    public init(models: [Model]) {
        precondition(!models.isEmpty, "the explorer needs a model")
        self.models = models
    }

    /// One model.
    public init(tokenize: @escaping @Sendable (String, Dialect) -> Encoding,
                trace: @escaping @Sendable (String, Dialect) -> TokenizationTrace) {
        self.init(models: [Model(tokenize: tokenize, trace: trace)])
    }

    public func tokenize(_ text: String, _ dialect: Dialect, model: Int = 0) -> Encoding { models[model].tokenize(text, dialect) }

    public func trace(_ text: String, _ dialect: Dialect, model: Int = 0) -> TokenizationTrace { models[model].trace(text, dialect) }

    /// Every model's encoding of `text`.
    public func encodings(_ text: String, _ dialect: Dialect) -> [Encoding] { models.map { $0.tokenize(text, dialect) } }
}

/// The explorer's logic: (state, action) -> new state and effects. No terminal, no threads.
public enum ExplorerReducer {
    /// Enough lines to compare one word across a dozen languages; the screen shows what fits and scrolls.
    public static let maxLines = 12

    public static func reduce(_ state: inout ExplorerState, _ action: ExplorerAction, context: ExplorerContext) -> [ExplorerEffect] {
        switch action {
        case .key(let key):
            let effects = handle(key, &state, context) + keepAttentionInStep(&state)
            updateTrace(&state, context)
            let summaries = DerivedData.refresh(&state)
            // Keep the heatmap's column on the matrix shown now (after l at the edge, a shorter text, another pair),
            // so h moves at once.
            if let columns = ExplorerPanes.description(of: state.pane).heatmapColumns(state) {
                state.matrixColumn = max(0, min(state.matrixColumn, columns - 1))
            }
            return effects + summaries
        case let .vectorsReady(line, generation, embedded, milliseconds):
            // Generations are unique across lines and models: the one that asked for this one is the one it is for.
            guard line < state.lines.count, let model = state.lines[line].models.firstIndex(where: { $0.generation == generation }) else { return [] }
            state.lines[line].models[model].embedded = embedded
            state.lines[line].models[model].vectorWords = words(of: embedded.encoding, state.wordSource)
            state.lines[line].models[model].vectorsGeneration = generation
            state.lines[line].models[model].attentionRequested = false
            // The pane that asked for attention may have closed (or the model been switched) while it was computed.
            if !needsAttention(state) || line != state.focusedLine || model != state.activeModel {
                state.lines[line].models[model].embedded?.output.attentions = [:]
            }
            if model == state.activeModel { state.lastLatency = milliseconds }
            return DerivedData.refresh(&state)
        case let .vectorsFailed(line, generation, message):
            guard line < state.lines.count, let model = state.lines[line].models.firstIndex(where: { $0.generation == generation }) else { return [] }
            state.lines[line].models[model].attentionRequested = false
            state.message = "encoder: \(message)"
            return []
        case let .baselineReady(key, baseline):
            state.baselines[key] = baseline
            PinComparison.refresh(&state)
            return DerivedData.refresh(&state)
        case let .attentionReady(generation, attention):
            DerivedData.attentionArrived(&state, generation: generation, attention)
            return []
        case .exportFinished(let message):
            state.message = message
            state.exportDialog = nil
            return []
        case .exportNeedsConfirmation:
            state.exportDialog?.confirmingOverwrite = true
            return []
        }
    }

    /// Effects to run once at start: vectors for the initial text and the baseline.
    public static func start(_ state: inout ExplorerState, context: ExplorerContext) -> [ExplorerEffect] {
        var effects = [ExplorerEffect]()
        for index in state.lines.indices { effects += textChanged(&state, line: index, context) }
        effects.append(.computeBaseline(state.baselineKey))
        return effects
    }

    // MARK: Keys

    private static func handle(_ key: Key, _ state: inout ExplorerState, _ context: ExplorerContext) -> [ExplorerEffect] {
        switch key {
        case .control("c"):
            state.quit = true
            return []
        case .resize(let rows, let columns):
            state.rows = rows
            state.columns = columns
            return []
        case .alt(let character) where !hasAltBinding(character, state):
            // An Escape that arrived in the same read as the next key: it is an Escape, then that key.
            return handle(.escape, &state, context) + handle(.character(character), &state, context)
        default:
            break
        }
        let quitWasAsked = state.confirmingQuit, exampleWasAsked = state.confirmingExample
        state.confirmingQuit = false
        state.confirmingExample = false
        switch key {
        case _ where Layout(state).isTooSmall:
            // Nothing else is on screen: keys would change text the user cannot see. Browsing's q still quits
            // (while typing, q is a letter and the text must not be lost to a window that shrank).
            if case .character("q") = key, state.mode == .browsing, state.exportDialog == nil, state.languageEditor == nil {
                quitOrAsk(&state, asked: quitWasAsked)
            }
            return []
        case .function(1):
            state.helpPage = state.helpPage == nil ? 0 : nil
            return []
        default:
            break
        }
        if let page = state.helpPage {
            switch key {
            case .character("?"), .tab, .backTab, .right, .left, .pageDown, .pageUp: state.helpPage = 1 - page
            default: state.helpPage = nil  // any other key closes the help
            }
            return []
        }
        if state.exportDialog != nil { return handleExportDialog(key, &state) }
        if state.languageEditor != nil {
            handleLanguageEditor(key, &state)
            return []
        }
        if case .mouse(let row, let column) = key { return click(row: row, column: column, &state) }
        switch key {
        case .tab:
            state.pane = ExplorerPanes.pane(1, from: state.pane)
            return []
        case .backTab:
            state.pane = ExplorerPanes.pane(-1, from: state.pane)
            return []
        case .function(let number) where ExplorerPanes.pane(forFunctionKey: number) != nil:
            state.pane = ExplorerPanes.pane(forFunctionKey: number)!
            return []
        default:
            break
        }
        state.message = nil
        if state.mode == .browsing, case .character("X") = key { return nextExample(&state, context, asked: exampleWasAsked) }
        return state.mode == .typing ? typing(key, &state, context) : browsing(key, &state, context, quitWasAsked: quitWasAsked)
    }

    private static func typing(_ key: Key, _ state: inout ExplorerState, _ context: ExplorerContext) -> [ExplorerEffect] {
        let line = state.focusedLine
        let before = state.lines[line].editor.text
        switch key {
        case .character(let character): state.lines[line].editor.insert(String(character))
        case .paste(let text):
            // One line: each run of line breaks (a terminal may send CR LF, or CR for LF) becomes one space, none
            // at the ends (a trailing newline would add a piece); tabs become spaces.
            let flattened = text.split(whereSeparator: \.isNewline).joined(separator: " ").map { $0 == "\t" ? " " : $0 }
            state.lines[line].editor.insert(String(flattened))
        case .backspace: state.lines[line].editor.deleteBackward()
        case .delete, .control("d"): state.lines[line].editor.deleteForward()
        case .left, .control("b"): state.lines[line].editor.moveLeft()
        case .right, .control("f"): state.lines[line].editor.moveRight()
        case .home, .control("a"): state.lines[line].editor.moveHome()
        case .end, .control("e"): state.lines[line].editor.moveEnd()
        case .control("k"): state.lines[line].editor.killToEnd()
        case .control("u"): state.lines[line].editor.killToStart()
        case .control("w"): state.lines[line].editor.deleteWordBackward()
        case .alt("b"): state.lines[line].editor.moveWordLeft()
        case .alt("f"): state.lines[line].editor.moveWordRight()
        case .up: state.lines[line].editor.historyPrevious()
        case .down: state.lines[line].editor.historyNext()
        case .enter:
            state.lines[line].editor.commitToHistory()
            state.mode = .browsing
        case .escape:
            state.mode = .browsing
        default:
            return []
        }
        return state.lines[line].editor.text == before ? [] : textChanged(&state, line: line, context)
    }

    private static func browsing(_ key: Key, _ state: inout ExplorerState, _ context: ExplorerContext, quitWasAsked: Bool) -> [ExplorerEffect] {
        if ExplorerPanes.description(of: state.pane).handle(key, &state) { return [] }
        switch key {
        case .character("i"), .character("/"), .enter, .character("a"):
            state.mode = .typing
        case .character("q"):
            quitOrAsk(&state, asked: quitWasAsked)
        case .character("?"):
            state.helpPage = 0
        case .up, .character("k"): moveSelection(-1, &state)
        case .down, .character("j"): moveSelection(1, &state)
        case .pageUp: moveSelection(-Layout(state).visibleListRows, &state)
        case .pageDown: moveSelection(Layout(state).visibleListRows, &state)
        case .home, .character("g"): state.selection = 0
        case .end, .character("G"): moveSelection(Int.max / 2, &state)
        case .left, .character("h"): state.matrixColumn = max(0, state.matrixColumn - 1)
        case .right, .character("l"): state.matrixColumn += 1
        case .character(let digit) where ExplorerPanes.pane(forDigit: digit) != nil:
            state.pane = ExplorerPanes.pane(forDigit: digit)!
        case .character("]"): return changeLayer(1, &state)
        case .character("["): return changeLayer(-1, &state)
        case .character("p"): return changePooling(1, &state)
        case .character("P"): return changePooling(-1, &state)
        case .character("w"):
            state.showWords.toggle()
            state.selection = 0
        case .character("W"):
            state.wordSource = state.wordSource == .linguistic ? .tokenizer : .linguistic
            for index in state.lines.indices {
                for model in state.lines[index].models.indices {
                    let cut = state.lines[index].models[model]
                    state.lines[index].models[model].words = words(of: cut.encoding, state.wordSource)
                    state.lines[index].models[model].vectorWords = cut.embedded.map { words(of: $0.encoding, state.wordSource) }
                }
            }
            clampSelection(&state)
            state.message = state.wordSource == .linguistic
                ? "words: linguistic (ICU's word boundaries; spaces and punctuation are not words)"
                : "words: the tokenizer's (what the model saw, Hugging Face's word_ids)"
        case .character("c"):
            state.centre.toggle()
            state.message = state.centre ? "centring on: the mean word vector is subtracted before cosines" : "centring off"
            PinComparison.refresh(&state)
        case .character("b"):
            return changePrecision(&state, context)
        case .character("d") where state.model.tokenizerFamily != .wordPiece:
            state.message = "dialects (hf/google/spark) are WordPiece's; this model's SentencePiece tokenizer has one behaviour"
        case .character("d"):
            let all = Dialect.allCases
            state.dialect = all[(all.firstIndex(of: state.dialect)! + 1) % all.count]
            var effects = [ExplorerEffect]()
            for index in state.lines.indices { effects += textChanged(&state, line: index, context) }
            state.message = "dialect \(state.dialect.rawValue)"
            return effects
        case .character("+"):
            // Either way the person is typing next: a refused + must not turn the sentence that follows into commands.
            state.mode = .typing
            guard state.lines.count < maxLines else {
                state.message = "at most \(maxLines) lines: still typing in line \(state.focusedLine + 1) (- removes a line)"
                return []
            }
            state.lines.append(InputLine(encodings: context.encodings("", state.dialect), words: state.wordSource, activeModel: state.activeModel))
            focus(state.lines.count - 1, &state)
            // Even empty, the new line gets its vectors ([CLS] [SEP]), or it would show "computing" until typed in.
            return textChanged(&state, line: state.focusedLine, context)
        case .character("-"):
            guard state.lines.count > 1 else { return [] }
            state.lines.remove(at: state.focusedLine)
            let next = min(state.focusedLine, state.lines.count - 1)
            state.focusedLine = next
            state.selection = state.lines[next].savedSelection ?? 0
            clampSelection(&state)
        case .character("o"):
            focus((state.focusedLine + 1) % state.lines.count, &state)
        case .character("L"):
            state.languageEditor = LineEditor(text: state.focused.language ?? "")
        case .character("m"):
            return pinSelection(&state)
        case .character("M"):
            return switchModel(&state)
        case .character("e"):
            var dialog = ExportDialog()
            dialog.path = LineEditor(text: "bertscope-export.json")
            state.exportDialog = dialog
        default:
            break
        }
        return []
    }

    // MARK: Changes

    /// Keeps the Why pane's trace in step with the selected word.
    static func updateTrace(_ state: inout ExplorerState, _ context: ExplorerContext) {
        guard state.pane == .why, let span = state.selectedSpan else {
            state.wordTrace = nil
            return
        }
        let text = state.focused.editor.text
        if state.tracedText?.text != text || state.tracedText?.dialect != state.dialect || state.tracedText?.model != state.activeModel {
            state.tracedText = (text, state.dialect, state.activeModel, context.trace(text, state.dialect, model: state.activeModel).words)
        }
        state.wordTrace = state.tracedText?.words.first { $0.span.start <= span.start && span.end <= $0.span.end }
    }

    /// Re-tokenizes a line at once, with every model, and asks for its vectors.
    static func textChanged(_ state: inout ExplorerState, line: Int, _ context: ExplorerContext) -> [ExplorerEffect] {
        let text = state.lines[line].editor.text
        for model in state.lines[line].models.indices {
            state.lines[line].models[model].retokenize(context.tokenize(text, state.dialect, model: model), words: state.wordSource)
        }
        if line == state.focusedLine { clampSelection(&state) }
        return requestVectors(&state, line: line)
    }

    /// A new generation of vectors for a line's text, with attention when the pane on screen reads it from this line.
    /// Only the active model is asked; the others' vectors are marked out of date (a new generation no result has),
    /// and asked for when M shows one of them.
    private static func requestVectors(_ state: inout ExplorerState, line: Int) -> [ExplorerEffect] {
        for model in state.lines[line].models.indices where model != state.activeModel {
            state.generationCounter += 1
            state.lines[line].models[model].generation = state.generationCounter
            state.lines[line].models[model].attentionRequested = false
        }
        return [requestActiveVectors(&state, line: line)]
    }

    /// A new generation of the active model's vectors for a line.
    private static func requestActiveVectors(_ state: inout ExplorerState, line: Int) -> ExplorerEffect {
        state.generationCounter += 1
        state.lines[line].generation = state.generationCounter
        let attentions = needsAttention(state) && line == state.focusedLine
        state.lines[line].attentionRequested = attentions
        return .embed(line: line, generation: state.lines[line].generation, text: state.lines[line].editor.text, dialect: state.dialect,
                      attentions: attentions, precision: state.precision, model: state.activeModel)
    }

    static func needsAttention(_ state: ExplorerState) -> Bool {
        ExplorerPanes.description(of: state.pane).needs.contains(.attention)
    }

    /// Attention is computed only while a pane reads it: the focused line's is asked for when it is missing, and
    /// every line's is dropped (its memory freed) once no pane needs it.
    private static func keepAttentionInStep(_ state: inout ExplorerState) -> [ExplorerEffect] {
        guard needsAttention(state) else {
            for index in state.lines.indices {
                for model in state.lines[index].models.indices where state.lines[index].models[model].embedded?.output.attentions.isEmpty == false {
                    state.lines[index].models[model].embedded?.output.attentions = [:]
                }
            }
            return []
        }
        let line = state.focusedLine
        let hasAttention = state.lines[line].embedded.map { !$0.output.attentions.isEmpty } ?? false
        guard !hasAttention, !state.lines[line].attentionRequested else { return [] }
        return [requestActiveVectors(&state, line: line)]
    }

    private static func changeLayer(_ step: Int, _ state: inout ExplorerState) -> [ExplorerEffect] {
        // Order: 0, 1, ..., N, sum of last four.
        let count = state.model.layerCount
        let position: Int
        switch state.layer {
        case .layer(let index): position = index
        // A range from the command line steps as the sum of the last four does.
        case .sumOfLastFour, .sum: position = count + 1
        }
        let next = (position + step + count + 2) % (count + 2)
        state.layer = next == count + 1 ? .sumOfLastFour : .layer(next)
        return baselineIfNeeded(state)
    }

    private static func changePooling(_ step: Int, _ state: inout ExplorerState) -> [ExplorerEffect] {
        let all = Pooling.allCases
        state.pooling = all[(all.firstIndex(of: state.pooling)! + step + all.count) % all.count]
        return baselineIfNeeded(state)
    }

    /// b: the next precision (f32, bf16, int8). Every line is embedded again at it (the worker converts the weights
    /// once per precision), and the baseline is asked for at it; pins keep the precision they were made at.
    private static func changePrecision(_ state: inout ExplorerState, _ context: ExplorerContext) -> [ExplorerEffect] {
        let all = Precision.allCases
        state.precision = all[(all.firstIndex(of: state.precision)! + 1) % all.count]
        var effects = [ExplorerEffect]()
        for index in state.lines.indices { effects += textChanged(&state, line: index, context) }
        state.message = state.precision == .f32
            ? "precision f32: the weights as the checkpoint has them"
            : "precision \(state.precision.rawValue): linear weights at \(state.precision.rawValue); the Vector pane compares with f32"
        return effects + baselineIfNeeded(state)
    }

    /// M: the next model (of those `--model` gave). The lines, the selected piece or word and the pins stay; the
    /// layer stays, except that the last layer stays the last and a layer the model lacks becomes its last. A line
    /// whose vectors of that model are not for its text (typed while another model was shown) is embedded again.
    private static func switchModel(_ state: inout ExplorerState) -> [ExplorerEffect] {
        guard state.models.count > 1 else {
            state.message = "one model loaded: give --model twice (bertscope explore --model A --model B) to switch with M"
            return []
        }
        let span = state.selectedSpan
        let onLastRow = state.selection == rowCount(state) - 1
        let lastLayer = state.model.layerCount
        for index in state.lines.indices {
            // Only the model on screen keeps attention: the one left drops it.
            state.lines[index].embedded?.output.attentions = [:]
            state.lines[index].attentionRequested = false
        }
        state.activeModel = (state.activeModel + 1) % state.models.count
        let layers = state.model.layerCount
        switch state.layer {
        case .layer(let index) where index == lastLayer || index > layers: state.layer = .layer(layers)
        case .sum(let range) where range.upperBound > layers: state.layer = .sumOfLastFour
        default: break
        }
        state.attention.layer = min(state.attention.layer, layers)
        // The cursor stays on the same characters: the first piece (or word) of this model over them; on a special
        // token, on the same one ([SEP] is </s>).
        func overlaps(_ other: TextSpan, _ span: TextSpan) -> Bool { other.end > span.start && other.start < max(span.end, span.start + 1) }
        if let span, state.showWords {
            state.selection = state.focused.words.words.firstIndex { overlaps($0.span, span) } ?? state.selection
        } else if let span {
            let encoding = state.focused.encoding
            state.selection = encoding.offsets.indices.first { encoding.sequenceIds[$0] != nil && overlaps(encoding.offsets[$0], span) } ?? state.selection
        } else if onLastRow {
            state.selection = rowCount(state) - 1
        }
        clampSelection(&state)
        var effects = [ExplorerEffect]()
        for index in state.lines.indices where state.lines[index].vectorsGeneration != state.lines[index].generation {
            effects.append(requestActiveVectors(&state, line: index))
        }
        let number = "\(state.activeModel + 1)/\(state.models.count)"
        state.message = "model \(number): \(state.model.name) (the vector panes show its vectors)"
        return effects + baselineIfNeeded(state)
    }

    /// Moves the focus to another line; each line keeps the selection it had, so coming back finds it.
    static func focus(_ line: Int, _ state: inout ExplorerState) {
        if state.focusedLine < state.lines.count { state.lines[state.focusedLine].savedSelection = state.selection }
        state.focusedLine = line
        state.selection = state.lines[line].savedSelection ?? state.selection
        clampSelection(&state)
    }

    /// Alt-B and Alt-F move by word while typing; no other Alt combination means anything.
    static func hasAltBinding(_ character: Character, _ state: ExplorerState) -> Bool {
        state.mode == .typing && state.exportDialog == nil && state.languageEditor == nil && state.helpPage == nil
            && (character == "b" || character == "f")
    }

    /// q quits at once when nothing would be lost; with pins or several lines it asks first, once.
    private static func quitOrAsk(_ state: inout ExplorerState, asked: Bool) {
        let lines = state.lines.count, pins = state.pins.count
        if asked || (pins == 0 && lines < 2) {
            state.quit = true
            return
        }
        var lost = [String]()
        if lines > 1 { lost.append("\(lines) lines") }
        if pins > 0 { lost.append("\(pins) pin\(pins == 1 ? "" : "s")") }
        state.confirmingQuit = true
        state.message = "quit and lose \(lost.joined(separator: " and "))? q quits, any other key stays"
    }

    private static func baselineIfNeeded(_ state: ExplorerState) -> [ExplorerEffect] {
        state.baselines[state.baselineKey] == nil ? [.computeBaseline(state.baselineKey)] : []
    }

    private static func moveSelection(_ step: Int, _ state: inout ExplorerState) {
        state.selection = max(0, state.selection + step)
        clampSelection(&state)
    }

    static func clampSelection(_ state: inout ExplorerState) {
        let count = rowCount(state)
        state.selection = max(0, min(state.selection, count - 1))
    }

    /// Rows in the tokens list: tokens, or words of the focused line.
    static func rowCount(_ state: ExplorerState) -> Int {
        state.showWords ? state.focused.words.words.count : state.focused.encoding.count
    }

    /// The words of a line's text from `source`, by the path `similarity` takes (`WordPieces`). ICU has no
    /// reason to fail on a valid string; if it ever does, the line shows no words rather than stopping.
    static func words(of encoding: Encoding, _ source: WordSource) -> WordPieces {
        (try? WordPieces(encoding: encoding, source: source)) ?? WordPieces(encoding: encoding, sequence: 0, segments: [])
    }

    /// Pins the selected word (words mode) or the selected piece alone (pieces mode).
    private static func pinSelection(_ state: inout ExplorerState) -> [ExplorerEffect] {
        guard let embedded = state.focused.embedded, let vectorWords = state.focused.vectorWords, !state.focused.isStale else {
            state.message = "vectors are still being computed; pin again in a moment"
            return []
        }
        let words = vectorWords.words
        let encoding = embedded.encoding
        let pin: Pin
        if state.showWords {
            guard state.selection < words.count else {
                state.message = "select a word to pin"
                return []
            }
            let word = words[state.selection]
            pin = Pin(unit: .word, word: word.text, containingWord: word.text, line: state.focusedLine, language: state.focused.language,
                      wordIndex: word.index, span: word.span, sentence: encoding.texts[0], layer: state.layer, pooling: state.pooling,
                      precision: state.precision, model: state.activeModel,
                      vector: embedded.wordVector(word, layer: state.layer, pooling: state.pooling))
        } else {
            guard let owner = vectorWords.pieceWords[safe: state.selection] ?? nil, let word = words.first(where: { $0.index == owner }) else {
                state.message = state.selection < encoding.count && !encoding.specialTokensMask[state.selection]
                    ? "piece \"\(encoding.tokens[state.selection])\" belongs to no word (spaces and punctuation are not words; W: the tokenizer's words)"
                    : "select a piece to pin (the special tokens around the text belong to no word)"
                return []
            }
            pin = Pin(unit: .piece, word: encoding.tokens[state.selection], containingWord: word.text, line: state.focusedLine,
                      language: state.focused.language, wordIndex: word.index, tokenIndex: state.selection,
                      span: encoding.offsets[state.selection], sentence: encoding.texts[0], layer: state.layer, pooling: .first,
                      precision: state.precision, model: state.activeModel, vector: embedded.pieceVector(state.selection, layer: state.layer))
        }
        if state.pins.contains(pin) {
            state.message = "\"\(pin.word)\" at \(pin.span.start)..<\(pin.span.end) of line \(pin.line + 1) is already pinned at \(pin.layer)"
            return []
        }
        state.pins.append(pin)
        PinComparison.refresh(&state)
        // Centring a pin needs the centroid of its layer and pooling (a piece's: first-piece pooling).
        let effects: [ExplorerEffect] = state.baselines[pin.baselineKey] == nil ? [.computeBaseline(pin.baselineKey)] : []
        state.message = "pinned \(pin.unit == .piece ? "piece" : "word") \"\(pin.word)\" (\(state.pins.count) pin\(state.pins.count == 1 ? "" : "s"))"
        return effects
    }

    private static func click(row: Int, column: Int, _ state: inout ExplorerState) -> [ExplorerEffect] {
        let layout = Layout(state)
        if row >= layout.bodyTop && row < layout.bodyTop + layout.bodyHeight && column < layout.listWidth {
            let index = layout.listScroll(state) + (row - layout.bodyTop - 1)
            if index >= 0 && index < rowCount(state) { state.selection = index }
        } else if row >= layout.inputTop && row < layout.inputTop + layout.inputRows {
            focus(layout.inputScroll + row - layout.inputTop, &state)
            state.mode = .typing
        }
        return []
    }

    // MARK: Language label

    /// Edits the focused line's language label: Enter keeps it (empty removes it), Esc leaves it as it was.
    private static func handleLanguageEditor(_ key: Key, _ state: inout ExplorerState) {
        guard var editor = state.languageEditor else { return }
        switch key {
        case .escape:
            state.languageEditor = nil
            return
        case .enter:
            let label = editor.text.trimmingCharacters(in: .whitespaces)
            let language = label.isEmpty ? nil : label
            state.lines[state.focusedLine].language = language
            // The pins taken from this line's text are in that language too.
            for index in state.pins.indices where state.pins[index].line == state.focusedLine && state.pins[index].sentence == state.focused.editor.text {
                state.pins[index].language = language
            }
            state.languageEditor = nil
            state.message = label.isEmpty ? "line \(state.focusedLine + 1) has no language label" : "line \(state.focusedLine + 1) is \(label)"
            return
        case .character(let character) where !character.isWhitespace || !editor.text.isEmpty: editor.insert(String(character))
        case .paste(let text): editor.insert(text.filter { !$0.isNewline && $0 != "\t" })
        case .backspace: editor.deleteBackward()
        case .left: editor.moveLeft()
        case .right: editor.moveRight()
        case .control("u"): editor.killToStart()
        default: break
        }
        state.languageEditor = editor
    }

    // MARK: Export dialog

    private static func handleExportDialog(_ key: Key, _ state: inout ExplorerState) -> [ExplorerEffect] {
        guard var dialog = state.exportDialog else { return [] }
        defer { if state.exportDialog != nil { state.exportDialog = dialog } }
        if dialog.confirmingOverwrite {
            switch key {
            case .character("y"), .character("Y"):
                dialog.confirmingOverwrite = false
                return [.export(path: dialog.path.text, format: dialog.format, overwrite: true)]
            default:
                dialog.confirmingOverwrite = false
                state.message = "kept the existing file"
                return []
            }
        }
        switch key {
        case .escape:
            state.exportDialog = nil
        case .tab, .down:
            dialog.formatIndex = (dialog.formatIndex + 1) % ExportDialog.formats.count
            dialog.path.setText(renamed(dialog.path.text, to: dialog.format))
        case .backTab, .up:
            dialog.formatIndex = (dialog.formatIndex + ExportDialog.formats.count - 1) % ExportDialog.formats.count
            dialog.path.setText(renamed(dialog.path.text, to: dialog.format))
        case .enter:
            guard !dialog.path.text.isEmpty else { return [] }
            return [.export(path: dialog.path.text, format: dialog.format, overwrite: false)]
        case .character(let character): dialog.path.insert(String(character))
        case .paste(let text): dialog.path.insert(text.filter { !$0.isNewline })
        case .backspace: dialog.path.deleteBackward()
        case .left: dialog.path.moveLeft()
        case .right: dialog.path.moveRight()
        case .home, .control("a"): dialog.path.moveHome()
        case .end, .control("e"): dialog.path.moveEnd()
        case .control("u"): dialog.path.killToStart()
        case .control("k"): dialog.path.killToEnd()
        default: break
        }
        return []
    }

    /// How a file of each format is named: its extension, or a folder's ending for the Projector.
    static func ending(of format: String) -> String {
        switch format {
        case "projector": return "-projector"
        case "spark": return ".spark.json"
        default: return "." + format
        }
    }

    /// The path with the ending of the chosen format. The longest known ending is the one replaced
    /// (".spark.json" rather than ".json"), so going through the formats never stacks them.
    static func renamed(_ path: String, to format: String) -> String {
        let endings = ExportDialog.formats.map(ending).sorted { $0.count > $1.count }
        let base = endings.first { path.hasSuffix($0) }.map { String(path.dropLast($0.count)) } ?? path
        return base + ending(of: format)
    }
}
