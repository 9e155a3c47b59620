import ArgumentParser
import Export
import ResourceFiles

struct ExamplesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "examples",
        abstract: "List the example sets of parallel sentences (bertscope --example NAME opens one).",
        discussion: """
            Each set is a file NAME.tsv in the resources folder's examples/ (Resources/README.md: the format). \
            With --json: an array of objects with name, description, languages, scripts, sentences (per language), \
            count (lines) and file.
            """
    )

    @Flag(help: "One JSON array.")
    var json = false

    func run() throws {
        let sets = try reportingResourceErrors { try resourceFolder().exampleSets() }
        if json {
            var writer = JSONWriter()
            writer.beginArray()
            for set in sets {
                writer.beginObject()
                writer.key("name"); writer.string(set.name)
                writer.key("description"); writer.string(set.description)
                writer.key("languages"); writer.beginArray(); set.languages.forEach { writer.string($0) }; writer.endArray()
                writer.key("scripts"); writer.beginArray(); set.scripts.forEach { writer.string($0) }; writer.endArray()
                writer.key("sentences"); writer.int(set.sentences.count)
                writer.key("count"); writer.int(set.rows.count)
                writer.key("file"); writer.string(set.file.path)
                writer.endObject()
            }
            writer.endArray()
            writeLine(writer.text)
        } else {
            for set in sets {
                writeLine("\(set.name): \(set.sentences.count) sentence\(set.sentences.count == 1 ? "" : "s") × \(set.languages.count) languages "
                          + "(\(set.rows.count) lines, scripts \(set.scripts.joined(separator: " "))) · \(set.description)")
                writeLine("  languages: \(set.languages.joined(separator: " "))")
            }
        }
    }
}
