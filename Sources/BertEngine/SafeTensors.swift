import Foundation

/// Element types a safetensors file may declare.
public enum TensorDType: String, Sendable, CaseIterable {
    case F64, F32, F16, BF16, I64, I32, I16, I8, U64, U32, U16, U8, BOOL, F8_E4M3, F8_E5M2

    public var byteSize: Int {
        switch self {
        case .F64, .I64, .U64: return 8
        case .F32, .I32, .U32: return 4
        case .F16, .BF16, .I16, .U16: return 2
        case .I8, .U8, .BOOL, .F8_E4M3, .F8_E5M2: return 1
        }
    }
}

/// The parsed header of a safetensors file: 8-byte little-endian header length, a JSON object of
/// `name: {dtype, shape, data_offsets}` (plus optional "__metadata__"), then the raw data.
public struct SafeTensorsHeader: Sendable {
    public struct Entry: Sendable, Equatable {
        public var name: String
        public var dtype: TensorDType
        public var shape: [Int]
        /// Byte range within the data section (which starts after the header).
        public var dataRange: Range<Int>
    }

    /// Largest header accepted; the format's own limit.
    public static let maxHeaderBytes = 100 * 1024 * 1024

    public var entries: [String: Entry]
    public var metadata: [String: String]
    /// Offset of the data section from the start of the file.
    public var dataStart: Int

    /// Validates everything the header claims against the file size: a malformed file gives an error
    /// naming the problem, never a crash or an out-of-bounds read later.
    public static func parse(_ file: UnsafeRawBufferPointer, path: String) throws -> SafeTensorsHeader {
        func fail(_ reason: String) -> EngineError { .invalidWeights(path, "not a valid safetensors file: \(reason)") }
        guard file.count >= 8 else { throw fail("it is \(file.count) bytes, shorter than the 8-byte header length") }
        var length: UInt64 = 0
        for index in 0..<8 { length |= UInt64(file[index]) << (8 * UInt64(index)) }
        guard length <= UInt64(maxHeaderBytes) else {
            throw fail("the header claims \(length) bytes, more than the \(maxHeaderBytes)-byte limit")
        }
        guard length <= UInt64(file.count - 8) else {
            throw fail("the header claims \(length) bytes but only \(file.count - 8) follow (truncated file?)")
        }
        let headerBytes = UnsafeRawBufferPointer(rebasing: file[8..<(8 + Int(length))])
        guard headerBytes.first == UInt8(ascii: "{") else { throw fail("the header does not start with '{'") }
        let object: Any
        do {
            object = try JSONSerialization.jsonObject(with: Data(headerBytes))
        } catch {
            throw fail("the header is not valid JSON")
        }
        guard let fields = object as? [String: Any] else { throw fail("the header is not a JSON object") }
        let dataStart = 8 + Int(length)
        let dataSize = file.count - dataStart
        var entries = [String: Entry]()
        var metadata = [String: String]()
        for (name, value) in fields {
            if name == "__metadata__" {
                guard let pairs = value as? [String: Any] else { throw fail("__metadata__ is not an object") }
                for (key, text) in pairs {
                    guard let text = text as? String else { throw fail("__metadata__.\(key) is not a string") }
                    metadata[key] = text
                }
                continue
            }
            guard let description = value as? [String: Any] else { throw fail("\(name) is not an object") }
            guard let dtypeName = description["dtype"] as? String else { throw fail("\(name) has no dtype") }
            guard let dtype = TensorDType(rawValue: dtypeName) else {
                throw fail("\(name) has dtype \(dtypeName), which bertscope does not know")
            }
            guard let shapeValues = description["shape"] as? [Any] else { throw fail("\(name) has no shape") }
            var shape = [Int]()
            var elements = 1
            for dimension in shapeValues {
                guard let size = exactInt(dimension), size >= 0 else { throw fail("\(name) has a shape entry that is not a count") }
                shape.append(size)
                let (product, overflow) = elements.multipliedReportingOverflow(by: size)
                guard !overflow else { throw fail("\(name)'s shape \(shape) is too large") }
                elements = product
            }
            guard let offsets = description["data_offsets"] as? [Any], offsets.count == 2,
                let begin = exactInt(offsets[0]), let end = exactInt(offsets[1])
            else { throw fail("\(name) has no data_offsets [begin, end]") }
            guard begin >= 0, begin <= end, end <= dataSize else {
                throw fail("\(name)'s data_offsets [\(begin), \(end)] lie outside the \(dataSize) data bytes")
            }
            let (bytes, overflow) = elements.multipliedReportingOverflow(by: dtype.byteSize)
            guard !overflow, bytes == end - begin else {
                throw fail("\(name) holds \(end - begin) bytes but \(dtype) \(shape) needs \(overflow ? "too many" : String(bytes))")
            }
            entries[name] = Entry(name: name, dtype: dtype, shape: shape, dataRange: begin..<end)
        }
        let ordered = entries.values.filter { !$0.dataRange.isEmpty }.sorted { $0.dataRange.lowerBound < $1.dataRange.lowerBound }
        for (previous, next) in zip(ordered, ordered.dropFirst()) where previous.dataRange.upperBound > next.dataRange.lowerBound {
            throw fail("the data of \(previous.name) and \(next.name) overlap")
        }
        return SafeTensorsHeader(entries: entries, metadata: metadata, dataStart: dataStart)
    }

    /// An integer from JSON, refusing fractions and values that do not fit.
    private static func exactInt(_ value: Any) -> Int? {
        if let number = value as? NSNumber {
            let double = number.doubleValue
            guard double.rounded() == double, abs(double) < 9.0e15 else { return nil }
            return number.intValue
        }
        return nil
    }
}

/// A read-only memory map of a whole file, unmapped when released.
public final class MappedFile: @unchecked Sendable {
    public let bytes: UnsafeRawBufferPointer
    public let path: String

    public init(path: String) throws {
        self.path = path
        let descriptor = open(path, O_RDONLY)
        guard descriptor >= 0 else {
            throw EngineError.invalidWeights(path, "cannot open it (\(String(cString: strerror(errno))))")
        }
        defer { close(descriptor) }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else {
            throw EngineError.invalidWeights(path, "cannot stat it (\(String(cString: strerror(errno))))")
        }
        let size = Int(status.st_size)
        guard size > 0 else {
            bytes = UnsafeRawBufferPointer(start: nil, count: 0)
            return
        }
        guard let address = mmap(nil, size, PROT_READ, MAP_PRIVATE, descriptor, 0), address != MAP_FAILED else {
            throw EngineError.invalidWeights(path, "cannot map it into memory (\(String(cString: strerror(errno))))")
        }
        bytes = UnsafeRawBufferPointer(start: address, count: size)
    }

    deinit {
        if let base = bytes.baseAddress { munmap(UnsafeMutableRawPointer(mutating: base), bytes.count) }
    }
}
