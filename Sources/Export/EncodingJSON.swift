import Embeddings
import Tokenization

extension JSONWriter {
    /// Writes the fields of an `Encoding` (the `tokenize` schema) into the object being written.
    public mutating func encodingFields(_ encoding: Encoding) {
        key("input_ids"); ints(encoding.ids)
        key("tokens")
        beginArray()
        for token in encoding.tokens { string(token) }
        endArray()
        key("offsets"); spans(encoding.offsets)
        key("byte_offsets"); spans(encoding.byteOffsets)
        key("word_ids")
        beginArray()
        for word in encoding.wordIds { int(word) }
        endArray()
        key("token_type_ids"); ints(encoding.typeIds)
        key("sequence_ids")
        beginArray()
        for sequence in encoding.sequenceIds { int(sequence) }
        endArray()
        key("special_tokens_mask"); ints(encoding.specialTokensMask.map { $0 ? 1 : 0 })
        key("truncation")
        beginObject()
        key("max_length"); int(encoding.truncation.maxLength)
        key("truncated"); bool(encoding.truncation.isTruncated)
        key("removed_pieces"); ints(encoding.truncation.removedPieces)
        endObject()
    }

    /// Beside the tokenizer's `word_ids`, each piece's linguistic word (ICU's word boundaries, counted per text,
    /// null for special tokens and pieces of spaces or punctuation) and whether the piece runs across a word
    /// boundary (1) or not (0).
    public mutating func linguisticWordFields(_ encoding: Encoding) throws {
        var wordIds = [Int?](repeating: nil, count: encoding.count)
        var crossing = [Bool](repeating: false, count: encoding.count)
        for sequence in encoding.texts.indices {
            let pieces = try WordPieces(encoding: encoding, sequence: sequence, source: .linguistic)
            for token in 0..<encoding.count where encoding.sequenceIds[token] == sequence {
                wordIds[token] = pieces.pieceWords[token]
                crossing[token] = pieces.crossesWordBoundary[token]
            }
        }
        key("linguistic_word_ids")
        beginArray()
        for word in wordIds { int(word) }
        endArray()
        key("crosses_word_boundary"); ints(crossing.map { $0 ? 1 : 0 })
    }

    public mutating func spans(_ spans: [TextSpan]) {
        beginArray()
        for span in spans {
            beginArray()
            int(span.start)
            int(span.end)
            endArray()
        }
        endArray()
    }
}
