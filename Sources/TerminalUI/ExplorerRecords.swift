import Embeddings
import Export

/// What an export from the explorer writes: the vectors as the screen compares them (centred when centring
/// is on), labelled with everything the screen said about them.
public enum ExplorerExport {
    /// The pins; without pins, every word of the focused line (the explorer's words) at the current layer and pooling.
    public static func records(_ state: ExplorerState) -> [VectorRecord] {
        if !state.pins.isEmpty {
            return state.pins.map { pin in
                let (vector, centred) = PinComparison.comparedVector(pin, state)
                return VectorRecord(
                    text: pin.word, word: pin.containingWord, sentence: pin.sentence, sentenceIndex: pin.line,
                    tokenIndex: pin.tokenIndex, wordIndex: pin.wordIndex, language: pin.language,
                    layer: pin.layer.exportLabel, pooling: pin.unit == .piece ? "none" : pin.pooling.rawValue, vector: vector,
                    span: pin.span, isWordStart: pin.unit == .word || !pin.word.hasPrefix("##"),
                    provenance: provenance(state, model: pin.model, centred: centred))
            }
        }
        guard let embedded = state.focused.embedded, let words = state.focused.vectorWords else { return [] }
        let centroid = state.centre ? state.baseline?.centroid : nil
        return VectorRecord.words(of: embedded, words: words.words, sentenceIndex: state.focusedLine, layers: [state.layer], pooling: state.pooling,
                                  language: state.focused.language).map { record in
            var record = record
            if let centroid, centroid.count == record.vector.count { record.vector = VectorMath.subtract(record.vector, centroid) }
            record.provenance = provenance(state, model: state.activeModel, centred: centroid?.count == record.vector.count)
            return record
        }
    }

    /// `model`: the index of the model the vectors came from (a pin's own).
    private static func provenance(_ state: ExplorerState, model: Int, centred: Bool) -> VectorRecord.Provenance {
        VectorRecord.Provenance(model: state.models[model].name, tokenizer: ExplorerView.tokenizerLabel(state, model: model),
                                centring: centred ? "centred" : "raw")
    }
}
