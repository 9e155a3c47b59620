import Foundation
import TestSupport
import Testing
@testable import WordSegmentation

/// Word boundaries against ICU itself (PyICU on the same libicu), made by
/// scripts/fixtures/make_word_break_fixtures.py.
struct WordSegmenterTests {
    struct Expected: Decodable {
        struct Segment: Decodable {
            var start: Int
            var end: Int
            var kind: String
        }
        var id: String
        var text: String
        var icu_version: String
        var words: [Segment]
    }

    static let fixture = TestPaths.fixtures.appendingPathComponent("words/icu-word-breaks.jsonl")

    func words(_ text: String) throws -> [String] {
        let scalars = Array(text.unicodeScalars)
        return try WordSegmenter.words(of: text).map { String(String.UnicodeScalarView(scalars[$0.scalars])) }
    }

    @Test func everyFixtureTextSegmentsAsICUDoes() throws {
        let cases = try readJSONLines(Self.fixture, as: Expected.self)
        #expect(cases.count >= 20)
        for expected in cases {
            let segments = try WordSegmenter.words(of: expected.text)
            let got = segments.map { "\($0.scalars.lowerBound)-\($0.scalars.upperBound):\($0.kind.rawValue)" }
            let want = expected.words.map { "\($0.start)-\($0.end):\($0.kind)" }
            #expect(got == want, "\(expected.id): \(expected.text)")
        }
    }

    @Test func fixtureComesFromTheInstalledICUVersion() throws {
        let cases = try readJSONLines(Self.fixture, as: Expected.self)
        // Dictionaries change between ICU versions; a mismatch would make boundary differences unexplained.
        #expect(Set(cases.map(\.icu_version)) == [WordSegmenter.icuVersion])
    }

    @Test func theIssuesExamples() throws {
        #expect(try words("犬が郵便配達員に吠える。") == ["犬", "が", "郵便", "配達員", "に", "吠える"])
        #expect(try words("สวัสดีครับ ผมชื่อสมชาย") == ["สวัสดี", "ครับ", "ผม", "ชื่อ", "สมชาย"])
    }

    @Test func spansAreInUnicodeScalarsAcrossSurrogatePairs() throws {
        // 𠀋 is one scalar but two UTF-16 units: the span after it must not be shifted.
        let text = "𠀋 dog"
        let segments = try WordSegmenter.words(of: text)
        #expect(segments.last?.scalars == 2..<5)
        #expect(segments.last?.kind == .letter)
    }

    @Test func noWordsInSpacesAndPunctuation() throws {
        #expect(try WordSegmenter.words(of: "").isEmpty)
        #expect(try WordSegmenter.words(of: " \t…!?— ").isEmpty)
    }
}
