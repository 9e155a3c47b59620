import ArgumentParser
import Foundation

@main
struct Bertscope: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bertscope",
        abstract: "Explore what multilingual BERT makes of text: tokens, vectors, similarities.",
        version: BertscopeVersion.report,
        subcommands: [
            ExploreCommand.self, TokenizeCommand.self, EmbedCommand.self, FillMaskCommand.self, SimilarityCommand.self,
            AlignCommand.self, PrecisionReportCommand.self, ExamplesCommand.self,
            ExportCommand.self, PullCommand.self, ModelsCommand.self, ModelCommand.self, BenchCommand.self,
            BenchTokenizeCommand.self, BenchExplorerCommand.self,
        ],
        defaultSubcommand: ExploreCommand.self
    )

    static func main() {
        // Past a file size limit (ulimit -f), write(2) then fails with EFBIG, which every writer reports and
        // cleans up after, instead of the process being killed halfway through a file.
        signal(SIGXFSZ, SIG_IGN)
        main(nil)
    }
}
