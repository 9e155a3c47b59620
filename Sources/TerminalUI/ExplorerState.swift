import BertEngine
import Embeddings
import Export
import ResourceFiles
import Tokenization

/// The right-hand panes of the explorer; each is described (title, keys, drawing) in `ExplorerPanes`.
public enum Pane: Int, Sendable, CaseIterable {
    case vector, similarity, compare, pins, why, attention

    public var title: String { ExplorerPanes.description(of: self).title }
}

/// Typing edits the focused input line; browsing turns letters into commands.
public enum InputMode: Sendable {
    case typing, browsing
}

/// What one model makes of a line's text: its pieces, its words and its vectors. A line holds one per model
/// loaded (`ExplorerState.models`, in the order of `--model`).
public struct LineModelState: Sendable {
    /// The tokenization of the current text: recomputed on every keystroke.
    public var encoding: Encoding
    /// The words of `encoding` (the words list's rows), from the explorer's word source: made with the
    /// encoding, not on every frame.
    public var words: WordPieces
    /// The pieces, unknown pieces and linguistic words of the text, made with the encoding (the models row).
    public var counts: PieceCounts
    /// The words of `embedded`'s encoding (the words the vectors are pooled into), made when the vectors arrive.
    public var vectorWords: WordPieces?
    /// Vectors of the most recent text the encoder finished; may be for an older text (stale).
    public var embedded: EmbeddedText?
    /// Increases with each text sent to the encoder (for a model not on screen: each text it would have been
    /// sent); results for older generations are dropped.
    public var generation = 0
    /// Where the model stops reading the text (a Unicode scalar offset) when it is longer than the model's
    /// positions; nil when the model reads it all. Set with the encoding.
    public var unreadFrom: Int?
    /// Set while vectors with attention are being computed for this line.
    public var attentionRequested = false
    /// The generation `embedded` was computed for: what derived data is kept in step with.
    public var vectorsGeneration: Int?

    public init(encoding: Encoding, words source: WordSource) {
        self.encoding = encoding
        words = ExplorerReducer.words(of: encoding, source)
        counts = PieceCounts(encoding, linguisticWords: source == .linguistic ? words : nil)
        // The end of the last piece the model reads: the text after it has no pieces and no vectors.
        unreadFrom = encoding.truncation.isTruncated
            ? encoding.offsets.indices.filter { encoding.sequenceIds[$0] != nil }.map { encoding.offsets[$0].end }.max() ?? 0 : nil
    }

    /// A new encoding of the line's text, and what is made with it; the vectors stay until new ones arrive.
    mutating func retokenize(_ encoding: Encoding, words source: WordSource) {
        let fresh = LineModelState(encoding: encoding, words: source)
        self.encoding = fresh.encoding
        words = fresh.words
        counts = fresh.counts
        unreadFrom = fresh.unreadFrom
    }
}

/// One input line and what is known about its text: the text, and what each model makes of it.
@dynamicMemberLookup
public struct InputLine: Sendable {
    public var editor = LineEditor()
    /// One per model, in the order of `ExplorerState.models`.
    public var models: [LineModelState]
    /// The model the panes show (`ExplorerState.activeModel`, which sets it on every line).
    public internal(set) var activeModel = 0

    /// A language label the person gave the line ("de"), carried into exports.
    public var language: String?
    /// The list selection this line had when another line took the focus, given back when it returns.
    public var savedSelection: Int?

    /// The active model's part of the line.
    public var active: LineModelState {
        get { models[activeModel] }
        set { models[activeModel] = newValue }
    }
    /// The active model's parts, read and written as the line's own (`line.encoding`, `line.embedded`, ...).
    public subscript<Value>(dynamicMember part: WritableKeyPath<LineModelState, Value>) -> Value {
        get { active[keyPath: part] }
        set { active[keyPath: part] = newValue }
    }

    /// True when the vectors shown are not for the text on screen.
    public var isStale: Bool { active.embedded?.encoding.texts.first != editor.text }

    /// A line of one model.
    public init(encoding: Encoding, words source: WordSource) {
        self.init(encodings: [encoding], words: source, activeModel: 0)
    }

    /// A line with each model's encoding of its text.
    public init(encodings: [Encoding], words source: WordSource, activeModel: Int) {
        models = encodings.map { LineModelState(encoding: $0, words: source) }
        self.activeModel = activeModel
    }
}

