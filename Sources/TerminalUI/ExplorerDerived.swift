import Embeddings

/// What the panes show that is computed from the vectors: computed once when what it depends on changes
/// (new vectors, the layer, pooling, centring, pieces or words, the pane), never on every frame, and only what
/// the pane on screen needs. The line's attention summary (word attention, means, rollout, head statistics)
/// is the one part too slow for the UI thread at a few hundred tokens: it is asked of the worker
/// (`ExplorerEffect.summarizeAttention`) and arrives as `ExplorerAction.attentionReady`.
public struct DerivedData: Sendable {
    /// Everything the similarity and comparison depend on: when it is unchanged, nothing is recomputed.
    struct Inputs: Equatable {
        var needs: Set<PaneNeed>
        var model: Int
        var focusedLine: Int
        var focusedVectors: Int?
        var nextLine: Int
        var nextVectors: Int?
        var layer: LayerChoice
        var pooling: Pooling
        var centroid: [Float]?
        var showWords: Bool
        var wordSource: WordSource
        var alignmentMethod: AlignmentMethod
    }

    /// Everything the attention summary depends on (nil while no open pane needs it): the layer and pooling
    /// do not change it.
    struct AttentionInputs: Equatable {
        var model: Int
        var focusedLine: Int
        var focusedVectors: Int?
        var showWords: Bool
        var wordSource: WordSource
        var rollout: Bool
    }

    var inputs: Inputs?
    var attentionInputs: AttentionInputs?
    /// The generation of the summary asked of the worker and not yet arrived; a result of any other
    /// generation is for inputs that have changed since, and is dropped.
    var pendingAttention: Int?
    /// The focused line's pieces (or words) and the cosine of every two.
    public var similarity: (labels: [String], matrix: [[Double]])?
    /// The focused line's words against the next line's (which line that is, and the comparison).
    public var comparison: (other: Int, CrossSimilarity)?
    /// The same two lines' word alignment (what `bertscope align --layer L --method M` gives), made with the comparison.
    public var alignment: WordAlignment?
    /// The two lines' cosine between the model's own sentence vectors (`sentenceModules`), made with the comparison.
    public var modelSentenceCosine: Double?
    /// The focused line's attention at the list's grain, while the Attention pane is open.
    var attention: LineAttention?
    /// Where the selected unit's attention goes in every head (focus[layer - 1][head]), and for which unit.
    var focus: (unit: Int, heads: [[AttentionFocus]])?

    /// Recomputes what changed; returns the attention summary to ask of the worker when that changed. Called by
    /// the reducer after every action.
    static func refresh(_ state: inout ExplorerState) -> [ExplorerEffect] {
        let next = (state.focusedLine + 1) % state.lines.count
        let needs = ExplorerPanes.description(of: state.pane).needs
        let inputs = Inputs(
            needs: needs, model: state.activeModel, focusedLine: state.focusedLine,
            focusedVectors: state.focused.vectorsGeneration, nextLine: next, nextVectors: state.lines[next].vectorsGeneration,
            layer: state.layer, pooling: state.pooling, centroid: state.centre ? state.baseline?.centroid : nil, showWords: state.showWords,
            wordSource: state.wordSource, alignmentMethod: state.alignmentMethod)
        if inputs != state.derived.inputs {
            state.derived.inputs = inputs
            state.derived.similarity = nil
            state.derived.comparison = nil
            state.derived.alignment = nil
            state.derived.modelSentenceCosine = nil
            if inputs.needs.contains(.similarity), let embedded = state.focused.embedded, let words = state.focused.vectorWords {
                let items = labelledVectors(embedded, words.words, inputs)
                state.derived.similarity = (items.map(\.0), VectorMath.cosineMatrix(items.map(\.1), items.map(\.1)))
            }
            // A line without words (empty, or only spaces) has no sentence vector to compare.
            if inputs.needs.contains(.comparison), next != state.focusedLine, let a = state.focused.embedded, let b = state.lines[next].embedded,
               let wordsA = state.focused.vectorWords?.words, let wordsB = state.lines[next].vectorWords?.words, !wordsA.isEmpty, !wordsB.isEmpty {
                state.derived.comparison = (next, CrossSimilarity(a, words: wordsA, b, words: wordsB, layer: inputs.layer, pooling: inputs.pooling,
                                                                  centroid: inputs.centroid))
                state.derived.alignment = WordAlignment(a, words: wordsA, b, words: wordsB, options: WordAlignmentOptions(
                    method: inputs.alignmentMethod, layer: inputs.layer, centroid: inputs.centroid))
                // The model's own pooling reads the last layer, whatever layer the pane shows (as `similarity` does).
                state.derived.modelSentenceCosine = state.sentenceModules.map { modules in
                    VectorMath.cosine(modules.sentenceVector(a.output.lastHiddenState), modules.sentenceVector(b.output.lastHiddenState))
                }
            }
        }
        let effects = refreshAttention(&state, needed: needs.contains(.attention))
        refreshFocus(&state)
        return effects
    }

    /// Drops the summary when its inputs change and asks the worker for the new one, under a new generation;
    /// until it arrives the pane says it is computing.
    private static func refreshAttention(_ state: inout ExplorerState, needed: Bool) -> [ExplorerEffect] {
        let inputs = needed ? AttentionInputs(model: state.activeModel, focusedLine: state.focusedLine, focusedVectors: state.focused.vectorsGeneration,
                                              showWords: state.showWords, wordSource: state.wordSource, rollout: state.attention.rollout) : nil
        guard inputs != state.derived.attentionInputs else { return [] }
        state.derived.attentionInputs = inputs
        state.derived.attention = nil
        state.derived.pendingAttention = nil
        guard let inputs, let embedded = state.focused.embedded, !embedded.output.attentions.isEmpty else { return [] }
        state.generationCounter += 1
        state.derived.pendingAttention = state.generationCounter
        let words = inputs.showWords ? state.focused.vectorWords?.words ?? [] : nil
        return [.summarizeAttention(generation: state.generationCounter, embedded, words: words, rollout: inputs.rollout)]
    }

    /// Takes the worker's summary if it is the one last asked for.
    static func attentionArrived(_ state: inout ExplorerState, generation: Int, _ attention: LineAttention?) {
        guard generation == state.derived.pendingAttention else { return }
        state.derived.pendingAttention = nil
        state.derived.attention = attention
        state.derived.focus = nil
        refreshFocus(&state)
    }

    /// The selected unit's focus in every head: recomputed when the selection moves (L x H rows, not T of them).
    private static func refreshFocus(_ state: inout ExplorerState) {
        guard let attention = state.derived.attention, let unit = attention.unitOfRow[safe: state.selection] else {
            state.derived.focus = nil
            return
        }
        if state.derived.focus?.unit != unit { state.derived.focus = (unit, attention.focus(of: unit)) }
    }

    /// Labels with their vectors (centred when centring is on) for a heatmap of one line.
    private static func labelledVectors(_ embedded: EmbeddedText, _ words: [Word], _ inputs: Inputs) -> [(String, [Float])] {
        var rows: [(String, [Float])]
        if inputs.showWords {
            rows = words.map { ($0.text, embedded.wordVector($0, layer: inputs.layer, pooling: inputs.pooling)) }
        } else {
            rows = (0..<embedded.encoding.count).map { (embedded.encoding.tokens[$0], embedded.pieceVector($0, layer: inputs.layer)) }
        }
        if let centroid = inputs.centroid, centroid.count == rows.first?.1.count {
            rows = rows.map { ($0.0, VectorMath.subtract($0.1, centroid)) }
        }
        return rows
    }
}
