import BertEngine
import Embeddings
import Foundation

/// The Attention pane: what the selected piece (or word) attends to, at a layer and head, read as people who
/// study BERT read it: bars (bertviz's head view), one head's matrix, every head's focus (bertviz's model view),
/// and Clark et al.'s head statistics.
enum AttentionPane {
    static let description = PaneDescription(
        pane: .attention, title: "Attention", needs: [.attention], keys: [
            "Attention pane: [ ] layer 1…N · , . (or < >) head, all heads = mean",
            "  v  view: bars matrix heads stats · n  values · r  rollout (bars)",
            "  ← → h l  head in the heads grid, column in the matrix",
        ], help: [
            "Attention: what the selected piece (word) attends to at a layer and head:",
            "  bars, one head's matrix, every head's focus and entropy, Clark et al.",
            "  2019's head statistics; words mode: word attention. Computed only",
            "  while this pane is open.          bertscope embed --attentions --json",
        ], render: render, handle: handle,
        heatmapColumns: { state in state.attention.view == .matrix ? state.derived.attention?.labels.count : nil })

    // MARK: Keys

    static func handle(_ key: Key, _ state: inout ExplorerState) -> Bool {
        let layers = state.derived.attention?.layerCount ?? state.model.layerCount
        let heads = state.derived.attention?.headCount ?? 0
        switch key {
        case .character("]"): state.attention.layer = state.attention.layer % max(1, layers) + 1
        case .character("["): state.attention.layer = (state.attention.layer + max(1, layers) - 2) % max(1, layers) + 1
        case .character("."), .character(">"): moveHead(1, heads, &state)
        case .character(","), .character("<"): moveHead(-1, heads, &state)
        case .right where state.attention.view == .heads, .character("l") where state.attention.view == .heads: moveHead(1, heads, &state)
        case .left where state.attention.view == .heads, .character("h") where state.attention.view == .heads: moveHead(-1, heads, &state)
        case .character("v"):
            let views = AttentionChoice.View.allCases
            state.attention.view = views[(views.firstIndex(of: state.attention.view)! + 1) % views.count]
        case .character("n"): state.attention.showValues.toggle()
        case .character("r"):
            state.attention.rollout.toggle()
            state.message = state.attention.rollout ? "bars: attention rollout (Abnar and Zuidema 2020), heads averaged, through the layer" : "bars: the layer's attention"
        default:
            return false
        }
        return true
    }

    /// Heads in order, then "all heads" (the mean), round again.
    private static func moveHead(_ step: Int, _ heads: Int, _ state: inout ExplorerState) {
        guard heads > 0 else { return }
        let position = state.attention.head.map { $0 + 1 } ?? 0  // 0: all heads
        let next = (position + step + heads + 1) % (heads + 1)
        state.attention.head = next == 0 ? nil : next - 1
    }

    // MARK: Drawing

    static func render(_ screen: inout Screen, _ state: ExplorerState, _ layout: Layout) {
        let left = layout.paneLeft + 1
        let width = layout.paneWidth - 2
        var row = layout.bodyTop
        guard let attention = state.derived.attention else {
            screen.write(state.focused.editor.text.isEmpty ? "type some text to see its attention" : "computing attention…",
                         row: row, column: left, style: Palette.dim)
            return
        }
        guard let unit = attention.unitOfRow[safe: state.selection] else {
            screen.write("select a piece or word with ↑↓ (browse mode: Esc)", row: row, column: left, style: Palette.dim)
            return
        }
        let choice = state.attention
        let layer = max(1, min(choice.layer, attention.layerCount))
        let rollout = choice.rollout && choice.view == .bars
        let what: String
        if rollout {
            what = "layer \(layer) rollout (Abnar & Zuidema 2020)"
        } else {
            let head = choice.head.map { "head \(min($0, attention.headCount - 1) + 1)/\(attention.headCount)" } ?? "all heads (mean)"
            what = "layer \(layer)/\(attention.layerCount) · \(head)"
        }
        let kind = state.showWords ? "word" : "piece"
        let stale = state.focused.isStale ? " (previous text)" : ""
        screen.write("\(kind) \"\(attention.labels[unit])\" · \(what)\(stale)", row: row, column: left, style: Palette.accent, width: width)
        row += 1
        var column = screen.write("v ", row: row, column: left, style: Palette.dim)
        for view in AttentionChoice.View.allCases {
            column = screen.write(" \(view.rawValue) ", row: row, column: column, style: view == choice.view ? Palette.selected : Palette.dim)
        }
        row += 1
        // The pane's keys on its last row; the views draw above it.
        let bottom = layout.bodyTop + layout.bodyHeight - 1
        screen.write("[ ] layer · , . head · n values · r rollout · ? help", row: bottom, column: left, style: Palette.dim, width: width)
        let matrix = attention.matrix(choice, rollout: rollout)
        let values = matrix[unit].map(Double.init)
        let top = values.indices.max { values[$0] < values[$1] } ?? 0
        let focus = AttentionFocus(row: matrix[unit], token: unit, roles: attention.roles)
        screen.write(String(format: "→ most to \"%@\" %.3f · %@ · entropy %.2f nats", attention.labels[top], values[top],
                            focusName(focus.target, attention), focus.entropy), row: row, column: left, style: Style(bold: true), width: width)
        row += 1
        switch choice.view {
        case .bars: bars(&screen, state, attention, values: values, unit: unit, top: top, row: row, left: left, width: width, bottom: bottom)
        case .matrix: heatmap(&screen, state, attention, matrix, unit: unit, row: row, left: left, width: width, bottom: bottom)
        case .heads: headGrid(&screen, state, attention, unit: unit, row: row, left: left, width: width, bottom: bottom)
        case .statistics: statistics(&screen, state, attention, layer: layer, row: row, left: left, width: width, bottom: bottom)
        }
    }

