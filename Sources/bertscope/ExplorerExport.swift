import Export
import Foundation
import TerminalUI

/// Writes what the explorer selected with the Export target's writers; the message goes to the status bar.
func exportFromExplorer(_ request: ExportRequest) throws -> String {
    guard !request.records.isEmpty else { throw UserError("nothing to export yet: type some text, or pin words") }
    try writeRecords(request.records, format: request.format, to: request.path, overwrite: request.overwrite)
    let count = request.records.count
    // The full path: the dialog's default name is relative to the folder the explorer was started in.
    return "wrote \(count) vector\(count == 1 ? "" : "s") to \(URL(fileURLWithPath: request.path).standardizedFileURL.path)"
}
