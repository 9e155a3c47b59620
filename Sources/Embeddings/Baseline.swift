import BertEngine
import Tokenization

/// What a cosine means for this model: the mean cosine between words of unrelated sentences, and the
/// mean vector to subtract when centring. BERT's vectors share a common direction, so raw cosines of
/// unrelated words are far above 0; a number is only telling next to this baseline.
public struct Baseline: Sendable {
    public var layer: LayerChoice
    public var pooling: Pooling
    /// Mean cosine of word pairs drawn from different sentences.
    public var meanCosine: Double
    /// The same after centring.
    public var centredMeanCosine: Double
    /// The mean word vector, subtracted when centring.
    public var centroid: [Float]

    /// The baseline of unrelated `sentences` (Resources/baseline.tsv, through ResourceFolder).
    /// `throughLayer` stops the passes early when `layer` reads no higher.
    public init(sentences: [String], tokenizer: any TextTokenizer, model: BertModel, layer: LayerChoice, pooling: Pooling,
                throughLayer: Int? = nil, threads: Int = 1) throws {
        let texts = try sentences.map { try EmbeddedText($0, tokenizer: tokenizer, model: model, throughLayer: throughLayer, threads: threads) }
        self.init(texts: texts, layer: layer, pooling: pooling)
    }

    /// The baseline from already embedded reference texts.
    public init(texts: [EmbeddedText], layer: LayerChoice, pooling: Pooling) {
        let groups = texts.map { text in text.words().map { text.wordVector($0, layer: layer, pooling: pooling) } }
        let all = groups.flatMap { $0 }
        let centroid = VectorMath.centroid(all)
        func meanAcrossSentences(_ groups: [[[Float]]]) -> Double {
            var sum = 0.0
            var count = 0
            for i in groups.indices {
                for j in groups.indices where j > i {
                    for a in groups[i] { for b in groups[j] { sum += VectorMath.cosine(a, b); count += 1 } }
                }
            }
            return count > 0 ? sum / Double(count) : 0
        }
        self.layer = layer
        self.pooling = pooling
        self.centroid = centroid
        meanCosine = meanAcrossSentences(groups)
        centredMeanCosine = meanAcrossSentences(groups.map { $0.map { VectorMath.subtract($0, centroid) } })
    }
}
