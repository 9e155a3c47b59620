import Foundation
import TestSupport
import Testing

/// Resources/ (the baseline and the example sets) as the built and the installed binary find them
/// (issue 13), and the example sets' own promise: parallel sentences in at least 20 languages and 8 scripts.
@Suite("Resources and example sets, end to end")
struct ResourcesEndToEndTests {
    static let resources = TestPaths.repository.appendingPathComponent("Resources")

    /// `examples --json` run from `cwd` (somewhere else than the checkout), without BERTSCOPE_RESOURCES.
    func examples(_ executable: URL, cwd: URL, environment: [String: String] = [:]) throws -> CommandResult {
        try runProgram("/bin/sh", ["-c", "cd \"$1\" && shift && exec \"$@\"", "sh", cwd.path, executable.path, "examples", "--json"],
                       environment: ["BERTSCOPE_RESOURCES": ""].merging(environment) { $1 })
    }

    func sets(_ result: CommandResult) throws -> [[String: Any]] {
        #expect(result.status == 0, "\(result.standardError)")
        return try #require(JSONSerialization.jsonObject(with: Data(result.standardOutput.utf8)) as? [[String: Any]])
    }

    /// The script of a letter, from its Unicode name's first word (LATIN, CYRILLIC, CJK, HIRAGANA, HANGUL, ...).
    static func script(_ scalar: Unicode.Scalar) -> String? {
        guard scalar.properties.isAlphabetic, let name = scalar.properties.name else { return nil }
        return name.split(separator: " ").first.map(String.init)
    }

    @Test("the built binary finds the checkout's Resources from anywhere; every set is parallel, with >= 20 languages and >= 8 scripts")
    func fromTheBuild() throws {
        let temporary = try makeTemporaryFolder("resources-cwd")
        defer { try? FileManager.default.removeItem(at: temporary) }
        let listed = try sets(try examples(Bertscope.executable, cwd: temporary))
        #expect(!listed.isEmpty)
        for set in listed {
            let name = set["name"] as? String ?? "?"
            let file = URL(fileURLWithPath: try #require(set["file"] as? String))
            #expect(file.deletingLastPathComponent().deletingLastPathComponent().standardizedFileURL == Self.resources.standardizedFileURL)
            let languages = set["languages"] as? [String] ?? []
            #expect(languages.count >= 20, "\(name): \(languages.count) languages")
            // Parallel: every language has every sentence once.
            #expect(set["count"] as? Int == languages.count * (set["sentences"] as? Int ?? 0), "\(name)")
            let rows = try String(contentsOf: file, encoding: .utf8).split(separator: "\n").filter { !$0.hasPrefix("#") }.dropFirst()
            let scripts = Set(rows.flatMap { row in (row.split(separator: "\t").last ?? "").unicodeScalars.compactMap(Self.script) })
            #expect(scripts.count >= 8, "\(name): the texts are written in \(scripts.sorted())")
        }
    }

    @Test("an installed binary (PREFIX/bin) reads PREFIX/share/bertscope; without it the error names every place looked at")
    func installed() throws {
        let prefix = try makeTemporaryFolder("resources-prefix")
        defer { try? FileManager.default.removeItem(at: prefix) }
        let bin = prefix.appendingPathComponent("bin")
        try FileManager.default.createDirectory(at: bin, withIntermediateDirectories: true)
        let binary = bin.appendingPathComponent("bertscope")
        try placeExecutable(Bertscope.executable, at: binary)

        let missing = try examples(binary, cwd: prefix)
        #expect(missing.status != 0)
        #expect(missing.standardError.contains(prefix.appendingPathComponent("share/bertscope").path), "\(missing.standardError)")
        #expect(missing.standardError.contains("BERTSCOPE_RESOURCES"))

        try FileManager.default.createDirectory(at: prefix.appendingPathComponent("share"), withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: Self.resources, to: prefix.appendingPathComponent("share/bertscope"))
        let found = try sets(try examples(binary, cwd: prefix))
        #expect(found.allSatisfy { ($0["file"] as? String ?? "").hasPrefix(prefix.appendingPathComponent("share/bertscope").path) })
    }

    @Test("BERTSCOPE_RESOURCES overrides; a folder that is not one, and a bad line, are said clearly")
    func override() throws {
        let folder = try makeTemporaryFolder("resources-override")
        defer { try? FileManager.default.removeItem(at: folder) }
        let notOne = try examples(Bertscope.executable, cwd: folder, environment: ["BERTSCOPE_RESOURCES": folder.path])
        #expect(notOne.status != 0)
        #expect(notOne.standardError.contains(folder.path), "\(notOne.standardError)")

        let copy = folder.appendingPathComponent("Resources")
        try FileManager.default.copyItem(at: Self.resources, to: copy)
        let ours = try sets(try examples(Bertscope.executable, cwd: folder, environment: ["BERTSCOPE_RESOURCES": copy.path]))
        #expect(ours.allSatisfy { ($0["file"] as? String ?? "").hasPrefix(copy.path) })

        let bad = copy.appendingPathComponent("examples/bad.tsv")
        try "# a set with a broken line\nsentence\tlanguage\tscript\ttext\ndog\ten\n".write(to: bad, atomically: true, encoding: .utf8)
        let broken = try examples(Bertscope.executable, cwd: folder, environment: ["BERTSCOPE_RESOURCES": copy.path])
        #expect(broken.status != 0)
        #expect(broken.standardError.contains("bad.tsv:3"), "\(broken.standardError)")
    }
}
