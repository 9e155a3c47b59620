/// NumPy's `.npy` format: the magic string "\x93NUMPY", a version, the header length, a Python dict
/// literal describing dtype, order and shape (padded with spaces, ending in a newline, so the data starts
/// on a 64-byte boundary), then the raw array in C order. Version 1.0 has a 2-byte little-endian header
/// length; 2.0 a 4-byte one, needed only when the header exceeds 65535 bytes.
public enum NumpyFormat {
    /// The header of a little-endian float32 C-order array of `shape`, at least `minimumLength` bytes long.
    public static func float32Header(shape: [Int], minimumLength: Int = 0) -> [UInt8] {
        let dimensions = shape.map(String.init).joined(separator: ", ")
        let shapeText = shape.count == 1 ? "(\(dimensions),)" : "(\(dimensions))"
        let dictionary = Array("{'descr': '<f4', 'fortran_order': False, 'shape': \(shapeText), }".utf8)
        func total(prefix: Int) -> Int {
            let unpadded = prefix + dictionary.count + 1
            let aligned = (unpadded + 63) / 64 * 64
            return max(aligned, (minimumLength + 63) / 64 * 64)
        }
        let isVersion1 = total(prefix: 10) - 10 <= 0xFFFF
        let prefixLength = isVersion1 ? 10 : 12
        let length = total(prefix: prefixLength)
        let headerLength = length - prefixLength
        var bytes: [UInt8] = [0x93] + Array("NUMPY".utf8) + (isVersion1 ? [1, 0] : [2, 0])
        let lengthBytes = isVersion1 ? 2 : 4
        for index in 0..<lengthBytes { bytes.append(UInt8(truncatingIfNeeded: headerLength >> (8 * index))) }
        bytes += dictionary
        bytes += [UInt8](repeating: 0x20, count: length - bytes.count - 1)
        bytes.append(0x0A)
        return bytes
    }

    /// The header length reserved when the row count is not known yet: room for any count.
    static func reservedHeaderLength(columns: Int) -> Int {
        float32Header(shape: [Int.max, columns]).count
    }
}

/// Streams float32 rows into a `.npy` file whose header is written with a zero row count first and
/// patched with the real count at the end, so no row is held in memory.
final class NumpyRows {
    private let file: OutputFile
    let columns: Int
    private let headerLength: Int
    private(set) var count = 0

    init(file: OutputFile, columns: Int) throws {
        self.file = file
        self.columns = columns
        headerLength = NumpyFormat.reservedHeaderLength(columns: columns)
        try file.write(NumpyFormat.float32Header(shape: [0, columns], minimumLength: headerLength))
    }

    func append(_ vector: [Float]) throws {
        try file.write(float32: vector)
        count += 1
    }

    func finish() throws {
        let header = NumpyFormat.float32Header(shape: [count, columns], minimumLength: headerLength)
        precondition(header.count == headerLength, "the .npy header outgrew its reserved length")
        try file.patch(at: 0, with: header)
    }
}
