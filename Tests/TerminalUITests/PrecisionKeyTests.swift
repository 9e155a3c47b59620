import BertEngine
import Embeddings
import Testing

@testable import TerminalUI

/// The b key: the encoder's precision switched live, and the Vector pane measuring how far it moved the vectors.
@Suite("Explorer: precision (b)")
struct PrecisionKeyTests {
    static func driver() -> ExplorerDriver {
        let driver = ExplorerDriver(rows: 40, columns: 120)
        driver.type("the dog barks")
        driver.press(.escape, .character("1"), .down)
        return driver
    }

    @Test("b goes f32 -> bf16 -> int8 -> f32; every line is embedded again at it and the header names it")
    func cycles() {
        let driver = Self.driver()
        #expect(driver.state.precision == .f32)
        var seen = [Precision]()
        for _ in Precision.allCases {
            let effects = ExplorerReducer.reduce(&driver.state, .key(.character("b")), context: driver.context)
            let embedded = effects.compactMap { effect -> Precision? in
                if case let .embed(_, _, _, _, _, precision, _) = effect { return precision } else { return nil }
            }
            #expect(embedded == [driver.state.precision], "one embed per line, at the new precision: \(effects)")
            driver.run(effects)
            seen.append(driver.state.precision)
            #expect(driver.text.split(separator: "\n").first?.contains(" \(driver.state.precision.rawValue) ") == true)
            #expect(!driver.state.focused.isStale)
        }
        #expect(seen == [.bf16, .int8, .f32])
    }

    @Test("at bf16 the Vector pane gives the selected vector's cosine to its f32 vector, and a row of it across layers")
    func vectorPaneComparesWithF32() throws {
        let driver = Self.driver()
        #expect(!driver.text.contains("vs f32"), "f32 has nothing to compare with")
        #expect(driver.state.focused.embedded?.f32Output == nil)
        driver.press(.character("b"))
        let embedded = try #require(driver.state.focused.embedded)
        let f32 = try #require(embedded.atF32, "the f32 pass came with the bf16 vectors")
        let token = driver.state.selection
        let layer = driver.state.layer
        let reduced = embedded.pieceVector(token, layer: layer), reference = f32.pieceVector(token, layer: layer)
        #expect(reduced != reference, "bf16 weights change the numbers")
        let cosine = VectorMath.cosine(reduced, reference)
        #expect(cosine > 0.99 && cosine < 1)
        let screen = driver.text
        #expect(screen.contains(String(format: "vs f32: cosine %.6f", cosine)), "\(screen)")
        let strip = try #require(screen.split(separator: "\n").first { $0.contains("f32   ") && $0.contains("min ") })
        let lowest = (0...embedded.layerCount).map { index in
            VectorMath.cosine(embedded.pieceVector(token, layer: .layer(index)), f32.pieceVector(token, layer: .layer(index)))
        }.min()!
        #expect(strip.contains(String(format: "min %.5f", lowest)), "\(strip)")
    }

    @Test("a pin remembers the precision it was made at; the baseline is computed at the precision in use")
    func pinsAndBaseline() {
        let driver = Self.driver()
        driver.press(.character("w"), .character("m"), .character("b"), .down, .character("m"))
        #expect(driver.state.pins.map(\.precision) == [.f32, .bf16])
        #expect(driver.state.pins[1].label.hasSuffix("· bf16"))
        #expect(!driver.state.pins[0].label.contains("f32"))
        #expect(driver.state.baselines[driver.state.baselineKey] != nil)
        #expect(driver.state.baselineKey.precision == .bf16)
    }
}

@Suite("Explorer: the model's own sentence cosine")
struct ModelSentenceCosineTests {
    @Test("with a sentence-transformers pooling, Compare gives the model's own sentence cosine of the two lines; without, nothing")
    func compareShowsIt() throws {
        let driver = ExplorerDriver(rows: 40, columns: 120)
        driver.type("the dog barks")
        driver.press(.escape, .character("+"))
        driver.type("a cat sleeps")
        driver.press(.escape, .character("3"))
        #expect(!driver.text.contains("model's own"), "a folder without modules.json has no pooling of its own")
        let modules = SentenceModules(steps: [.pooling([.cls, .max], includePrompt: true), .normalize], prompts: [:], origin: "test")
        driver.state.sentenceModules = modules
        driver.state.derived = DerivedData()
        driver.send(.key(.character("w")))
        let a = try #require(driver.state.focused.embedded), b = try #require(driver.state.lines[0].embedded)
        let expected = VectorMath.cosine(modules.sentenceVector(a.output.hiddenStates.last!), modules.sentenceVector(b.output.hiddenStates.last!))
        #expect(driver.state.derived.modelSentenceCosine == expected)
        #expect(driver.text.contains(String(format: "model's own %.3f", expected)), "\(driver.text)")
        // Another layer on screen: the model's own vector still reads the last layer.
        driver.press(.character("["))
        #expect(driver.state.derived.modelSentenceCosine == expected)
    }
}
