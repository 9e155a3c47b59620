import Embeddings

/// The Vector pane: the selected piece or word at the layer, its dimensions, and how it changes across layers.
enum VectorPane {
    static let description = PaneDescription(
        pane: .vector, title: "Vector", needs: [], keys: [], help: [
            "Vector: the selected piece or word at the layer; pooling makes a word",
            "  from its pieces.                 same numbers: bertscope embed",
            "  At bf16/int8 (b): cosine to f32.  bertscope precision-report --tokens",
        ], render: render)

    static func render(_ screen: inout Screen, _ state: ExplorerState, _ layout: Layout) {
        let left = layout.paneLeft + 1
        let width = layout.paneWidth - 2
        var row = layout.bodyTop
        guard !state.focused.editor.text.isEmpty, let embedded = state.focused.embedded,
              let (label, vector) = selectedVector(state, embedded) else {
            screen.write(state.focused.editor.text.isEmpty ? "type some text to see its vectors"
                         : "select a piece or word with ↑↓ (browse mode: Esc)", row: row, column: left, style: Palette.dim)
            return
        }
        let stale = state.focused.isStale ? "  (vectors of the previous text)" : ""
        screen.write("\(label) · \(state.layer)\(stale)", row: row, column: left, style: Palette.accent, width: width)
        row += 1
        let norm = VectorMath.norm(vector)
        screen.write(String(format: "norm %.3f   mean %+.4f   std %.4f   %d dims", norm, VectorMath.mean(vector),
                            VectorMath.standardDeviation(vector), vector.count), row: row, column: left, width: width)
        row += 1
        if let f32 = embedded.atF32, let (_, reference) = selectedVector(state, f32) {
            let largest = zip(vector, reference).map { abs($0 - $1) }.max() ?? 0
            screen.write(String(format: "vs f32: cosine %.6f   max |diff| %.4f   (%@ weights)", VectorMath.cosine(vector, reference),
                                largest, state.precision.rawValue), row: row, column: left, style: Palette.accent, width: width)
            row += 1
        }
        // The first dimensions as numbers.
        let perRow = max(1, width / 9)
        for line in 0..<2 {
            var text = ""
            for dimension in (line * perRow)..<min(vector.count, (line + 1) * perRow) { text += String(format: "%+8.4f ", vector[dimension]) }
            screen.write(text, row: row, column: left, width: width)
            row += 1
        }
        // Every dimension as a colour strip, scaled to the largest magnitude.
        let scale = Double(vector.map { abs($0) }.max() ?? 1)
        let stripRows = max(1, min(layout.bodyTop + layout.bodyHeight - row - 6, (vector.count + width - 1) / width))
        let perCell = max(1, Int((Double(vector.count) / Double(stripRows * width)).rounded(.up)))
        screen.write(String(format: "all %d dims, %d per cell, scale ±%.3f (blue − … + red)", vector.count, perCell, scale),
                     row: row, column: left, style: Palette.dim, width: width)
        row += 1
        var dimension = 0
        for stripRow in 0..<stripRows {
            for column in 0..<width where dimension < vector.count {
                let chunk = vector[dimension..<min(vector.count, dimension + perCell)]
                let value = Double(chunk.reduce(0, +)) / Double(chunk.count)
                let (glyph, style) = Palette.diverging(scale > 0 ? value / scale : 0, mode: state.colors)
                screen.write(glyph, row: row + stripRow, column: left + column, style: style)
                dimension += perCell
            }
        }
        row += stripRows
        let largest = VectorMath.largestDimensions(vector, count: 6).map { String(format: "d%d %+.2f", $0, vector[$0]) }
        screen.write("largest: " + largest.joined(separator: "  "), row: row, column: left, width: width)
        row += 1
        layerStrip(&screen, state, embedded, row: row, left: left, width: width)
    }

    /// How the selected vector's norm and its cosine to layer 0 change across layers, and at a reduced precision its
    /// cosine to the f32 vector.
    static func layerStrip(_ screen: inout Screen, _ state: ExplorerState, _ embedded: EmbeddedText, row: Int, left: Int, width: Int) {
        guard row + 3 < state.rows - 1 else { return }
        let layers = 0...embedded.layerCount
        let vectors = acrossLayers(state, embedded)
        let norms = vectors.map(VectorMath.norm)
        let maximum = norms.max() ?? 1
        let cosines = vectors.map { VectorMath.cosine($0, vectors[0]) }
        var numbers = "layer "
        var normLine = "norm  "
        var cosineLine = "cos₀  "
        for index in layers {
            numbers += ExplorerView.pad(String(index), 3)
            normLine += "  " + Palette.spark(maximum > 0 ? norms[index] / maximum : 0)
            cosineLine += "  " + Palette.spark(cosines[index])
        }
        screen.write(numbers, row: row, column: left, style: Palette.dim, width: width)
        screen.write(normLine + String(format: "  max %.1f", maximum), row: row + 1, column: left, width: width)
        screen.write(cosineLine + String(format: "  last %.2f", cosines.last ?? 0), row: row + 2, column: left, width: width)
        guard let f32 = embedded.atF32, row + 4 < state.rows - 1 else { return }
        let toF32 = zip(vectors, acrossLayers(state, f32)).map { VectorMath.cosine($0, $1) }
        // Cosines to f32 sit just below 1: the strip shows how far below, 1 - 100·(1 - cos), so 0.99 is empty.
        let precisionLine = toF32.reduce("f32   ") { $0 + "  " + Palette.spark(max(0, 1 - 100 * (1 - $1))) }
        screen.write(precisionLine + String(format: "  min %.5f", toF32.min() ?? 1), row: row + 3, column: left, width: width)
    }

    /// The selected piece's or word's vector at every layer, 0 (embeddings) first.
    static func acrossLayers(_ state: ExplorerState, _ embedded: EmbeddedText) -> [[Float]] {
        (0...embedded.layerCount).map { index -> [Float] in
            var layerState = state
            layerState.layer = .layer(index)
            return selectedVector(layerState, embedded)?.1 ?? []
        }
    }

    /// The selected piece's or word's label and vector at the current layer and pooling.
    static func selectedVector(_ state: ExplorerState, _ embedded: EmbeddedText) -> (String, [Float])? {
        if state.showWords {
            guard let words = state.focused.vectorWords?.words, state.selection < words.count else { return nil }
            let word = words[state.selection]
            return ("word \"\(word.text)\" (\(word.tokens.count) piece\(word.tokens.count == 1 ? "" : "s"), \(state.pooling.rawValue))",
                    embedded.wordVector(word, layer: state.layer, pooling: state.pooling))
        }
        guard state.selection < embedded.encoding.count else { return nil }
        return ("piece \"\(embedded.encoding.tokens[state.selection])\" (token \(state.selection))",
                embedded.pieceVector(state.selection, layer: state.layer))
    }

}
