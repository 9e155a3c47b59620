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

    /// Short unrelated sentences in several languages and scripts.
    public static let referenceSentences = [
        "The train leaves at seven tomorrow morning.",
        "Die Katze schläft auf dem warmen Sofa.",
        "El mercado abre los domingos por la mañana.",
        "Il pleut depuis trois jours sur la ville.",
        "Мы купили новый холодильник вчера.",
        "我的朋友喜欢在公园里跑步。",
        "東京の天気は明日晴れるでしょう。",
        "도서관은 오후 여섯 시에 문을 닫습니다.",
        "الطائرة وصلت متأخرة بسبب العاصفة.",
        "वह हर सुबह चाय पीता है।",
        "Η θάλασσα ήταν πολύ ήσυχη σήμερα.",
        "Prices of copper rose sharply last quarter.",
    ]

    public init(tokenizer: any TextTokenizer, model: BertModel, layer: LayerChoice, pooling: Pooling, threads: Int = 1) throws {
        let texts = try Self.referenceSentences.map { try EmbeddedText($0, tokenizer: tokenizer, model: model, threads: threads) }
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
