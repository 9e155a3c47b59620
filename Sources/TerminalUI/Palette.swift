/// Colours and glyphs for values, in all three colour modes.
enum Palette {
    static let header = Style(foreground: .white, background: Color(24), bold: true)
    static let selected = Style(reverse: true)
    static let special = Style(foreground: .gray, dim: true)
    static let unknown = Style(foreground: .red, bold: true)
    static let accent = Style(foreground: .cyan, bold: true)
    static let warning = Style(foreground: .yellow, bold: true)
    static let dim = Style(foreground: .gray)
    static let highlight = Style(foreground: .black, background: .yellow)
    /// Text the model never reads (past its positions).
    static let unread = Style(foreground: .gray, dim: true)

    /// A diverging colour for a value in -1...1: blue for negative, white at 0, red for positive.
    static func diverging(_ value: Double, mode: ColorMode) -> (String, Style) {
        let clamped = max(-1, min(1, value.isFinite ? value : 0))
        let level = Int((abs(clamped) * 5).rounded())
        switch mode {
        case .none:
            let glyphs: [Character] = [" ", "·", ":", "+", "*", "#"]
            return (String(glyphs[level]), clamped < 0 ? Style(underline: true) : .plain)
        case .full, .basic:
            let color = clamped >= 0 ? Color.cube(5, 5 - level, 5 - level) : Color.cube(5 - level, 5 - level, 5)
            return (" ", Style(background: mode == .basic ? basicShade(clamped) : color))
        }
    }

    /// A sequential colour for a cosine: dark for low, bright for high.
    static func heat(_ value: Double, mode: ColorMode) -> (String, Style) {
        let clamped = max(-1, min(1, value.isFinite ? value : 0))
        let t = (clamped + 1) / 2  // -1...1 -> 0...1
        switch mode {
        case .none:
            let glyphs: [Character] = [" ", "░", "▒", "▓", "█"]
            return (String(glyphs[min(4, Int(t * 4.999))]), .plain)
        case .basic:
            let colors: [Color] = [.black, .blue, .cyan, .green, .yellow, .red]
            return (" ", Style(background: colors[min(5, Int(t * 5.999))]))
        case .full:
            // The 24-step gray ramp would hide structure; walk blue -> green -> yellow -> red.
            let steps: [Color] = [Color(17), Color(18), Color(19), Color(25), Color(31), Color(37), Color(35), Color(71),
                                  Color(107), Color(143), Color(179), Color(215), Color(209), Color(203), Color(196)]
            return (" ", Style(background: steps[min(steps.count - 1, Int(t * Double(steps.count) - 0.001))]))
        }
    }

    private static func basicShade(_ value: Double) -> Color {
        if abs(value) < 0.2 { return .white }
        return value > 0 ? .red : .blue
    }

    /// A bar glyph for a value in 0...1.
    static func spark(_ value: Double) -> String {
        let bars: [Character] = ["▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"]
        let clamped = max(0, min(1, value.isFinite ? value : 0))
        return String(bars[min(7, Int(clamped * 7.999))])
    }
}