    /// A target named as the explorer's encoding names it: [CLS] and [SEP], or <s> and </s>.
    static func focusName(_ target: AttentionFocus.Target, _ attention: LineAttention) -> String {
        switch target {
        case .start: return attention.roles.isStart.firstIndex(of: true).map { attention.labels[$0] } ?? "start"
        case .separator: return attention.roles.isSeparator.firstIndex(of: true).map { attention.labels[$0] } ?? "separator"
        case .punctuation: return "punctuation"
        case .spread: return "spread out"
        default: return target.rawValue
        }
    }

    /// One row per token of the line: the selected token's attention to it, scaled to the largest.
    private static func bars(_ screen: inout Screen, _ state: ExplorerState, _ attention: LineAttention, values: [Double], unit: Int,
                             top: Int, row: Int, left: Int, width: Int, bottom: Int) {
        let labelWidth = 12
        let valueWidth = state.attention.showValues ? 7 : 0
        let barWidth = max(1, width - labelWidth - 3 - valueWidth)
        let visible = max(1, bottom - row)
        let first = max(0, min(unit - visible / 2, values.count - visible))
        let largest = max(values[top], 1e-9)
        for (offset, index) in (first..<min(values.count, first + visible)).enumerated() {
            let y = row + offset
            let style = index == unit ? Palette.selected : (index == top ? Palette.accent : .plain)
            screen.write(DisplayWidth.padded(attention.labels[index], to: labelWidth), row: y, column: left, style: style, width: labelWidth)
            screen.write(index == top ? "◆" : " ", row: y, column: left + labelWidth + 1, style: Palette.accent)
            screen.write(bar(values[index] / largest, width: barWidth), row: y, column: left + labelWidth + 2, style: Style(foreground: .cyan))
            if state.attention.showValues {
                screen.write(String(format: "%6.3f", values[index]), row: y, column: left + labelWidth + 3 + barWidth, width: valueWidth)
            }
        }
    }

    /// A bar of `fraction` of `width` cells, in eighths.
    static func bar(_ fraction: Double, width: Int) -> String {
        let eighths = Int((max(0, min(1, fraction)) * Double(width * 8)).rounded())
        let partial = ["", "▏", "▎", "▍", "▌", "▋", "▊", "▉"][eighths % 8]
        return String(repeating: "█", count: eighths / 8) + partial
    }

    /// One head's (or the heads' mean) whole matrix: row i is token i's attention.
    private static func heatmap(_ screen: inout Screen, _ state: ExplorerState, _ attention: LineAttention, _ matrix: Matrix, unit: Int,
                                row: Int, left: Int, width: Int, bottom: Int) {
        let rows = (0..<matrix.rows).map { matrix[$0].map(Double.init) }
        let largest = max(rows.joined().max() ?? 1, 1e-9)
        let heatmap = Heatmap(rows: attention.labels, columns: attention.labels, matrix: rows, selectedRow: unit,
                              column: state.matrixColumn, best: rows.map { row in row.indices.max { row[$0] < row[$1] } ?? 0 },
                              heat: { $0 / largest * 2 - 1 }, reservedRows: 2)
        let after = heatmap.draw(&screen, colors: state.colors, top: row, left: left, width: width, bottom: bottom)
        let column = min(state.matrixColumn, attention.labels.count - 1)
        screen.write(String(format: "attention %@ → %@ = %.3f · ◆ each row's top · brightest %.3f", attention.labels[unit],
                            attention.labels[column], rows[unit][column], largest), row: after, column: left, style: Style(bold: true), width: width)
    }

