/// Builds compact JSON text with keys in the order they are written, so output is stable and diffable.
public struct JSONWriter: Sendable {
    public private(set) var text = ""
    private var needsComma = [false]

    public init() {}

    public mutating func beginObject() { valuePrefix(); text += "{"; needsComma.append(false) }
    public mutating func endObject() { needsComma.removeLast(); text += "}" }
    public mutating func beginArray() { valuePrefix(); text += "["; needsComma.append(false) }
    public mutating func endArray() { needsComma.removeLast(); text += "]" }

    /// Writes `"name":`; the next value written belongs to it.
    public mutating func key(_ name: String) {
        valuePrefix()
        JSONWriter.appendQuoted(name, to: &text)
        text += ":"
        needsComma[needsComma.count - 1] = false
    }

    public mutating func string(_ value: String) { valuePrefix(); JSONWriter.appendQuoted(value, to: &text) }

    public mutating func string(_ value: String?) { if let value { string(value) } else { null() } }
    public mutating func int(_ value: Int) { valuePrefix(); text += String(value) }
    public mutating func bool(_ value: Bool) { valuePrefix(); text += value ? "true" : "false" }
    public mutating func null() { valuePrefix(); text += "null" }

    /// A float in the shortest form that reads back to the same value; NaN and infinities become null,
    /// which JSON cannot otherwise express.
    public mutating func float(_ value: Float) {
        valuePrefix()
        text += value.isFinite ? "\(value)" : "null"
    }

    /// A double in the shortest form that reads back to the same value; NaN and infinities become null.
    public mutating func double(_ value: Double) {
        valuePrefix()
        text += value.isFinite ? "\(value)" : "null"
    }

    public mutating func double(_ value: Double?) { if let value { double(value) } else { null() } }

    /// Inserts already-serialized JSON (for example an id copied from the input) as one value.
    public mutating func raw(_ json: String) { valuePrefix(); text += json }

    public mutating func int(_ value: Int?) { if let value { int(value) } else { null() } }

    public mutating func ints(_ values: [Int]) {
        beginArray()
        for value in values { int(value) }
        endArray()
    }

    public mutating func floats<C: Collection>(_ values: C) where C.Element == Float {
        beginArray()
        for value in values { float(value) }
        endArray()
    }

    private mutating func valuePrefix() {
        if needsComma[needsComma.count - 1] { text += "," }
        needsComma[needsComma.count - 1] = true
    }

    /// Appends `value` as a JSON string literal, escaping what JSON requires (and nothing else, so CJK
    /// and emoji stay readable).
    public static func appendQuoted(_ value: String, to text: inout String) {
        text += "\""
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": text += "\\\""
            case "\\": text += "\\\\"
            case "\n": text += "\\n"
            case "\r": text += "\\r"
            case "\t": text += "\\t"
            case _ where scalar.value < 0x20 || scalar.value == 0x2028 || scalar.value == 0x2029:
                let hex = String(scalar.value, radix: 16)
                text += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default:
                text.unicodeScalars.append(scalar)
            }
        }
        text += "\""
    }
}
