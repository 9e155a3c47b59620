import Export
import Tokenization
import TerminalUI

/// Human-readable renderings of tokenizer output for the terminal.
enum EncodingTable {
    /// One row per token: index, piece, id, word, span, and the source text the span covers.
    static func render(_ encoding: Encoding) -> String {
        let pieceWidth = max(5, encoding.tokens.map { DisplayWidth.of($0) }.max() ?? 0)
        let spans = encoding.offsets.map { "\($0.start)..<\($0.end)" }
        let spanWidth = max(10, spans.map(\.count).max() ?? 0)
        let sources = encoding.texts.map { Array($0.unicodeScalars) }
        var lines = [
            "  # " + DisplayWidth.padded("piece", to: pieceWidth) + "      id  word  " + DisplayWidth.padded("span", to: spanWidth) + "  text"
        ]
        for index in 0..<encoding.count {
            var marks = ""
            if encoding.specialTokensMask[index] { marks = " (special)" }
            if encoding.isUnknown[index] { marks = " (unknown: no piece of the vocabulary matches)" }
            let word = encoding.wordIds[index].map(String.init) ?? "-"
            let span = encoding.offsets[index]
            var source = ""
            if let sequence = encoding.sequenceIds[index] {
                source = String(String.UnicodeScalarView(sources[sequence][span.start..<span.end]))
            }
            lines.append(
                leftPad(String(index), 3) + " " + DisplayWidth.padded(encoding.tokens[index], to: pieceWidth) + " "
                    + leftPad(String(encoding.ids[index]), 7) + "  " + leftPad(word, 4) + "  "
                    + DisplayWidth.padded(spans[index], to: spanWidth) + "  " + printable(source) + marks)
        }
        if encoding.truncation.isTruncated {
            let cut = encoding.truncation.removedPieces.enumerated().filter { $0.element > 0 }
                .map { "\($0.element) piece\($0.element == 1 ? "" : "s") of text \($0.offset + 1)" }
            lines.append("truncated to \(encoding.truncation.maxLength ?? 0) positions: cut \(cut.joined(separator: ", "))")
        }
        return lines.joined(separator: "\n")
    }

    static func leftPad(_ text: String, _ width: Int) -> String {
        String(repeating: " ", count: max(0, width - text.count)) + text
    }

    /// Makes control characters visible so a table row stays one line.
    static func printable(_ text: String) -> String {
        String(String.UnicodeScalarView(text.unicodeScalars.map { scalar in
            scalar.value < 0x20 ? Unicode.Scalar(0x2400 + scalar.value)! : scalar
        }))
    }
}

/// Renders a tokenization trace as a table or as JSON.
enum TraceFormatter {
    static func table(_ trace: TokenizationTrace) -> String {
        var lines = [trace.family == .unigram ? "family: unigram" : "dialect: \(trace.dialect.rawValue)"]
        if !trace.removedByCleaning.isEmpty {
            lines.append("cleaning deleted scalars at \(trace.removedByCleaning.map(String.init).joined(separator: ", "))")
        }
        if !trace.replacedByWhitespace.isEmpty {
            lines.append("cleaning turned scalars at \(trace.replacedByWhitespace.map(String.init).joined(separator: ", ")) into spaces")
        }
        for replacement in trace.replacedByNormalization {
            lines.append("normalization replaced scalar \(replacement.index) by \"\(EncodingTable.printable(replacement.replacement))\"")
        }
        for (index, word) in trace.words.enumerated() {
            lines.append(
                "word \(index) \"\(EncodingTable.printable(word.text))\" [\(word.span.start), \(word.span.end)) \(word.kind.rawValue)"
                    + " -> \(word.pieces.joined(separator: " "))")
            for attempt in word.attempts {
                lines.append("    try \"\(attempt.candidate)\": " + (attempt.id.map { "found, id \($0)" } ?? "not in vocabulary"))
            }
            for scored in word.scoredPieces {
                lines.append("    \"\(scored.piece)\" score \(scored.score): " + (scored.isUnknown ? "unknown" : "id \(scored.id)"))
            }
            switch word.unknownReason {
            case .tooLong(let characters, let limit)?:
                lines.append("    unknown: \(characters) characters, longer than the \(limit) WordPiece splits")
            case .noMatch(let position)?:
                lines.append("    unknown: no vocabulary entry starts the rest of the word at character \(position)")
            case nil:
                break
            }
        }
        return lines.joined(separator: "\n")
    }

    static func json(_ trace: TokenizationTrace) -> String {
        var writer = JSONWriter()
        writer.beginObject()
        writer.key("text"); writer.string(trace.text)
        writer.key("dialect"); writer.string(trace.dialect.rawValue)
        writer.key("family"); writer.string(trace.family.rawValue)
        writer.key("removed_by_cleaning"); writer.ints(trace.removedByCleaning)
        writer.key("replaced_by_whitespace"); writer.ints(trace.replacedByWhitespace)
        writer.key("replaced_by_normalization")
        writer.beginArray()
        for replacement in trace.replacedByNormalization {
            writer.beginObject()
            writer.key("index"); writer.int(replacement.index)
            writer.key("replacement"); writer.string(replacement.replacement)
            writer.endObject()
        }
        writer.endArray()
        writer.key("words")
        writer.beginArray()
        for word in trace.words {
            writer.beginObject()
            writer.key("text"); writer.string(word.text)
            writer.key("span"); writer.ints([word.span.start, word.span.end])
            writer.key("kind"); writer.string(word.kind.rawValue)
            writer.key("pieces")
            writer.beginArray()
            for piece in word.pieces { writer.string(piece) }
            writer.endArray()
            writer.key("attempts")
            writer.beginArray()
            for attempt in word.attempts {
                writer.beginObject()
                writer.key("start"); writer.int(attempt.start)
                writer.key("end"); writer.int(attempt.end)
                writer.key("candidate"); writer.string(attempt.candidate)
                writer.key("id"); writer.int(attempt.id)
                writer.endObject()
            }
            writer.endArray()
            writer.key("scored_pieces")
            writer.beginArray()
            for scored in word.scoredPieces {
                writer.beginObject()
                writer.key("piece"); writer.string(scored.piece)
                writer.key("id"); writer.int(scored.id)
                writer.key("start"); writer.int(scored.span.start)
                writer.key("end"); writer.int(scored.span.end)
                writer.key("score"); writer.double(scored.score)
                writer.key("unknown"); writer.bool(scored.isUnknown)
                writer.endObject()
            }
            writer.endArray()
            writer.key("unknown_reason")
            switch word.unknownReason {
            case .tooLong(let characters, let limit)?: writer.string("too long: \(characters) > \(limit) characters")
            case .noMatch(let position)?: writer.string("no vocabulary entry at character \(position)")
            case nil: writer.null()
            }
            writer.endObject()
        }
        writer.endArray()
        writer.endObject()
        return writer.text
    }
}
