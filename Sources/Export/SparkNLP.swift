import Embeddings
import Tokenization

/// One Spark NLP annotation of type `word_embeddings`, as Spark's BertEmbeddings emits per token.
public struct SparkAnnotation: Sendable, Hashable {
    /// First character, counted in UTF-16 code units (JVM string indices) of the document.
    public var begin: Int
    /// Last character, INCLUSIVE, in UTF-16 code units (`begin + length - 1`).
    public var end: Int
    /// The token's text.
    public var result: String
    /// The sentence number within the document.
    public var sentence: Int
    /// The vocabulary id of the token's first wordpiece.
    public var pieceId: Int
    public var isWordStart: Bool
    public var isOOV: Bool
    public var embeddings: [Float]
}

/// Spark NLP's view of a text: BertEmbeddings feeds [CLS] + pieces + [SEP], reads the LAST layer, drops
/// [CLS] and [SEP], and gives each token the vector of its FIRST wordpiece. Annotation metadata values are
/// strings, as in Spark.
public enum SparkNLP {
    /// The annotations Spark's BertEmbeddings would produce for input text `sequence`, one per word.
    /// `isOOV` is true when the word's first piece is the unknown token (Spark itself always writes
    /// "false" for BERT).
    public static func annotations(of text: EmbeddedText, sequence: Int = 0) -> [SparkAnnotation] {
        let encoding = text.encoding
        let utf16 = utf16Offsets(encoding.texts[sequence])
        return text.words(sequence: sequence).map { word in
            let first = word.tokens.lowerBound
            return SparkAnnotation(
                begin: utf16[word.span.start], end: utf16[word.span.end] - 1, result: word.text, sentence: 0,
                pieceId: encoding.ids[first], isWordStart: true, isOOV: encoding.isUnknown[first],
                embeddings: text.pieceVector(first, layer: .layer(text.layerCount)))
        }
    }

    /// One document as a JSON object: {"id", "text", "embeddings": [annotations]}, the shape of a Spark
    /// DataFrame row written with `df.write.json` (read back with `spark.read.json`).
    public static func documentJSON(idJSON: String, text: String, annotations: [SparkAnnotation]) -> String {
        var writer = JSONWriter()
        writer.beginObject()
        writer.key("id"); writer.raw(idJSON)
        writer.key("text"); writer.string(text)
        writer.key("embeddings")
        writer.beginArray()
        for annotation in annotations {
            writer.beginObject()
            writer.key("annotatorType"); writer.string("word_embeddings")
            writer.key("begin"); writer.int(annotation.begin)
            writer.key("end"); writer.int(annotation.end)
            writer.key("result"); writer.string(annotation.result)
            writer.key("metadata")
            writer.beginObject()
            writer.key("sentence"); writer.string(String(annotation.sentence))
            writer.key("token"); writer.string(annotation.result)
            writer.key("pieceId"); writer.string(String(annotation.pieceId))
            writer.key("isWordStart"); writer.string(String(annotation.isWordStart))
            writer.key("isOOV"); writer.string(String(annotation.isOOV))
            writer.endObject()
            writer.key("embeddings"); writer.floats(annotation.embeddings)
            writer.endObject()
        }
        writer.endArray()
        writer.endObject()
        return writer.text
    }

    /// For each Unicode-scalar offset 0...n of `text`, the UTF-16 offset (scalars above U+FFFF take two).
    public static func utf16Offsets(_ text: String) -> [Int] {
        var offsets = [0]
        offsets.reserveCapacity(text.unicodeScalars.count + 1)
        for scalar in text.unicodeScalars { offsets.append(offsets[offsets.count - 1] + UTF16.width(scalar)) }
        return offsets
    }

    /// The first occurrence of `needle` in `scalars` at or after `start`.
    static func find(_ needle: [Unicode.Scalar], in scalars: [Unicode.Scalar], from start: Int) -> TextSpan? {
        guard !needle.isEmpty, needle.count <= scalars.count else { return nil }
        var position = min(start, scalars.count)
        while position + needle.count <= scalars.count {
            if scalars[position..<position + needle.count].elementsEqual(needle) { return TextSpan(position, position + needle.count) }
            position += 1
        }
        return nil
    }
}
