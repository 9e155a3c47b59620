import Foundation
import TestSupport
import Testing

@testable import Tokenization

@Suite("Robustness")
struct RobustnessTests {
    static let tokenizer = try! BertTokenizer(modelFolder: TestPaths.multilingualCased)

    /// Random scalars from every plane (unassigned and private use included), weighted towards the
    /// characters that matter to the tokenizer: ASCII, spaces, marks, CJK.
    static func randomString(_ random: inout SplitMix64) -> String {
        let length = Int(random.next() % 24)
        var scalars = String.UnicodeScalarView()
        for _ in 0..<length {
            let value: UInt32
            switch random.next() % 6 {
            case 0: value = UInt32(random.next() % 0x80)
            case 1: value = [0x20, 0x09, 0x0A, 0xA0, 0x3000, 0x200B, 0x301, 0x308, 0xFFFD, 0][Int(random.next() % 10)]
            case 2: value = 0x4E00 + UInt32(random.next() % 0x5200)
            case 3: value = UInt32(random.next() % 0x10000)
            default: value = UInt32(random.next() % 0x110000)
            }
            if let scalar = Unicode.Scalar(value) { scalars.append(scalar) }
        }
        return String(scalars)
    }

    @Test("100,000 random strings: offsets in bounds and ordered, pieces equal their source text")
    func randomStrings() {
        var random = SplitMix64(seed: 20261127)
        let classifier = CharacterClassifier.huggingFace
        var failures = [String]()
        for _ in 0..<100_000 {
            let text = Self.randomString(&random)
            let scalars = Array(text.unicodeScalars)
            let encoding = Self.tokenizer.encode(text, maxLength: nil)
            var previousStart = 0
            for index in 0..<encoding.count where !encoding.specialTokensMask[index] {
                let span = encoding.offsets[index]
                guard span.start >= previousStart, span.start < span.end, span.end <= scalars.count else {
                    failures.append("\(text.debugDescription): span \(span) out of order or bounds")
                    break
                }
                previousStart = span.start
                guard !encoding.isUnknown[index] else { continue }
                // The cased tokenizer only deletes what cleaning deletes, so a piece is its source slice
                // without those characters.
                let source = String(String.UnicodeScalarView(scalars[span.start..<span.end].filter {
                    !classifier.flags($0.value).contains(.removedByCleaning)
                }))
                // Compare scalars: as Characters, "##" + a combining mark does not even start with "##".
                var piece = Array(encoding.tokens[index].unicodeScalars)
                if piece.starts(with: "##".unicodeScalars) && encoding.wordIds[index] == encoding.wordIds[index - 1] {
                    piece.removeFirst(2)
                }
                if piece != Array(source.unicodeScalars) {
                    failures.append("\(text.debugDescription): piece \(piece.debugDescription) != source \(source.debugDescription)")
                    break
                }
            }
        }
        let failureCount = failures.count
        #expect(failureCount == 0, "\(failures.prefix(5).joined(separator: "\n"))")
    }

    @Test("a 1 MB single line is truncated to the limit and the cut is reported")
    func megabyteLine() {
        let text = String(repeating: "Wörter und 漢字 ", count: 1_000_000 / 20)
        let encoding = Self.tokenizer.encode(text, maxLength: 512)
        #expect(encoding.count == 512)
        #expect(encoding.truncation.isTruncated)
        let untruncated = Self.tokenizer.encode(text, maxLength: nil)
        #expect(encoding.truncation.removedPieces == [untruncated.count - 512])
        #expect(Array(encoding.ids.prefix(511)) == Array(untruncated.ids.prefix(511)))
    }

    @Test("tokenizing time grows linearly with the length of a line")
    func linearTime() {
        let times = encodingTimes(of: "Wörter und 漢字 ", repeats: 10_000, with: Self.tokenizer)
        // 4x the text: a linear tokenizer takes about 4x the time; a quadratic one 16x.
        #expect(times.large < times.small * 9, "10k repeats: \(times.small) s, 40k repeats: \(times.large) s")
    }

    @Test("one long word without spaces becomes a single [UNK] at once")
    func longWord() {
        let encoding = Self.tokenizer.encode(String(repeating: "x", count: 1_000_000))
        #expect(encoding.tokens == ["[CLS]", "[UNK]", "[SEP]"])
        #expect(encoding.offsets[1] == TextSpan(0, 1_000_000))
    }

    @Test("byte offsets are the scalar offsets counted in UTF-8")
    func byteOffsets() {
        let text = "aé漢😀b"
        let encoding = Self.tokenizer.encode(text)
        for index in 0..<encoding.count where !encoding.specialTokensMask[index] {
            let span = encoding.offsets[index]
            let prefix = String(String.UnicodeScalarView(Array(text.unicodeScalars)[0..<span.start]))
            #expect(encoding.byteOffsets[index].start == prefix.utf8.count)
        }
    }
}

/// Seconds to encode `unit` repeated `repeats` times and 4 times as often, after a warm-up run (the fastest of
/// three and of two runs).
func encodingTimes(of unit: String, repeats: Int, with tokenizer: some TextTokenizer) -> (small: Double, large: Double) {
    func seconds(_ count: Int) -> Double {
        let text = String(repeating: unit, count: count)
        let start = DispatchTime.now().uptimeNanoseconds
        _ = tokenizer.encode(text)
        return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    }
    _ = seconds(repeats / 5)
    // The fastest of a few runs: a run the scheduler interrupts (tests run in parallel) says nothing about
    // the tokenizer.
    return ((0..<3).map { _ in seconds(repeats) }.min()!, (0..<2).map { _ in seconds(repeats * 4) }.min()!)
}
