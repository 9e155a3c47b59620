import ArgumentParser
import BertEngine
import Export
import Foundation
import ModelLoader
import ModelStore

struct ModelsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "models",
        abstract: "List the models bertscope can use, where they are, and which one is the default and why.",
        discussion: """
            Looks in the Hugging Face cache ($HF_HUB_CACHE, $HF_HOME/hub or ~/.cache/huggingface/hub; BERT \
            models only) and in bertscope's cache ($BERTSCOPE_CACHE/models or ~/.cache/bertscope/models). \
            --json writes one object: active ({name, folder, reason, reason_code} or null), active_error, \
            hf_cache {path, models [{repo, commit, refs, folder, size_bytes, files, model_type, has_weights, \
            has_vocab, format, is_default}], other_models}, bertscope_cache {path, models [{name, folder, \
            size_bytes, files, model_type, source, has_weights, has_vocab, format, is_offline_default}]}. \
            has_vocab means the folder can tokenize (tokenizer.json or vocab.txt, or an E5S1 file, which holds its tokenizer); \
            format is safetensors or e5s1.
            """
    )

    @Flag(name: .long, help: "Write one JSON object.")
    var json = false

    func run() throws {
        let environment = StoreEnvironment()
        let resolver = ModelResolver(environment: environment)
        var active: ResolvedModel?
        var activeError: String?
        do {
            active = try resolver.resolveDefault(needs: .weights)
        } catch let error as ModelStoreError {
            activeError = error.description
        }
        let snapshots = HubCache(root: environment.hubCache).snapshots()
        let bert = snapshots.filter(\.looksLikeBERT)
        let own = BertscopeCache.models(in: environment)
        let defaultRepos = Set(DefaultModels.hubAliases.map(\.repo))

        if json {
            var writer = JSONWriter()
            writer.beginObject()
            writer.key("active")
            if let active { writeResolved(active, to: &writer) } else { writer.null() }
            writer.key("active_error")
            if let activeError { writer.string(activeError) } else { writer.null() }
            writer.key("hf_cache")
            writer.beginObject()
            writer.key("path"); writer.string(environment.hubCache.path)
            writer.key("models")
            writer.beginArray()
            for snapshot in bert {
                writer.beginObject()
                writer.key("repo"); writer.string(snapshot.repo)
                writer.key("commit"); writer.string(snapshot.commit)
                writer.key("refs"); writeStrings(snapshot.refs, to: &writer)
                writer.key("folder"); writer.string(snapshot.folder.path)
                writer.key("size_bytes"); writer.int(Int(snapshot.sizeBytes))
                writer.key("files"); writeStrings(snapshot.files, to: &writer)
                writer.key("model_type"); writer.string(snapshot.modelType ?? "bert")
                writer.key("has_weights"); writer.bool(ModelRequirement.weights.isMet(in: snapshot.folder))
                writer.key("has_vocab"); writer.bool(ModelRequirement.tokenizer.isMet(in: snapshot.folder))
                writer.key("format"); writer.string(ModelFiles.format(snapshot.folder))
                writer.key("is_default"); writer.bool(defaultRepos.contains(snapshot.repo))
                writer.endObject()
            }
            writer.endArray()
            writer.key("other_models"); writer.int(snapshots.count - bert.count)
            writer.endObject()
            writer.key("bertscope_cache")
            writer.beginObject()
            writer.key("path"); writer.string(environment.bertscopeModels.path)
            writer.key("models")
            writer.beginArray()
            for model in own {
                writer.beginObject()
                writer.key("name"); writer.string(model.name)
                writer.key("folder"); writer.string(model.folder.path)
                writer.key("size_bytes"); writer.int(Int(model.sizeBytes))
                writer.key("files"); writeStrings(model.files, to: &writer)
                writer.key("model_type")
                if let type = model.modelType { writer.string(type) } else { writer.null() }
                writer.key("source")
                if let source = model.source {
                    writer.beginObject()
                    writer.key("source"); writer.string(source.source)
                    writer.key("requirement")
                    if let requirement = source.requirement { writer.string(requirement) } else { writer.null() }
                    writer.endObject()
                } else {
                    writer.null()
                }
                writer.key("has_weights"); writer.bool(ModelRequirement.weights.isMet(in: model.folder))
                writer.key("has_vocab"); writer.bool(ModelRequirement.tokenizer.isMet(in: model.folder))
                writer.key("format"); writer.string(ModelFiles.format(model.folder))
                writer.key("is_offline_default"); writer.bool(model.name == DefaultModels.offline.name)
                writer.endObject()
            }
            writer.endArray()
            writer.endObject()
            writer.endObject()
            writeLine(writer.text)
            return
        }

        var lines = [String]()
        if let active {
            lines += ["Default model (no --model): \(active.name)", "  folder: \(active.folder.path)", "  why:    \(active.reason)"]
        } else if let activeError {
            lines += ["Default model (no --model): none", "  \(activeError)"]
        }
        lines += ["", "Hugging Face cache: \(environment.hubCache.path)"]
        if bert.isEmpty { lines.append("  no BERT models") }
        let repoWidth = bert.map(\.repo.count).max() ?? 0
        for snapshot in bert {
            let refs = snapshot.refs.isEmpty ? "" : " (\(snapshot.refs.joined(separator: ", ")))"
            let columns = [
                snapshot.repo.padding(toLength: repoWidth, withPad: " ", startingAt: 0),
                String(snapshot.commit.prefix(12)) + refs,
                ByteCount.text(snapshot.sizeBytes),
                ModelFiles.summary(snapshot.folder),
            ]
            lines.append("  " + columns.joined(separator: "  "))
        }
        let others = snapshots.count - bert.count
        if others > 0 { lines.append("  (\(others) other snapshot\(others == 1 ? "" : "s") not shown: not BERT)") }
        lines += ["", "bertscope cache: \(environment.bertscopeModels.path)"]
        if own.isEmpty { lines.append("  none; `bertscope pull --default-offline` installs \(DefaultModels.offline.name)") }
        let nameWidth = own.map(\.name.count).max() ?? 0
        for model in own {
            var columns = [model.name.padding(toLength: nameWidth, withPad: " ", startingAt: 0), ByteCount.text(model.sizeBytes),
                           ModelFiles.summary(model.folder)]
            if let requirement = model.source?.requirement { columns.append("from PyPI \(requirement)") }
            if model.name == DefaultModels.offline.name { columns.append("[offline default]") }
            lines.append("  " + columns.joined(separator: "  "))
        }
        writeLine(lines.joined(separator: "\n"))
    }

    private func writeResolved(_ resolved: ResolvedModel, to writer: inout JSONWriter) {
        writer.beginObject()
        writer.key("name"); writer.string(resolved.name)
        writer.key("folder"); writer.string(resolved.folder.path)
        writer.key("reason"); writer.string(resolved.reason.description)
        writer.key("reason_code"); writer.string(resolved.reason.code)
        writer.endObject()
    }

    private func writeStrings(_ values: [String], to writer: inout JSONWriter) {
        writer.beginArray()
        for value in values { writer.string(value) }
        writer.endArray()
    }
}

/// What a model folder's file list says about it.
enum ModelFiles {
    /// What a model folder holds, in words.
    static func summary(_ folder: URL) -> String {
        let format = ModelFolderFormat(of: folder)
        if let file = format.e5s1 {
            let tokenizerJSON = if case .tokenizerJSON = format.tokenizer { true } else { false }
            return "E5S1 file \(file.lastPathComponent) " + (tokenizerJSON ? "(weights) + tokenizer.json" : "(weights + tokenizer)")
        }
        switch (format.hasWeights, format.hasTokenizer) {
        case (true, true): return "weights + tokenizer"
        case (false, true): return "tokenizer only (no model.safetensors)"
        case (true, false): return "weights only (no tokenizer.json or vocab.txt)"
        case (false, false): return "incomplete"
        }
    }

    /// `safetensors` or `e5s1`, for JSON.
    static func format(_ folder: URL) -> String { ModelFolderFormat(of: folder).name }
}
