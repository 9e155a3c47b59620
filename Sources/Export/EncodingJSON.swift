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
