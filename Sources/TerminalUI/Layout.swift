/// Where each part of the explorer goes for the current terminal size. Used by rendering and by mouse
/// handling, so a click lands on what is drawn.
struct Layout {
    static let minimumRows = 24
    static let minimumColumns = 80

    let rows: Int
    let columns: Int
    let inputTop = 1
    /// Input lines shown at once: all of them when they fit, else a window that follows the focus.
    let inputRows: Int
    /// The first input line shown.
    let inputScroll: Int
    let sourceRow: Int
    /// With several models, one row each under the text: how each cuts the focused line (none with one model).
    let modelRows: Int
    let tabsRow: Int
    let bodyTop: Int
    let footerRow: Int
    let listWidth: Int
    /// Rows under the list for the notice that the text was cut at the model's positions, and where.
    let noticeRows: Int

    init(_ state: ExplorerState) {
        rows = state.rows
        columns = state.columns
        // Up to 12 lines: on a small terminal the body keeps at least 16 rows and the lines scroll.
        modelRows = state.models.count > 1 ? state.models.count : 0
        inputRows = min(state.lines.count, max(4, rows - 20 - modelRows))
        inputScroll = max(0, min(state.focusedLine - inputRows / 2, state.lines.count - inputRows))
        sourceRow = inputTop + inputRows
        tabsRow = sourceRow + 1 + modelRows
        bodyTop = tabsRow + 1
        footerRow = rows - 1
        listWidth = columns >= 100 ? 38 : 31
        noticeRows = state.focused.unreadFrom == nil ? 0 : 2
    }

    var isTooSmall: Bool { rows < Self.minimumRows || columns < Self.minimumColumns }
    var bodyHeight: Int { max(0, footerRow - bodyTop) }
    var paneLeft: Int { listWidth + 1 }
    var paneWidth: Int { max(0, columns - paneLeft) }
    /// Rows of the list below its header.
    var visibleListRows: Int { max(1, bodyHeight - 1 - noticeRows) }

    /// First row of the list shown, keeping the selection in view (centred when possible).
    func listScroll(_ state: ExplorerState) -> Int {
        let count = ExplorerReducer.rowCount(state)
        return max(0, min(state.selection - visibleListRows / 2, count - visibleListRows))
    }
}
