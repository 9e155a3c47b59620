import Foundation
import ResourceFiles
import TestSupport
import Testing

@testable import TerminalUI

/// `--example NAME` and the X key: example sets become the explorer's lines, labelled with their languages.
@Suite("Explorer: example sets (X, --example)")
struct ExampleKeyTests {
    /// Two small sets written as Resources/README.md describes, so the test does not depend on what the
    /// shipped sets say.
    static func sets() throws -> [ExampleSet] {
        let folder = try makeTemporaryFolder("example-key")
        defer { try? FileManager.default.removeItem(at: folder) }
        let files: [(String, [(String, String, String, String)])] = [
            ("animals", [("dog", "en", "Latn", "the dog"), ("dog", "de", "Latn", "der hund"), ("dog", "ru", "Cyrl", "собака")]),
            ("places", [("home", "en", "Latn", "at home"), ("home", "fr", "Latn", "à la maison")]),
        ]
        return try files.map { name, rows in
            let url = folder.appendingPathComponent("\(name).tsv")
            let body = rows.map { [$0.0, $0.1, $0.2, $0.3].joined(separator: "\t") }.joined(separator: "\n")
            try "# \(name) for the test\n\(ParallelTextFile.header.joined(separator: "\t"))\n\(body)\n"
                .write(to: url, atomically: true, encoding: .utf8)
            return try ExampleSet(ParallelTextFile(url))
        }
    }

    static func driver() throws -> (ExplorerDriver, [ExampleSet]) {
        let driver = ExplorerDriver()
        let sets = try sets()
        driver.state.examples = sets
        return (driver, sets)
    }

    @Test("X on an empty explorer loads the first set: one line per language, labelled, tokenized and embedded")
    func firstSet() throws {
        let (driver, sets) = try Self.driver()
        driver.press(.escape, .character("X"))
        let first = sets[0].rows(languages: [])
        #expect(driver.state.lines.map(\.editor.text) == first.map(\.text))
        #expect(driver.state.lines.map(\.language) == first.map(\.language))
        #expect(driver.state.lines.allSatisfy { $0.embedded != nil && !$0.isStale })
        #expect(driver.state.focused.encoding.tokens.contains("dog"))
        #expect(driver.text.contains("example animals"))
    }

    @Test("X again goes to the next set and wraps around")
    func cycles() throws {
        let (driver, sets) = try Self.driver()
        driver.press(.escape, .character("X"), .character("X"))
        #expect(driver.state.lines.map(\.editor.text) == sets[1].rows(languages: []).map(\.text))
        driver.press(.character("X"))
        #expect(driver.state.lines.map(\.editor.text) == sets[0].rows(languages: []).map(\.text))
    }

    @Test("a line of the person's own is replaced only after a second X; any other key keeps it")
    func asksBeforeReplacing() throws {
        let (driver, sets) = try Self.driver()
        driver.type("my own words")
        driver.press(.escape, .character("X"))
        #expect(driver.state.lines.map(\.editor.text) == ["my own words"])
        #expect(driver.text.contains("replace your 1 line"))
        driver.press(.down)
        driver.press(.character("X"))
        #expect(driver.state.lines.map(\.editor.text) == ["my own words"], "the other key ended the question")
        driver.press(.character("X"))
        #expect(driver.state.lines.map(\.editor.text) == sets[0].rows(languages: []).map(\.text))
    }

    @Test("--languages keeps the set's order of the languages asked for")
    func languages() throws {
        let (driver, sets) = try Self.driver()
        ExplorerReducer.load(sets[0], languages: ["ru", "en"], &driver.state, driver.context).forEach { driver.run([$0]) }
        #expect(driver.state.lines.map(\.language) == sets[0].rows(languages: ["ru", "en"]).map(\.language))
        #expect(Set(driver.state.lines.map(\.language)) == ["en", "ru"])
    }
}
