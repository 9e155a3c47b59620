/// Reference links of one sentence pair, as word alignment gold data writes them: `i-j` sure, `ipj` possible.
public struct GoldAlignment: Sendable, Hashable {
    public struct Pair: Sendable, Hashable {
        public var source: Int
        public var target: Int
        public init(_ source: Int, _ target: Int) {
            self.source = source
            self.target = target
        }
    }

    public var sure: Set<Pair>
    /// The possible links, the sure ones included (Och & Ney: S ⊆ P).
    public var possible: Set<Pair>

    public struct ParseError: Error, CustomStringConvertible {
        public var description: String
    }

    /// Parses a whitespace-separated list of links; `oneBased` for files that count words from 1. Every word
    /// number must be below `sourceWords` / `targetWords`.
    public init(_ line: Substring, oneBased: Bool, sourceWords: Int, targetWords: Int) throws {
        sure = []
        possible = []
        let base = oneBased ? 1 : 0
        for item in line.split(whereSeparator: \.isWhitespace) {
            let isSure = item.contains("-")
            let parts = item.split(separator: isSure ? "-" : "p", omittingEmptySubsequences: false)
            guard parts.count == 2, let source = Int(parts[0]), let target = Int(parts[1]) else {
                throw ParseError(description: "\"\(item)\" is not a link (i-j for sure, ipj for possible)")
            }
            let pair = Pair(source - base, target - base)
            guard (0..<sourceWords).contains(pair.source), (0..<targetWords).contains(pair.target) else {
                throw ParseError(description: "link \"\(item)\" is out of range: the source has \(sourceWords) words, "
                                 + "the target \(targetWords) (numbered from \(base))")
            }
            if isSure { sure.insert(pair) }
            possible.insert(pair)
        }
    }
}

/// Precision, recall, F1 and alignment error rate (Och & Ney 2003) over a corpus, counts summed over the pairs:
/// precision = |A∩P|/|A|, recall = |A∩S|/|S|, AER = 1 − (|A∩S| + |A∩P|)/(|A| + |S|).
public struct AlignmentScore: Sendable, Hashable {
    public private(set) var predicted = 0
    public private(set) var sure = 0
    public private(set) var predictedSure = 0
    public private(set) var predictedPossible = 0

    public init() {}

    public mutating func add(_ links: [AlignmentLink], gold: GoldAlignment) {
        let pairs = Set(links.map { GoldAlignment.Pair($0.source, $0.target) })
        predicted += pairs.count
        sure += gold.sure.count
        predictedSure += pairs.intersection(gold.sure).count
        predictedPossible += pairs.intersection(gold.possible).count
    }

    /// 0 when nothing was predicted.
    public var precision: Double { predicted == 0 ? 0 : Double(predictedPossible) / Double(predicted) }
    /// 0 when the gold has no sure link.
    public var recall: Double { sure == 0 ? 0 : Double(predictedSure) / Double(sure) }
    public var f1: Double { precision + recall == 0 ? 0 : 2 * precision * recall / (precision + recall) }
    /// 1 when there is nothing to compare (no prediction and no sure link).
    public var alignmentErrorRate: Double {
        predicted + sure == 0 ? 1 : 1 - Double(predictedSure + predictedPossible) / Double(predicted + sure)
    }
}
