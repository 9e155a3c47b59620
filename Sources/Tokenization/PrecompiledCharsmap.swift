/// SentencePiece's compiled normalization rules (`precompiled_charsmap`, XLM-R's `nmt_nfkc`): a
/// double-array trie over UTF-8 bytes whose leaves point into a blob of NUL-terminated replacements.
///
/// Layout: a little-endian u32 giving the trie's size in bytes, the trie's u32 units, then the blob.
/// A unit packs a label (the low byte, with bit 31 kept so a leaf's value never matches a label), a
/// has-leaf flag (bit 8) and an offset to its children (bits 10..31, shifted by 8 more when bit 9 is set).
public struct PrecompiledCharsmap: Sendable {
    private let units: [UInt32]
    private let replacements: [UInt8]

    public init(_ data: [UInt8], file: String) throws {
        func u32(at index: Int) -> UInt32 {
            UInt32(data[index]) | UInt32(data[index + 1]) << 8 | UInt32(data[index + 2]) << 16 | UInt32(data[index + 3]) << 24
        }
        guard data.count >= 4 else {
            throw TokenizerError.invalidConfiguration(file, reason: "the Precompiled normalizer's charsmap is shorter than its header")
        }
        let trieBytes = Int(u32(at: 0))
        guard trieBytes % 4 == 0, trieBytes >= 4, 4 + trieBytes <= data.count else {
            throw TokenizerError.invalidConfiguration(
                file, reason: "the Precompiled normalizer's charsmap declares a \(trieBytes)-byte trie in \(data.count) bytes")
        }
        units = stride(from: 4, to: 4 + trieBytes, by: 4).map(u32(at:))
        replacements = Array(data[(4 + trieBytes)...])
        guard String(validating: replacements, as: UTF8.self) != nil else {
            throw TokenizerError.invalidConfiguration(file, reason: "the Precompiled normalizer's replacements are not UTF-8")
        }
    }

    /// The replacement for `key`: that of its shortest prefix with a rule, as SentencePiece's
    /// `common_prefix_search` returns it first (so a rule for a prefix of a grapheme replaces the whole
    /// grapheme). A NUL byte ends the key.
    func replacement(for key: [UInt8]) -> [UInt32]? {
        var position = 0
        guard !units.isEmpty else { return nil }
        position ^= Self.offset(units[0])
        for byte in key {
            if byte == 0 { break }
            position ^= Int(byte)
            guard position < units.count else { return nil }
            let unit = units[position]
            guard Self.label(unit) == UInt32(byte) else { return nil }
            position ^= Self.offset(unit)
            guard position < units.count else { return nil }
            if (unit >> 8) & 1 == 1 { return replacementText(at: Int(units[position] & 0x7FFF_FFFF)) }
        }
        return nil
    }

    private func replacementText(at start: Int) -> [UInt32]? {
        guard start <= replacements.count else { return nil }
        let end = replacements[start...].firstIndex(of: 0) ?? replacements.count
        return String(decoding: replacements[start..<end], as: UTF8.self).unicodeScalars.map(\.value)
    }

    @inline(__always)
    private static func label(_ unit: UInt32) -> UInt32 { unit & (1 << 31 | 0xFF) }

    @inline(__always)
    private static func offset(_ unit: UInt32) -> Int { Int((unit >> 10) << ((unit & (1 << 9)) >> 6)) }

    /// Normalizes `text` as `tokenizers` applies a Precompiled normalizer: each grapheme shorter than six
    /// UTF-8 bytes is looked up whole; otherwise (or without a rule) each scalar alone. Origins follow the
    /// same rules of change as `tokenizers`' transform, its quirks included.
    func normalize(_ text: AlignedScalars) -> AlignedScalars {
        var changes = [AlignedScalars.Change]()
        changes.reserveCapacity(text.scalars.count)
        var modified = false
        func replace(oldCount: Int, with new: [UInt32]) {
            modified = true
            changes.append(contentsOf: new.map { AlignedScalars.Change(scalar: $0, change: 0) })
            let difference = new.count - oldCount
            if difference > 0 {
                for index in (changes.count - difference)..<changes.count { changes[index].change = 1 }
            } else if difference < 0, !changes.isEmpty {
                // The last transformation (possibly an earlier grapheme's) absorbs the removed scalars.
                changes[changes.count - 1].change += difference
            }
        }
        var bytes = [UInt8]()
        for grapheme in text.text {
            let scalars = grapheme.unicodeScalars.map(\.value)
            bytes.removeAll(keepingCapacity: true)
            for value in scalars { appendUTF8(value, to: &bytes) }
            if bytes.count < 6, let new = replacement(for: bytes) {
                replace(oldCount: scalars.count, with: new)
                continue
            }
            for value in scalars {
                bytes.removeAll(keepingCapacity: true)
                appendUTF8(value, to: &bytes)
                if let new = replacement(for: bytes) {
                    replace(oldCount: 1, with: new)
                } else {
                    changes.append(AlignedScalars.Change(scalar: value, change: 0))
                }
            }
        }
        return modified ? text.transformed(changes) : text
    }
}
