import ArgumentParser

@main
struct Bertscope: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bertscope",
        abstract: "Explore what multilingual BERT makes of text: tokens, vectors, similarities.",
        subcommands: [TokenizeCommand.self, EmbedCommand.self, FillMaskCommand.self, BenchCommand.self, BenchTokenizeCommand.self, ExportCommand.self, SimilarityCommand.self, PullCommand.self, ModelsCommand.self, ModelCommand.self]
    )
}