/// A word, or a single piece, pinned for comparison: its vector at the layer and pooling of the moment.
/// A pin is the thing at one place of one line's text, so the second "the" of a sentence is a pin of its own.
public struct Pin: Sendable, Equatable {
    /// A word pools its pieces; a piece is pinned alone (pieces mode).
    public enum Unit: Sendable, Equatable { case word, piece }
    public var unit: Unit
    /// The word, or the piece as the tokenizer spells it ("##s", "▁bank").
    public var word: String
    /// The word the pinned text belongs to (the word itself for a word pin).
    public var containingWord: String
    /// The explorer's line (from 0) the text was on when pinned.
    public var line: Int
    /// That line's language label (set again when the line's label changes while its text stays).
    public var language: String?
    /// The word's number in its line (for a piece, its word's).
    public var wordIndex: Int
    /// The piece's position in the encoding, for a piece pin.
    public var tokenIndex: Int?
    /// Where the pinned text stands in `sentence`, in Unicode scalars.
    public var span: TextSpan
    public var sentence: String
    public var layer: LayerChoice
    /// How the word's pieces were pooled; a piece has no pooling of its own and is centred like a word
    /// pooled by its first piece (`.first`).
    public var pooling: Pooling
    /// The precision the vector was computed at.
    public var precision: Precision = .f32
    /// The model the vector was computed with (its index in `ExplorerState.models`): pins of two models have no
    /// cosine between them.
    public var model = 0
    public var vector: [Float]

    public var label: String {
        "\(word) · \(layer) · \(unit == .piece ? "piece" : pooling.rawValue)" + (precision == .f32 ? "" : " · \(precision.rawValue)")
    }
    /// The baseline (and centroid) that belongs to this pin's model, layer, pooling and precision.
    public var baselineKey: BaselineKey { BaselineKey(layer: layer, pooling: pooling, precision: precision, model: model) }

    /// The same place of the same text, at the same layer and pooling, of the same model.
    public static func == (a: Pin, b: Pin) -> Bool {
        a.line == b.line && a.sentence == b.sentence && a.span == b.span && a.unit == b.unit && a.layer == b.layer
            && a.pooling == b.pooling && a.precision == b.precision && a.model == b.model
    }
}

/// The export dialog: pick a format, edit the path, confirm overwriting.
public struct ExportDialog: Sendable {
    public static let formats = ExportFormat.vectorFormats.map(\.rawValue)
    public var formatIndex = 0
    public var path = LineEditor(text: "bertscope-export.json")
    /// Set when the file exists and the person must confirm replacing it.
    public var confirmingOverwrite = false
    public var format: String { Self.formats[formatIndex] }
}

/// What the export writes: the pins, or the focused line's words when nothing is pinned.
public struct ExportRequest: Sendable {
    public var format: ExportFormat
    public var path: String
    public var overwrite: Bool
    public var records: [VectorRecord]
}

/// Facts about the loaded model for the status bar.
public struct ModelFacts: Sendable {
    public var name: String
    /// Why this model is the one in use, in a sentence (help screen).
    public var reason: String
    /// The same in a word or two for the header ("offline default"); empty when --model named it.
    public var origin: String
    public var layerCount: Int
    public var hiddenSize: Int
    public var hasPooler: Bool
    /// WordPiece has dialects to switch between; SentencePiece has one behaviour.
    public var tokenizerFamily: TokenizerFamily
    /// A sentence-transformers folder's own pooling (modules.json): Compare gives the model's own sentence cosine too.
    public var sentenceModules: SentenceModules?

    public init(name: String, reason: String, origin: String = "", layerCount: Int, hiddenSize: Int, hasPooler: Bool,
                tokenizerFamily: TokenizerFamily = .wordPiece) {
        self.name = name
        self.reason = reason
        self.origin = origin
        self.layerCount = layerCount
        self.hiddenSize = hiddenSize
        self.hasPooler = hasPooler
        self.tokenizerFamily = tokenizerFamily
    }
}

