/// A terminal colour: one of the 256 indexed colours. Rendering maps it down to 8 colours or none.
public struct Color: Sendable, Hashable {
    public var index: UInt8
    public init(_ index: UInt8) { self.index = index }

    public static let black = Color(0), red = Color(1), green = Color(2), yellow = Color(3)
    public static let blue = Color(4), magenta = Color(5), cyan = Color(6), white = Color(7)
    public static let gray = Color(244), darkGray = Color(238)

    /// The nearest of the 8 basic colours, for terminals without 256 colours.
    public var basic: Color {
        if index < 8 { return self }
        if index < 16 { return Color(index - 8) }
        if index >= 232 { return index < 244 ? .black : .white }
        let cube = Int(index) - 16
        let red = cube / 36 >= 3 ? 1 : 0
        let green = (cube / 6) % 6 >= 3 ? 2 : 0
        let blue = cube % 6 >= 3 ? 4 : 0
        return Color(UInt8(red | green | blue))
    }

    /// A colour from the 6x6x6 cube, each component 0...5.
    public static func cube(_ r: Int, _ g: Int, _ b: Int) -> Color {
        let red: Int = max(0, min(5, r)), green: Int = max(0, min(5, g)), blue: Int = max(0, min(5, b))
        return Color(UInt8(16 + 36 * red + 6 * green + blue))
    }
}

/// How a cell is drawn.
public struct Style: Sendable, Hashable {
    public var foreground: Color?
    public var background: Color?
    public var bold = false
    public var reverse = false
    public var underline = false
    public var dim = false

    public init(foreground: Color? = nil, background: Color? = nil, bold: Bool = false, reverse: Bool = false,
                underline: Bool = false, dim: Bool = false) {
        self.foreground = foreground
        self.background = background
        self.bold = bold
        self.reverse = reverse
        self.underline = underline
        self.dim = dim
    }

    public static let plain = Style()
}

/// One screen cell: a spacing character with its combining marks, or the right half of a wide one.
public struct Cell: Sendable, Hashable {
    /// The scalars drawn in this cell ("" for the right half of a wide character).
    public var text: String
    public var style: Style
    /// True for the second cell of a double-width character.
    public var isContinuation: Bool

    public static let blank = Cell(text: " ", style: .plain, isContinuation: false)
}

/// A grid of cells: what the terminal should show. The terminal layer only diffs and paints it.
public struct Screen: Sendable, Equatable {
    public let rows: Int
    public let columns: Int
    public private(set) var cells: [Cell]
    /// Where the terminal cursor should be, if visible.
    public var cursor: (row: Int, column: Int)?

    public init(rows: Int, columns: Int) {
        self.rows = max(0, rows)
        self.columns = max(0, columns)
        cells = [Cell](repeating: .blank, count: self.rows * self.columns)
    }

    public static func == (a: Screen, b: Screen) -> Bool {
        a.rows == b.rows && a.columns == b.columns && a.cells == b.cells && a.cursor?.row == b.cursor?.row
            && a.cursor?.column == b.cursor?.column
    }

    public subscript(row: Int, column: Int) -> Cell {
        get { cells[row * columns + column] }
        set { cells[row * columns + column] = newValue }
    }

    /// Writes `text` from (row, column), clipped to `width` cells (default: to the right edge); clipped text
    /// ends in "…", so a cut label is never taken for a whole one. Wide characters take two cells and never
    /// straddle the clip edge; combining marks join the previous cell; control characters are shown as
    /// visible symbols. Returns the column after the text.
    @discardableResult
    public mutating func write(_ text: String, row: Int, column: Int, style: Style = .plain, width: Int? = nil) -> Int {
        guard row >= 0, row < rows, column < columns else { return column }
        let limit = min(columns, column + (width ?? columns))
        var position = column
        var previous: Unicode.Scalar?
        for scalar in text.unicodeScalars {
            defer { previous = scalar }
            // A zero-width joiner after an emoji is not sent: terminals that join emoji sequences would draw
            // 👨‍👩‍👧 in two cells where wcwidth counts six, shifting the rest of the row; unjoined, every terminal
            // draws six. Elsewhere a joiner is part of the spelling (Sinhala ශ්‍රී, Malayalam chillu) and stays.
            if scalar.value == 0x200D, let previous, Self.endsEmoji(previous) { continue }
            var scalar = scalar
            if scalar.value < 0x20 { scalar = Unicode.Scalar(0x2400 + scalar.value)! }  // ␀..␟
            if scalar.value == 0x7F { scalar = "\u{2421}" }
            if DisplayWidth.rawWidth(scalar) < 0 { scalar = "\u{FFFD}" }  // what the terminal cannot print
            let cells = DisplayWidth.of(scalar)
            if cells == 0 {
                // A combining mark or zero-width character belongs to the previous cell.
                if position > column, position - 1 < columns, position - 1 >= 0 {
                    var target = position - 1
                    if self[row, target].isContinuation && target > 0 { target -= 1 }
                    if self[row, target].text.unicodeScalars.count < 5 { self[row, target].text.unicodeScalars.append(scalar) }
                }
                continue
            }
            if position + cells > limit {
                markCut(row: row, written: max(column, 0)..<position, limit: limit, style: style)
                break
            }
            if position >= 0 {
                self[row, position] = Cell(text: String(scalar), style: style, isContinuation: false)
                if cells == 2 { self[row, position + 1] = Cell(text: "", style: style, isContinuation: true) }
            }
            position += cells
        }
        return position
    }

    /// Marks a cut write with "…": in the cell after `written` when the limit leaves one (a wide character
    /// did not fit), else in the last cell written (a wide character's two cells become "…" and a space);
    /// nothing when the write put nothing there.
    private mutating func markCut(row: Int, written: Range<Int>, limit: Int, style: Style) {
        guard let last = written.last, last < columns else { return }
        if written.upperBound < limit {
            self[row, written.upperBound] = Cell(text: "…", style: style, isContinuation: false)
            return
        }
        var target = last
        if self[row, target].isContinuation && target > written.lowerBound {
            self[row, target] = Cell(text: " ", style: style, isContinuation: false)
            target -= 1
        }
        self[row, target] = Cell(text: "…", style: style, isContinuation: false)
    }

    /// An emoji, a skin-tone modifier or the emoji-style selector: what a joiner in an emoji sequence follows.
    private static func endsEmoji(_ scalar: Unicode.Scalar) -> Bool {
        scalar.value == 0xFE0F || (scalar.properties.isEmoji && scalar.value > 0x7F) || scalar.properties.isEmojiModifier
    }

    /// Fills a rectangle with spaces in `style`.
    public mutating func fill(row: Int, column: Int, height: Int, width: Int, style: Style = .plain) {
        for r in max(0, row)..<min(rows, row + height) {
            for c in max(0, column)..<min(columns, column + width) { self[r, c] = Cell(text: " ", style: style, isContinuation: false) }
        }
    }

    /// The text of one row, as a terminal would show it (for tests and captures).
    public func text(row: Int) -> String {
        (0..<columns).map { self[row, $0].text }.joined()
    }

    /// All rows, trailing spaces trimmed.
    public var text: String {
        (0..<rows).map { row in
            var line = text(row: row)
            while line.hasSuffix(" ") { line.removeLast() }
            return line
        }.joined(separator: "\n")
    }
}
