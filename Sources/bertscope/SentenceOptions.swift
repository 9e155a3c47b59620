import ArgumentParser
import BertEngine
import Embeddings

/// `--prompt NAME` / `--prompt-text TEXT`: a prompt put before every text, as sentence-transformers puts the
/// prompts a model defines (`config_sentence_transformers.json`: e5's "query: ", a retrieval model's
/// "document" ...). The prompt is part of the text the model reads: its pieces appear in the tokens.
struct PromptOptions: ParsableArguments {
    @Option(name: .long, help: "A prompt the model defines (its config_sentence_transformers.json prompts), put before each text.")
    var prompt: String?

    @Option(name: .customLong("prompt-text"), help: "Text put before each text as a prompt (e.g. \"query: \" for e5 models).")
    var promptText: String?

    func validate() throws {
        if prompt != nil && promptText != nil { throw ValidationError("give either --prompt or --prompt-text, not both") }
    }

    /// The prompt's text, nil without one; a name the model does not define is refused, naming those it does.
    func text(for modules: SentenceModules?) throws -> String? {
        if let promptText { return promptText }
        guard let prompt else { return nil }
        guard let text = modules?.prompts[prompt] else {
            let names = modules?.prompts.keys.sorted() ?? []
            throw UserError("--prompt \(prompt): the model defines " + (names.isEmpty ? "no prompts" : "the prompts \(names.joined(separator: ", "))")
                            + "; --prompt-text TEXT puts any text before the input")
        }
        return text
    }
}

extension LoadedModel {
    /// The model's own sentence vector (its sentence-transformers modules) of one text's pass, the text
    /// encoded with `prompt` before it; nil for a model that declares none.
    func modelSentenceVector(_ output: ModelOutput, prompt: String?) -> [Float]? {
        guard let sentenceModules else { return nil }
        return sentenceModules.sentenceVector(output.lastHiddenState, promptLength: SentenceModules.promptLength(of: prompt, tokenizer: tokenizer))
    }
}
