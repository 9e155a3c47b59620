/// tokenizer.json carries the whole vocabulary (119,547 entries for mBERT, 250,002 for XLM-R), which makes
/// parsing it with JSONSerialization slow (~200 ms for mBERT) for want of a reader specialised to it.
/// This replaces the value of every member named "vocab" by an empty container before parsing, in one
/// linear pass that respects strings and escapes, and hands the vocabularies' bytes to `VocabularyReader`.
enum JSONVocabularyStripper {
    static func strip(_ json: [UInt8]) -> [UInt8] { stripKeepingVocabularies(json).json }

    /// The JSON without its vocabularies, and each vocabulary's bytes (an object or an array), in order.
    static func stripKeepingVocabularies(_ json: [UInt8]) -> (json: [UInt8], vocabularies: [ArraySlice<UInt8>]) {
        var vocabularies = [ArraySlice<UInt8>]()
        let key = Array("\"vocab\"".utf8)
        var output = [UInt8]()
        output.reserveCapacity(min(json.count, 1 << 16))
        var index = 0
        while index < json.count {
            let byte = json[index]
            guard byte == UInt8(ascii: "\"") else {
                output.append(byte)
                index += 1
                continue
            }
            let end = endOfString(json, from: index)
            output.append(contentsOf: json[index..<end])
            let isVocabularyKey = end - index == key.count && json[index..<end].elementsEqual(key)
            index = end
            guard isVocabularyKey else { continue }
            var cursor = skipWhitespace(json, from: index)
            guard cursor < json.count, json[cursor] == UInt8(ascii: ":") else { continue }
            cursor = skipWhitespace(json, from: cursor + 1)
            guard cursor < json.count, json[cursor] == UInt8(ascii: "{") || json[cursor] == UInt8(ascii: "[") else { continue }
            let open = json[cursor]
            output.append(contentsOf: [UInt8(ascii: ":"), open, open == UInt8(ascii: "{") ? UInt8(ascii: "}") : UInt8(ascii: "]")])
            index = endOfContainer(json, from: cursor)
            vocabularies.append(json[cursor..<index])
        }
        return (output, vocabularies)
    }

    /// Index just past the string literal starting at `start` (a quote).
    private static func endOfString(_ json: [UInt8], from start: Int) -> Int {
        var index = start + 1
        while index < json.count {
            switch json[index] {
            case UInt8(ascii: "\\"): index += 2
            case UInt8(ascii: "\""): return index + 1
            default: index += 1
            }
        }
        return json.count
    }

    /// Index just past the object or array starting at `start`.
    private static func endOfContainer(_ json: [UInt8], from start: Int) -> Int {
        var depth = 0
        var index = start
        while index < json.count {
            switch json[index] {
            case UInt8(ascii: "\""):
                index = endOfString(json, from: index)
                continue
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                depth += 1
            case UInt8(ascii: "}"), UInt8(ascii: "]"):
                depth -= 1
                if depth == 0 { return index + 1 }
            default:
                break
            }
            index += 1
        }
        return json.count
    }

    private static func skipWhitespace(_ json: [UInt8], from start: Int) -> Int {
        var index = start
        while index < json.count, [0x20, 0x09, 0x0A, 0x0D].contains(json[index]) { index += 1 }
        return index
    }
}
