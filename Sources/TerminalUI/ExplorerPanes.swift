/// What a pane needs computed from the vectors before it can be drawn (`DerivedData`).
enum PaneNeed: Sendable, Hashable {
    case similarity, comparison, attention
}

/// One right-hand pane of the explorer, as the rest of the explorer knows it: its name, what it needs
/// computed, its own keys, its help, and how it draws. Its key (digit and F-key) is its place in
/// `ExplorerPanes.all`.
struct PaneDescription: Sendable {
    let pane: Pane
    let title: String
    let needs: Set<PaneNeed>
    /// The pane's own keys, as lines of the keys help page.
    let keys: [String]
    /// What the pane shows, as lines of the second help page.
    let help: [String]
    let render: @Sendable (inout Screen, ExplorerState, Layout) -> Void
    /// The pane's own keys in browse mode, tried before the explorer's: true when the pane took the key.
    var handle: @Sendable (Key, inout ExplorerState) -> Bool = { _, _ in false }
    /// Columns of the heatmap the pane shows, for the column cursor; nil when it shows none.
    var heatmapColumns: @Sendable (ExplorerState) -> Int? = { _ in nil }
}

/// The panes in the order of their tabs, digits (1, 2, …) and F-keys (F2, F3, …).
enum ExplorerPanes {
    static let all: [PaneDescription] = [
        VectorPane.description, SimilarityPane.description, ComparePane.description, PinsPane.description, WhyPane.description,
        AttentionPane.description,
    ]
    /// F1 is help; the panes' F-keys follow it.
    static let firstFunctionKey = 2

    static func description(of pane: Pane) -> PaneDescription { all.first { $0.pane == pane }! }
    static func position(of pane: Pane) -> Int { all.firstIndex { $0.pane == pane }! }

    /// The digit that selects the pane.
    static func digit(of pane: Pane) -> Character { Character(String(position(of: pane) + 1)) }

    static func pane(forDigit digit: Character) -> Pane? {
        all.first { self.digit(of: $0.pane) == digit }?.pane
    }

    static func pane(forFunctionKey number: Int) -> Pane? {
        all.indices.contains(number - firstFunctionKey) ? all[number - firstFunctionKey].pane : nil
    }

    /// The pane `step` tabs away, wrapping around.
    static func pane(_ step: Int, from pane: Pane) -> Pane {
        all[(position(of: pane) + step + all.count) % all.count].pane
    }

    /// "1-6", "F2-F7": the keys of the panes, for the help.
    static var digitRange: String { "1-\(all.count)" }
    static var functionKeyRange: String { "F\(firstFunctionKey)-F\(firstFunctionKey + all.count - 1)" }
}
