import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A real terminal for end-to-end tests: a private tmux server running one program in a window of a
/// given size, driven with send-keys and read with capture-pane.
public final class TmuxSession {
    public let socket = "bertscope-test-\(UUID().uuidString.prefix(8))"
    public let name = "e2e"

    /// Starts `command` (run by sh) in a new detached session.
    public init(command: String, columns: Int = 100, rows: Int = 30, environment: [String: String] = [:]) throws {
        let exports = environment.map { "export \($0.key)='\($0.value)'; " }.joined()
        try tmux(["new-session", "-d", "-s", name, "-x", String(columns), "-y", String(rows), "sh -c \"\(exports)\(command)\""])
    }

    deinit { _ = try? tmux(["kill-server"]) }

    /// Types text literally.
    public func type(_ text: String) throws { try tmux(["send-keys", "-t", name, "-l", text]) }

    /// Presses named keys (tmux names: Escape, Enter, Tab, Up, C-c, F1, ...), pausing after each so an
    /// Escape is never read together with the next key as Alt+key.
    public func press(_ keys: String...) throws {
        for key in keys {
            try tmux(["send-keys", "-t", name, key])
            usleep(60_000)
        }
    }

    /// Sends many keys in one call (tmux key names or single characters).
    public func sendKeys(_ keys: [String]) throws {
        try tmux(["send-keys", "-t", name] + keys.map { $0 == ";" ? "\\;" : $0 })
    }

    /// Pastes text the way a terminal does when the program asked for bracketed paste.
    public func paste(_ text: String) throws {
        try tmux(["set-buffer", "-b", "soak", "--", text])
        try tmux(["paste-buffer", "-p", "-b", "soak", "-t", name])
    }

    /// The process id of the shell in the pane.
    public func tmuxPanePID() throws -> Int {
        Int(try tmux(["display-message", "-p", "-t", name, "#{pane_pid}"]).trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
    }

    public func resize(columns: Int, rows: Int) throws {
        try tmux(["resize-window", "-t", name, "-x", String(columns), "-y", String(rows)])
    }

    /// The screen as text.
    public func capture() throws -> String { try tmux(["capture-pane", "-p", "-t", name]) }

    /// Waits until the screen contains `text`; returns the screen (fails with it after the timeout).
    @discardableResult
    public func waitFor(_ text: String, timeout: Double = 10) throws -> String {
        let deadline = Date().addingTimeInterval(timeout)
        var screen = ""
        while Date() < deadline {
            screen = try capture()
            if screen.contains(text) { return screen }
            usleep(50_000)
        }
        throw TmuxTimeout(expected: text, screen: screen)
    }

    /// Waits until the screen has not changed for `quiet` seconds.
    public func waitUntilStable(for quiet: Double, timeout: Double) throws {
        let deadline = Date().addingTimeInterval(timeout)
        var last = try capture()
        var since = Date()
        while Date() < deadline {
            usleep(100_000)
            let screen = try capture()
            if screen != last {
                last = screen
                since = Date()
            } else if Date().timeIntervalSince(since) >= quiet {
                return
            }
        }
        throw TmuxTimeout(expected: "a screen that stops changing", screen: last)
    }

    /// Waits until `condition` holds for the screen.
    @discardableResult
    public func waitUntil(timeout: Double = 10, _ description: String, _ condition: (String) -> Bool) throws -> String {
        let deadline = Date().addingTimeInterval(timeout)
        var screen = ""
        while Date() < deadline {
            screen = try capture()
            if condition(screen) { return screen }
            usleep(50_000)
        }
        throw TmuxTimeout(expected: description, screen: screen)
    }

    /// Runs a tmux command with posix_spawn and waitpid. Foundation's Process is not used here: the first
    /// command starts the tmux server, which inherits the descriptors Process watches, so Process would
    /// wait for the server to exit and hang. Only commands that print get an output pipe.
    @discardableResult
    func tmux(_ arguments: [String]) throws -> String {
        let printsOutput = ["capture-pane", "display-message"].contains(arguments.first ?? "")
        var pipe: [Int32] = [-1, -1]
        if printsOutput { guard Glibc.pipe(&pipe) == 0 else { throw TmuxFailure(arguments: arguments, status: -1) } }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        if printsOutput {
            posix_spawn_file_actions_adddup2(&actions, pipe[1], 1)
            posix_spawn_file_actions_addclose(&actions, pipe[0])
            posix_spawn_file_actions_addclose(&actions, pipe[1])
        } else {
            posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        }
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        let argv = (["tmux", "-L", socket] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        let spawned = posix_spawnp(&pid, "tmux", &actions, nil, argv, environ)
        guard spawned == 0 else { throw TmuxFailure(arguments: arguments, status: spawned) }
        var data = Data()
        if printsOutput {
            close(pipe[1])
            var buffer = [UInt8](repeating: 0, count: 65536)
            while true {
                let count = read(pipe[0], &buffer, buffer.count)
                if count <= 0 { break }
                data.append(contentsOf: buffer[0..<count])
            }
            close(pipe[0])
        }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        let exitCode = (status >> 8) & 0xFF
        if exitCode != 0 && arguments.first != "kill-server" {
            throw TmuxFailure(arguments: arguments, status: exitCode)
        }
        return String(decoding: data, as: UTF8.self)
    }
}

public struct TmuxFailure: Error, CustomStringConvertible {
    public var arguments: [String]
    public var status: Int32
    public var description: String { "tmux \(arguments.prefix(4).joined(separator: " ")) failed with status \(status)" }
}

public struct TmuxTimeout: Error, CustomStringConvertible {
    public var expected: String
    public var screen: String
    public var description: String { "timed out waiting for \(expected.debugDescription); the screen was:\n\(screen)" }
}
