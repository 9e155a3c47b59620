import ArgumentParser

@main
struct Bertscope: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bertscope",
        abstract: "Explore what multilingual BERT makes of text: tokens, vectors, similarities.",
        subcommands: [
            ExploreCommand.self, TokenizeCommand.self, EmbedCommand.self, FillMaskCommand.self, SimilarityCommand.self,
            ExportCommand.self, PullCommand.self, ModelsCommand.self, ModelCommand.self, BenchCommand.self,
            BenchTokenizeCommand.self, BenchExplorerCommand.self,
        ],
        defaultSubcommand: ExploreCommand.self
    )
}
