import Foundation
import TerminalUI

/// Writes what the explorer selected with the Export target's writers.
func exportFromExplorer(_ request: ExportRequest) throws -> String {
    throw UserError("export is not wired yet")
}