/// Everything the explorer shows, as one value: `render(state)` draws it, `ExplorerReducer` changes it.
public struct ExplorerState: Sendable {
    /// The models loaded (`--model` once or more), each with its facts; every line holds each one's pieces.
    public var models: [ModelFacts]
    /// The model the vector panes show (M switches); the header names it.
    public var activeModel = 0 {
        didSet { for index in lines.indices { lines[index].activeModel = activeModel } }
    }
    /// The active model's facts.
    public var model: ModelFacts {
        get { models[activeModel] }
        set { models[activeModel] = newValue }
    }
    public var dialect: Dialect = .hf
    /// What the encoder's linear weights compute in (b switches); at bf16 or int8 every line's f32 vectors come
    /// too, so the Vector pane can say how far the precision moved them.
    public var precision: Precision = .f32
    public var lines: [InputLine]
    public var focusedLine = 0
    public var mode: InputMode = .typing
    public var pane: Pane = .vector
    /// Pieces or words in the tokens list.
    public var showWords = false
    /// What a word is in words mode, Compare, pins and exports: ICU's linguistic words (the default), or the
    /// tokenizer's own words (what the model saw).
    public var wordSource: WordSource = .linguistic
    /// Selected row of the tokens list (a token index, or a word index in word view); the first piece
    /// after [CLS] to begin with.
    public var selection = 1
    /// The Attention pane's layer, head and view.
    public var attention = AttentionChoice()
    /// How Compare aligns the focused line's words with the next line's (SimAlign's methods, piece level).
    public var alignmentMethod: AlignmentMethod = .argmax
    /// Column cursor in the similarity and compare heatmaps.
    public var matrixColumn = 0
    public var layer: LayerChoice
    public var pooling: Pooling = .mean
    public var centre = false
    public var pins: [Pin] = []
    public var selectedPin = 0
    /// The help overlay's page (nil: closed): 0 the keys, 1 what each pane shows.
    public var helpPage: Int?
    public var showHelp: Bool { helpPage != nil }
    /// Set by a q that would lose pins or lines: the next q quits, any other key cancels.
    public var confirmingQuit = false
    /// The example sets X goes through (Resources/examples), and the one loaded last.
    public var examples: [ExampleSet] = []
    /// The active model's own pooling (a sentence-transformers folder's modules.json).
    public var sentenceModules: SentenceModules? {
        get { model.sentenceModules }
        set { model.sentenceModules = newValue }
    }
    public var loadedExample: Int?
    /// Set by an X that would replace lines of the person's own text: the next X replaces them, any other key cancels.
    public var confirmingExample = false
    /// The language-label editor for the focused line, while open.
    public var languageEditor: LineEditor?
    /// Cosines between every two pins (raw or centred as `centre` says), kept in step by the reducer so
    /// the screen does not recompute them on every frame.
    public var pinCosines: [[Double]] = []
    /// What the panes show that is computed from the vectors, kept in step by the reducer.
    public internal(set) var derived = DerivedData()
    /// The tokenizer trace of the selected word, for the Why pane.
    public var wordTrace: TracedWord?
    /// The trace of the focused text's words, kept until the text or the dialect changes: tracing a long
    /// text on every key would slow moving through its words.
    var tracedText: (text: String, dialect: Dialect, model: Int, words: [TracedWord])?
    public var exportDialog: ExportDialog?
    /// A one-line message for the status bar (results, errors).
    public var message: String?
    /// Baselines by layer and pooling, as they arrive.
    public var baselines: [BaselineKey: Baseline] = [:]
    /// Milliseconds the last forward pass took.
    public var lastLatency: Double?
    public var rows: Int
    public var columns: Int
    public var colors: ColorMode = .full
    public var quit = false
    /// Source of unique generations across lines, so a result can never be taken for another line's.
    public var generationCounter = 0

    public init(model: ModelFacts, rows: Int, columns: Int, emptyEncoding: Encoding) {
        self.init(models: [model], rows: rows, columns: columns, emptyEncodings: [emptyEncoding])
    }

    /// The explorer on several models, the first one active; `emptyEncodings` is each model's encoding of "".
    public init(models: [ModelFacts], rows: Int, columns: Int, emptyEncodings: [Encoding]) {
        precondition(!models.isEmpty && models.count == emptyEncodings.count, "one empty encoding per model")
        self.models = models
        self.rows = rows
        self.columns = columns
        layer = .layer(models[0].layerCount)
        lines = [InputLine(encodings: emptyEncodings, words: .linguistic, activeModel: 0)]
    }

    public var focused: InputLine { lines[focusedLine] }

    public var baseline: Baseline? { baselines[baselineKey] }
    /// The baseline the current model, layer, pooling and precision compare with.
    public var baselineKey: BaselineKey { BaselineKey(layer: layer, pooling: pooling, precision: precision, model: activeModel) }

    /// The span of the selected row in the focused text.
    public var selectedSpan: TextSpan? {
        let encoding = focused.encoding
        if showWords {
            let words = focused.words.words
            return selection < words.count ? words[selection].span : nil
        }
        guard selection < encoding.count, encoding.sequenceIds[selection] != nil else { return nil }
        return encoding.offsets[selection]
    }
}

public struct BaselineKey: Sendable, Hashable {
    public var layer: LayerChoice
    public var pooling: Pooling
    /// The baseline's sentences run at the precision the vectors they are compared with ran at.
    public var precision: Precision = .f32
    /// And through the same model (its index in `ExplorerState.models`).
    public var model = 0
}

/// How many colours the terminal shows.
public enum ColorMode: Sendable {
    case full, basic, none
}

/// What the Attention pane shows: which layer and head, in which view.
public struct AttentionChoice: Sendable, Equatable {
    public enum View: String, Sendable, CaseIterable {
        /// The selected token's attention to every token, as bars (bertviz's head view).
        case bars
        /// One head's whole T x T matrix.
        case matrix
        /// Every layer x head: where the selected token's attention mostly goes (bertviz's model view).
        case heads
        /// Clark et al.'s statistics of every head of the layer, over the whole line.
        case statistics
    }

    /// 1...N.
    public var layer = 1
    /// From 0; nil shows the mean over the heads.
    public var head: Int?
    public var view: View = .bars
    /// The bars' values as numbers.
    public var showValues = false
    /// The bars show attention rollout (Abnar and Zuidema 2020) through the layer instead of one layer's attention.
    public var rollout = false
}