    /// Glyphs of the overview grid: where the selected token's attention mostly goes in each head.
    static func glyph(_ target: AttentionFocus.Target) -> String {
        switch target {
        case .start: return "^"
        case .separator: return "$"
        case .itself: return "•"
        case .previous: return "←"
        case .next: return "→"
        case .punctuation: return "."
        case .spread: return "~"
        }
    }

    /// Every layer x head, one cell each: where the selected token's attention mostly goes, brighter the more
    /// concentrated (lower entropy); the cursor is the chosen layer and head.
    private static func headGrid(_ screen: inout Screen, _ state: ExplorerState, _ attention: LineAttention, unit: Int,
                                 row: Int, left: Int, width: Int, bottom: Int) {
        guard let focus = state.derived.focus?.heads else { return }
        let heads = attention.headCount
        let cellWidth = 4 + heads * 3 <= width ? 3 : 2
        var y = row
        var header = "    "
        for head in 0..<heads { header += ExplorerView.pad(String(head + 1), cellWidth) }
        screen.write(header, row: y, column: left, style: Palette.dim, width: width)
        y += 1
        let maximumEntropy = log(Double(max(2, attention.labels.count)))
        let chosenLayer = max(1, min(state.attention.layer, attention.layerCount))
        let visibleLayers = max(1, bottom - y - 3)
        let firstLayer = max(1, min(chosenLayer - visibleLayers / 2, attention.layerCount - visibleLayers + 1))
        for layer in firstLayer...min(attention.layerCount, firstLayer + visibleLayers - 1) {
            let chosenRow = layer == chosenLayer
            screen.write("L" + ExplorerView.pad(String(layer), 2) + " ", row: y, column: left, style: chosenRow ? Palette.selected : Palette.dim)
            for head in 0..<heads {
                let cell = focus[layer - 1][head]
                let concentration = 1 - min(1, cell.entropy / maximumEntropy)
                var (_, style) = Palette.heat(concentration * 2 - 1, mode: state.colors)
                style.foreground = .white
                style.bold = true
                let isCursor = chosenRow && (state.attention.head == nil || state.attention.head == head)
                let text = isCursor && cellWidth == 3 ? "[" + glyph(cell.target) + "]"
                    : String(repeating: " ", count: cellWidth - 1 - (cellWidth == 3 ? 1 : 0)) + glyph(cell.target) + (cellWidth == 3 ? " " : "")
                if isCursor { style.underline = true }
                screen.write(text, row: y, column: left + 4 + head * cellWidth, style: style)
            }
            y += 1
        }
        let start = focusName(.start, attention), separator = focusName(.separator, attention)
        screen.write("^ \(start)  $ \(separator)  • self  ← prev  → next  . punct  ~ spread",
                     row: y, column: left, style: Palette.dim, width: width)
        screen.write("brighter: more concentrated (lower entropy) · , . [ ] move", row: y + 1, column: left, style: Palette.dim, width: width)
        if let head = state.attention.head, head < heads {
            let cell = focus[chosenLayer - 1][head]
            screen.write(String(format: "layer %d head %d: %@ %.2f · entropy %.2f nats", chosenLayer, head + 1,
                                focusName(cell.target, attention), cell.share, cell.entropy), row: y + 2, column: left, width: width)
        }
    }

    /// Clark et al. 2019's measures of every head of the layer, over the whole line.
    private static func statistics(_ screen: inout Screen, _ state: ExplorerState, _ attention: LineAttention, layer: Int,
                                   row: Int, left: Int, width: Int, bottom: Int) {
        var y = row
        screen.write("Clark et al. 2019, layer \(layer): mean over the line's \(state.showWords ? "words" : "pieces") of their",
                     row: y, column: left, style: Palette.dim, width: width)
        screen.write("row's entropy (nats), attention to each kind of token", row: y + 1, column: left, style: Palette.dim, width: width)
        y += 2
        let start = focusName(.start, attention), separator = focusName(.separator, attention)
        let names = ["ent", start, separator, "self", "prev", "next", "punct"]
        screen.write("head" + names.map { ExplorerView.pad(String($0.prefix(5)), 6) }.joined(), row: y, column: left, style: Style(bold: true), width: width)
        y += 1
        let rows = attention.statistics.filter { $0.layer == layer }
        for stats in rows.prefix(max(0, bottom - y)) {
            let values = [stats.entropy, stats.toStart, stats.toSeparator, stats.toSelf, stats.toPrevious, stats.toNext, stats.toPunctuation]
            let text = ExplorerView.pad(String(stats.head + 1), 4) + values.map { ExplorerView.pad(String(format: "%.3f", $0), 6) }.joined()
            screen.write(text, row: y, column: left, style: stats.head == state.attention.head ? Palette.selected : .plain, width: width)
            y += 1
        }
    }
}
