import Foundation

/// The git blob hash the Hub gives as the ETag of a file not stored in LFS: SHA-1 (FIPS 180-4) of
/// `blob <size>\0` followed by the contents. Checking it means a length that lies (a short Content-Length
/// cuts the body where it says, and the size then matches) cannot put a truncated file into the cache.
/// Such files are small (the Hub keeps files over 10 MB in LFS), so this reads the file at once.
enum GitBlobSHA1 {
    static func hex(ofFile url: URL) throws -> String {
        let contents = try Data(contentsOf: url)
        return sha1Hex(Data("blob \(contents.count)\0".utf8) + contents)
    }

    static func sha1Hex(_ data: Data) -> String {
        let message = [UInt8](data) + blockPadding(messageLength: UInt64(data.count))

        var h: (UInt32, UInt32, UInt32, UInt32, UInt32) = (0x6745_2301, 0xEFCD_AB89, 0x98BA_DCFE, 0x1032_5476, 0xC3D2_E1F0)
        var w = [UInt32](repeating: 0, count: 80)
        for block in stride(from: 0, to: message.count, by: 64) {
            for i in 0..<16 {
                let j = block + 4 * i
                w[i] = UInt32(message[j]) << 24 | UInt32(message[j + 1]) << 16 | UInt32(message[j + 2]) << 8 | UInt32(message[j + 3])
            }
            for i in 16..<80 {
                let x = w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16]
                w[i] = x << 1 | x >> 31
            }
            var (a, b, c, d, e) = h
            for i in 0..<80 {
                let (f, k): (UInt32, UInt32)
                switch i {
                case 0..<20: (f, k) = ((b & c) | (~b & d), 0x5A82_7999)
                case 20..<40: (f, k) = (b ^ c ^ d, 0x6ED9_EBA1)
                case 40..<60: (f, k) = ((b & c) | (b & d) | (c & d), 0x8F1B_BCDC)
                default: (f, k) = (b ^ c ^ d, 0xCA62_C1D6)
                }
                let temporary = (a << 5 | a >> 27) &+ f &+ e &+ k &+ w[i]
                (e, d, c, b, a) = (d, c, b << 30 | b >> 2, a, temporary)
            }
            h = (h.0 &+ a, h.1 &+ b, h.2 &+ c, h.3 &+ d, h.4 &+ e)
        }
        return hexDigits([h.0, h.1, h.2, h.3, h.4])
    }
}
