import Export
import Foundation

// Standard output and error go through write(2): FileHandle.write stops the program with a fatal error
// when a write fails (a full disk, a reader that closed the pipe while SIGPIPE is ignored).

/// Writes a line to standard output. When that fails nothing more can reach the reader, so the command
/// stops with status 1: with a message, unless the reader simply stopped reading (EPIPE).
func writeLine(_ text: String) {
    guard let error = write(text + "\n", to: STDOUT_FILENO) else { return }
    if error != EPIPE { printError("cannot write to standard output: \(String(cString: strerror(error)))") }
    exit(1)
}

/// Writes a line to standard error, prefixed with the program's name.
func printError(_ text: String) {
    writeToStandardError("bertscope: " + text + "\n")
}

/// Writes text (progress lines, their terminal codes) to standard error. A failure is ignored: there is
/// nowhere left to report it.
func writeToStandardError(_ text: String) {
    _ = write(text, to: STDERR_FILENO)
}

/// The errno of a failed write, or nil.
private func write(_ text: String, to descriptor: Int32) -> Int32? {
    var text = text
    return text.withUTF8 { writeAll(descriptor, UnsafeRawBufferPointer($0)) }
}
