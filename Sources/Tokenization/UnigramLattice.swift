/// Every piece of a Unigram vocabulary in a trie over Unicode scalars, so that all pieces starting at a
/// position are found in one walk bounded by the longest piece.
///
/// The trie is one open-addressing hash table of edges keyed by (parent node, scalar), and a node is the
/// slot of the edge that leads to it: a slot is 8 bytes, so the table stays small enough to be built in one
/// pass over the pieces (XLM-R's 250,002 pieces make about 505,000 nodes) without sorting them.
struct PieceTrie: Sendable {
    /// Packed `(parent + 1) << 21 | scalar` of the edge in each slot; 0 marks an empty slot.
    private var edgeKeys: [UInt64] = []
    /// The piece id that ends at each node (slot), or -1.
    private var pieceAtNode: [Int32] = []
    private var hashShift: UInt64 = 0

    static let root = -1

    init(pieces: [String]) {
        // XLM-R has about two nodes per piece; a vocabulary with more starts again in a larger table.
        var slots = 1024
        while slots < pieces.count * 4 { slots <<= 1 }
        while !build(pieces, slots: slots) { slots <<= 1 }
    }

    /// Fills a table of `slots` slots; false if it would get more than half full, which keeps probe
    /// sequences short.
    private mutating func build(_ pieces: [String], slots: Int) -> Bool {
        edgeKeys = Array(repeating: 0, count: slots)
        pieceAtNode = Array(repeating: -1, count: slots)
        hashShift = UInt64(64 - slots.trailingZeroBitCount)
        var nodeCount = 0
        for (id, piece) in pieces.enumerated() where !piece.isEmpty {
            var node = Self.root
            for scalar in piece.unicodeScalars {
                let key = Self.key(node, scalar.value)
                var index = slot(key)
                while edgeKeys[index] != 0 && edgeKeys[index] != key { index = (index + 1) & (slots - 1) }
                if edgeKeys[index] == 0 {
                    nodeCount += 1
                    if nodeCount * 2 > slots { return false }
                    edgeKeys[index] = key
                }
                node = index
            }
            // A repeated piece resolves to its last id, as in Hugging Face's vocabulary map.
            pieceAtNode[node] = Int32(id)
        }
        return true
    }

    @inline(__always)
    private static func key(_ parent: Int, _ scalar: UInt32) -> UInt64 { UInt64(parent + 1) << 21 | UInt64(scalar) }

    @inline(__always)
    private func slot(_ key: UInt64) -> Int { Int(truncatingIfNeeded: (key &* 0x9E37_79B9_7F4A_7C15) >> hashShift) }

    /// The node reached from `parent` by `scalar`, or `nil` when no piece continues that way.
    @inline(__always)
    func child(_ parent: Int, _ scalar: UInt32) -> Int? {
        let key = Self.key(parent, scalar)
        var index = slot(key)
        while true {
            let found = edgeKeys[index]
            if found == key { return index }
            if found == 0 { return nil }
            index = (index + 1) & (edgeKeys.count - 1)
        }
    }

    /// The id of the piece spelled by the path to `node`, if one ends there.
    @inline(__always)
    func piece(at node: Int) -> Int? {
        let id = pieceAtNode[node]
        return id < 0 ? nil : Int(id)
    }
}

/// One piece of a word's best segmentation, in scalars of the word.
struct UnigramPiece {
    var id: Int
    var start: Int
    var end: Int
    /// Sum of the log probabilities of what it covers; unknown runs add the unknown score per character.
    var score: Double
    /// An unknown run: characters no single-character piece covers (and any typed `<unk>`), fused.
    var isUnknown: Bool
}

/// Viterbi over the pieces of a trie, as Hugging Face's Unigram model does it.
struct UnigramSegmenter: Sendable {
    let trie: PieceTrie
    let scores: [Double]
    let unknownTokenId: Int
    /// Score of a character no single-character piece covers: the lowest piece score minus 10.
    let unknownScore: Double

    /// The best segmentation of `word` (Metaspace-marked scalars).
    ///
    /// Ties keep the candidate that starts earliest: positions are relaxed left to right and only a strictly
    /// better score replaces an end position's best, which is the order Hugging Face's lattice visits them in.
    /// Consecutive unknowns are fused into one unknown piece, like Hugging Face and SentencePiece.
    func segment(_ word: ArraySlice<UInt32>) -> [UnigramPiece] {
        let count = word.count
        let base = word.startIndex
        var bestScore = [Double](repeating: 0, count: count + 1)
        var bestStart = [Int](repeating: -1, count: count + 1)
        var bestId = [Int](repeating: 0, count: count + 1)
        var bestPieceScore = [Double](repeating: 0, count: count + 1)
        func relax(end: Int, start: Int, id: Int, score: Double) {
            let candidate = bestScore[start] + score
            if bestStart[end] < 0 || candidate > bestScore[end] {
                bestScore[end] = candidate
                bestStart[end] = start
                bestId[end] = id
                bestPieceScore[end] = score
            }
        }
        for start in 0..<count {
            var node = PieceTrie.root
            var end = start
            var coversOneCharacter = false
            while end < count, let next = trie.child(node, word[base + end]) {
                node = next
                end += 1
                if let id = trie.piece(at: node) {
                    relax(end: end, start: start, id: id, score: scores[id])
                    if end == start + 1 { coversOneCharacter = true }
                }
            }
            if !coversOneCharacter { relax(end: start + 1, start: start, id: unknownTokenId, score: unknownScore) }
        }

        var reversed = [UnigramPiece]()
        var end = count
        while end > 0 {
            let start = bestStart[end]
            let id = bestId[end]
            let score = bestPieceScore[end]
            if id == unknownTokenId, let last = reversed.last, last.isUnknown {
                reversed[reversed.count - 1].start = start
                reversed[reversed.count - 1].score += score
            } else {
                reversed.append(UnigramPiece(id: id, start: start, end: end, score: score, isUnknown: id == unknownTokenId))
            }
            end = start
        }
        return reversed.reversed()
    }
}
