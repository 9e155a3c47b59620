import Foundation
import TestSupport
import Testing

@Suite("Commands that cannot finish fail with a message, not a crash")
struct CommandFailuresEndToEndTests {
    let model = TestPaths.multilingualCased.path

    /// Runs bertscope through a shell with standard output sent to `destination`.
    func runWithOutput(to destination: String, _ arguments: [String]) throws -> CommandResult {
        try runProgram("/bin/bash", ["-c", "exec \"$@\" > \(destination)", "bash", Bertscope.executable.path] + arguments)
    }

    @Test("standard output on a full disk: status 1 and why, for a table, JSON lines and the model list",
          .enabled(if: FileManager.default.fileExists(atPath: "/dev/full"), "needs /dev/full (Linux)"),
          arguments: [["tokenize", "--model", TestPaths.multilingualCased.path, "Hund"],
                      ["tokenize", "--model", TestPaths.multilingualCased.path, "--json", "Hund", "Katze"],
                      ["models", "--json"]])
    func fullDisk(arguments: [String]) throws {
        let result = try runWithOutput(to: "/dev/full", arguments)
        #expect(result.status == 1, "\(result.standardError)")
        #expect(result.standardError.contains("cannot write to standard output: No space left on device"), "\(result.standardError)")
        #expect(!result.standardError.contains("Fatal error"))
    }

    @Test("a reader that stops reading while SIGPIPE is ignored: status 1, no crash")
    func closedPipe() throws {
        let texts = Array(repeating: "Der schnelle braune Fuchs springt über den faulen Hund.", count: 2000)
        let script = "trap '' PIPE; \"$@\" | head -c 10 > /dev/null; exit ${PIPESTATUS[0]}"
        let result = try runProgram("/bin/bash", ["-c", script, "bash", Bertscope.executable.path, "tokenize", "--model", model, "--json"] + texts)
        #expect(result.status == 1, "\(result.standardError)")
        #expect(!result.standardError.contains("Fatal error"), "\(result.standardError)")
    }

    @Test("bench-explorer with nothing to type is refused before it measures anything")
    func benchExplorerEmptyText() throws {
        for text in ["", "   "] {
            let result = try Bertscope.run(["bench-explorer", "--model", TestPaths.miniLM.path, "--text", text])
            #expect(result.status == 64, "\(result.standardError)")
            #expect(result.standardError.contains("--text must have something to type"), "\(result.standardError)")
        }
    }
}
