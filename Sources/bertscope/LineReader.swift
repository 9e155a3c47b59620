import ArgumentParser
import Foundation

/// Reads a file or standard input line by line as raw bytes, so invalid UTF-8 can be reported per line
/// instead of being silently repaired.
struct LineReader {
    private let handle: FileHandle
    private let path: String
    private var buffer = [UInt8]()
    private var position = 0
    private var finished = false
    private(set) var lineNumber = 0

    /// `path` "-" means standard input.
    init(path: String) throws {
        self.path = path
        if path == "-" {
            handle = FileHandle.standardInput
        } else {
            guard let opened = FileHandle(forReadingAtPath: path) else {
                throw UserError("cannot open \(path) for reading: check the path and its permissions")
            }
            handle = opened
        }
    }

    /// The next line without its line break, or `nil` at the end.
    mutating func next() throws -> [UInt8]? {
        while true {
            if let newline = buffer[position...].firstIndex(of: UInt8(ascii: "\n")) {
                var line = Array(buffer[position..<newline])
                if line.last == UInt8(ascii: "\r") { line.removeLast() }
                position = newline + 1
                lineNumber += 1
                return line
            }
            if finished {
                guard position < buffer.count else { return nil }
                let line = Array(buffer[position...])
                position = buffer.count
                lineNumber += 1
                return line
            }
            buffer.removeFirst(position)
            position = 0
            try readChunk()
        }
    }

    /// Appends what one read(2) gives, up to 64 KB: from a pipe that is whatever has arrived, so a line is
    /// handled as soon as it is complete (FileHandle.readData(ofLength:) would wait for all 64 KB).
    private mutating func readChunk() throws {
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(handle.fileDescriptor, $0.baseAddress, $0.count) }
            if count > 0 {
                buffer.append(contentsOf: chunk[0..<count])
                return
            }
            if count == 0 {
                finished = true
                return
            }
            if errno != EINTR { throw UserError("reading \(path == "-" ? "standard input" : path) failed: \(String(cString: strerror(errno)))") }
        }
    }
}
