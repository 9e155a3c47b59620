/// Every piece of a Unigram vocabulary in a trie over Unicode scalars, so that all pieces starting at a
/// position are found in one walk bounded by the longest piece.
///
/// Edges live in one open-addressing hash table keyed by (parent node, scalar): 250,002 pieces make about
/// 505,000 nodes, built in a single pass without sorting.
struct PieceTrie: Sendable {
    /// Packed `parent << 21 | scalar` of each slot's edge.
    private var edgeKeys: [UInt64]
    /// The child node of each slot; 0 marks an empty slot (the root is nobody's child).
    private var edgeChildren: [Int32]
    /// The piece id that ends at each node, or -1.
    private var pieceAtNode: [Int32]
    private let slotMask: Int
    private let hashShift: UInt64

    init(pieces: [String]) {
        // Twice the worst-case node count keeps probe sequences short.
        let scalarTotal = pieces.reduce(0) { $0 + $1.unicodeScalars.count }
        var capacity = 1024
        while capacity < scalarTotal * 2 { capacity <<= 1 }
        edgeKeys = Array(repeating: 0, count: capacity)
        edgeChildren = Array(repeating: 0, count: capacity)
        slotMask = capacity - 1
        hashShift = UInt64(64 - capacity.trailingZeroBitCount)
        pieceAtNode = [-1]
        pieceAtNode.reserveCapacity(scalarTotal + 1)
        for (id, piece) in pieces.enumerated() where !piece.isEmpty {
            var node: Int32 = 0
            for scalar in piece.unicodeScalars { node = childInserting(node, scalar.value) }
            // A repeated piece resolves to its last id, as in Hugging Face's vocabulary map.
            pieceAtNode[Int(node)] = Int32(id)
        }
    }

    @inline(__always)
    private func slot(_ key: UInt64) -> Int { Int(truncatingIfNeeded: (key &* 0x9E37_79B9_7F4A_7C15) >> hashShift) }

    private mutating func childInserting(_ parent: Int32, _ scalar: UInt32) -> Int32 {
        let key = UInt64(parent) << 21 | UInt64(scalar)
        var index = slot(key)
        while edgeChildren[index] != 0 {
            if edgeKeys[index] == key { return edgeChildren[index] }
            index = (index + 1) & slotMask
        }
        let child = Int32(pieceAtNode.count)
        pieceAtNode.append(-1)
        edgeKeys[index] = key
        edgeChildren[index] = child
        return child
    }

    /// The node reached from `parent` by `scalar`, or `nil` when no piece continues that way.
    @inline(__always)
    func child(_ parent: Int32, _ scalar: UInt32) -> Int32? {
        let key = UInt64(parent) << 21 | UInt64(scalar)
        var index = slot(key)
        while true {
            let child = edgeChildren[index]
            if child == 0 { return nil }
            if edgeKeys[index] == key { return child }
            index = (index + 1) & slotMask
        }
    }

    static let root: Int32 = 0

    /// The id of the piece spelled by the path to `node`, if one ends there.
    @inline(__always)
    func piece(at node: Int32) -> Int? {
        let id = pieceAtNode[Int(node)]
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
