import Foundation

/// Reads a Hugging Face `tokenizer.json` (the fast-tokenizer file): each stage decoded by its `type`
/// into bertscope's pipeline, and anything bertscope does not implement refused by name.
public enum TokenizerFile {
    /// The tokenizer `url` declares. WordPiece models keep bertscope's dialects; a Unigram model has one
    /// behaviour, Hugging Face's.
    public static func load(_ url: URL, dialect: Dialect = .hf) throws -> any TextTokenizer {
        let (object, vocabularies) = try readObject(url)
        let file = url.path
        let model = try dictionary(object["model"], "model", file)
        let modelType = try type(of: model, "model", file)
        guard ["WordPiece", "Unigram"].contains(modelType) else {
            throw TokenizerError.unsupportedComponent("model", modelType, path: file)
        }
        guard vocabularies.count == 1, model["vocab"] != nil else {
            throw TokenizerError.invalidConfiguration(file, reason: "expected one vocab, the model's; found \(vocabularies.count)")
        }
        var reader = VocabularyReader(vocabularies[0], file: file)
        switch modelType {
        case "WordPiece":
            return try wordPiece(
                object, vocabulary: try reader.tokenIds(), folder: url.deletingLastPathComponent(), dialect: dialect, file: file)
        case "Unigram":
            guard dialect == .hf else { throw TokenizerError.dialectNotSupported(dialect, path: file) }
            return try unigram(object, model: model, vocabulary: try reader.scoredPieces(), file: file)
        case let other:
            throw TokenizerError.unsupportedComponent("model", other, path: file)
        }
    }

    /// The model type a tokenizer.json declares ("WordPiece", "Unigram", ...), read without building it.
    public static func modelType(of url: URL) throws -> String {
        let data = try Data(contentsOf: url)
        let stripped = Data(JSONVocabularyStripper.strip(Array(data)))
        let object = try JSONSerialization.jsonObject(with: stripped) as? [String: Any]
        return ((object?["model"] as? [String: Any])?["type"] as? String) ?? "(none)"
    }

    // MARK: Models

    private static func wordPiece(
        _ object: [String: Any], vocabulary: [(String, Int)], folder: URL, dialect: Dialect, file: String
    ) throws -> BertTokenizer {
        // BERT's normalizer and pre-tokenizer are one stage in bertscope (BasicTokenizer), where the
        // google and spark dialects differ from Hugging Face's.
        for (stage, expected) in [("normalizer", "BertNormalizer"), ("pre_tokenizer", "BertPreTokenizer")] {
            let declared = try (object[stage] as? [String: Any]).map { try type(of: $0, stage, file) } ?? "(none)"
            guard declared == expected else {
                throw TokenizerError.unsupportedComponent(stage, declared + " before WordPiece", path: file)
            }
        }
        guard !vocabulary.isEmpty else { throw TokenizerError.invalidConfiguration(file, reason: "the WordPiece model has no vocab") }
        // A vocab.txt with a line twice (mBERT has five) becomes a map with one entry for both, so some ids
        // have no token here: they are never produced, and show as empty text.
        let count = (vocabulary.map(\.1).max() ?? -1) + 1
        var tokens = [String?](repeating: nil, count: count)
        for (token, id) in vocabulary {
            guard id >= 0, tokens[id] == nil else {
                throw TokenizerError.invalidConfiguration(file, reason: "the WordPiece vocab gives \(token.debugDescription) an id that is not new and non-negative")
            }
            tokens[id] = token
        }
        let configuration = try TokenizerConfiguration.load(fromModelFolder: folder, dialect: dialect, tokenizerJSON: object)
        let words = Vocabulary(tokens: tokens.map { $0 ?? "" })
        return try BertTokenizer(
            vocabulary: words, configuration: configuration,
            template: postProcessor(object["post_processor"], lookUp: words.id(of:), file: file),
            declaredMaxLength: declaredMaxLength(object))
    }

    private static func unigram(
        _ object: [String: Any], model: [String: Any], vocabulary: (pieces: [String], scores: [Float]), file: String
    ) throws -> UnigramTokenizer {
        if model["byte_fallback"] as? Bool == true {
            throw TokenizerError.unsupportedComponent("model", "Unigram with byte_fallback", path: file)
        }
        let (pieces, scores) = vocabulary
        guard let unknownId = model["unk_id"] as? Int else {
            throw TokenizerError.invalidConfiguration(file, reason: "the Unigram model has no unk_id, so unknown characters have no token")
        }
        // A few names are looked up (pad, the template's tokens): a scan each costs less than a map of all.
        let lookUp = { (piece: String) in pieces.lastIndex(of: piece) }
        let added = try addedTokens(object, file: file)
        return try UnigramTokenizer(
            pieces: pieces, scores: scores, unknownTokenId: unknownId,
            padTokenId: lookUp("<pad>") ?? unknownId,
            normalizer: normalizer(object["normalizer"], file: file),
            preTokenizer: preTokenizer(object["pre_tokenizer"], file: file),
            template: postProcessor(object["post_processor"], lookUp: lookUp, file: file)
                ?? SpecialTokenTemplate(single: [.sequence(0, typeId: 0)], pair: [.sequence(0, typeId: 0), .sequence(1, typeId: 1)]),
            addedTokens: AddedTokens(added), declaredMaxLength: declaredMaxLength(object))
    }

    // MARK: Stages

    static func normalizer(_ value: Any?, file: String) throws -> Normalizer {
        guard let object = value as? [String: Any] else { return .sequence([]) }
        switch try type(of: object, "normalizer", file) {
        case "Sequence":
            let steps = try (object["normalizers"] as? [Any] ?? []).map { try normalizer($0, file: file) }
            return .sequence(steps)
        case "Precompiled":
            guard let encoded = object["precompiled_charsmap"] as? String else { return .sequence([]) }
            guard let data = Data(base64Encoded: encoded) else {
                throw TokenizerError.invalidConfiguration(file, reason: "the Precompiled normalizer's charsmap is not base64")
            }
            return .precompiled(try PrecompiledCharsmap(Array(data), file: file))
        case "NFC": return .unicode(.nfc)
        case "NFD": return .unicode(.nfd)
        case "NFKC": return .unicode(.nfkc)
        case "NFKD": return .unicode(.nfkd)
        case "Lowercase": return .lowercase
        case "StripAccents": return .stripAccents
        case "Replace":
            return .replace(try pattern(object["pattern"], file: file), content: (object["content"] as? String ?? "").unicodeScalars.map(\.value))
        case "Prepend":
            return .prepend((object["prepend"] as? String ?? "").unicodeScalars.map(\.value))
        case "Strip":
            return .strip(left: object["strip_left"] as? Bool ?? true, right: object["strip_right"] as? Bool ?? true)
        case let other:
            throw TokenizerError.unsupportedComponent("normalizer", other, path: file)
        }
    }

    static func preTokenizer(_ value: Any?, file: String) throws -> PreTokenizer {
        guard let object = value as? [String: Any] else { return .sequence([]) }
        func behavior(_ default: PreTokenizer.SplitBehavior) throws -> PreTokenizer.SplitBehavior {
            guard let name = object["behavior"] as? String else { return `default` }
            guard let behavior = PreTokenizer.SplitBehavior(rawValue: name) else {
                throw TokenizerError.unsupportedComponent("pre_tokenizer split behavior", name, path: file)
            }
            return behavior
        }
        switch try type(of: object, "pre_tokenizer", file) {
        case "Sequence":
            return .sequence(try (object["pretokenizers"] as? [Any] ?? []).map { try preTokenizer($0, file: file) })
        case "Metaspace":
            let replacement = (object["replacement"] as? String)?.unicodeScalars.first?.value ?? 0x2581
            var scheme = PreTokenizer.PrependScheme.always
            if let name = object["prepend_scheme"] as? String {
                guard let declared = PreTokenizer.PrependScheme(rawValue: name) else {
                    throw TokenizerError.unsupportedComponent("Metaspace prepend_scheme", name, path: file)
                }
                scheme = declared
            }
            // The older files say add_prefix_space instead; false means never.
            if object["add_prefix_space"] as? Bool == false {
                guard scheme == .never || object["prepend_scheme"] == nil else {
                    throw TokenizerError.invalidConfiguration(file, reason: "Metaspace's add_prefix_space false contradicts its prepend_scheme")
                }
                scheme = .never
            }
            return .metaspace(replacement: replacement, scheme: scheme, split: object["split"] as? Bool ?? true)
        case "Whitespace": return .whitespace
        case "WhitespaceSplit": return .whitespaceSplit
        case "BertPreTokenizer": return .bert
        case "Punctuation": return .punctuation(try behavior(.isolated))
        case "Digits": return .digits(individual: object["individual_digits"] as? Bool ?? false)
        case "Split":
            return .split(try pattern(object["pattern"], file: file), try behavior(.removed), invert: object["invert"] as? Bool ?? false)
        case let other:
            throw TokenizerError.unsupportedComponent("pre_tokenizer", other, path: file)
        }
    }

    /// The post-processor's template, or `nil` when the file has none.
    static func postProcessor(_ value: Any?, lookUp: (String) -> Int?, file: String) throws -> SpecialTokenTemplate? {
        guard let object = value as? [String: Any] else { return nil }
        func token(_ key: String) throws -> (String, Int) {
            guard let pair = object[key] as? [Any], pair.count == 2, let text = pair[0] as? String, let id = pair[1] as? Int else {
                throw TokenizerError.invalidConfiguration(file, reason: "the post-processor's \(key) is not [token, id]")
            }
            return (text, id)
        }
        switch try type(of: object, "post_processor", file) {
        case "TemplateProcessing":
            let specials = object["special_tokens"] as? [String: Any] ?? [:]
            func items(_ key: String) throws -> [SpecialTokenTemplate.Item] {
                try (object[key] as? [Any] ?? []).map { entry in
                    let item = entry as? [String: Any] ?? [:]
                    if let special = item["SpecialToken"] as? [String: Any], let name = special["id"] as? String {
                        let declared = specials[name] as? [String: Any]
                        let ids = declared?["ids"] as? [Int] ?? lookUp(name).map { [$0] }
                        let tokens = declared?["tokens"] as? [String] ?? [name]
                        guard let ids, ids.count == tokens.count else {
                            throw TokenizerError.invalidConfiguration(file, reason: "the template's special token \(name.debugDescription) has no id")
                        }
                        return .special(ids: ids, tokens: tokens, typeId: special["type_id"] as? Int ?? 0)
                    }
                    if let sequence = item["Sequence"] as? [String: Any], let name = sequence["id"] as? String, ["A", "B"].contains(name) {
                        return .sequence(name == "A" ? 0 : 1, typeId: sequence["type_id"] as? Int ?? 0)
                    }
                    throw TokenizerError.invalidConfiguration(file, reason: "a \(key) template item is neither SpecialToken nor Sequence A/B")
                }
            }
            return SpecialTokenTemplate(single: try items("single"), pair: try items("pair"))
        case "BertProcessing":
            let (cls, sep) = (try token("cls"), try token("sep"))
            return .bert(classId: cls.1, classToken: cls.0, separatorId: sep.1, separatorToken: sep.0)
        case "RobertaProcessing":
            // trim_offsets moves offsets off the spaces a byte-level BPE keeps in its tokens; bertscope's
            // offsets never contain them that way, so only the setting that changes nothing is accepted.
            if object["trim_offsets"] as? Bool == true {
                throw TokenizerError.unsupportedComponent("post_processor", "RobertaProcessing with trim_offsets", path: file)
            }
            let (cls, sep) = (try token("cls"), try token("sep"))
            return .roberta(classId: cls.1, classToken: cls.0, separatorId: sep.1, separatorToken: sep.0)
        case let other:
            throw TokenizerError.unsupportedComponent("post_processor", other, path: file)
        }
    }

    static func addedTokens(_ object: [String: Any], file: String) throws -> [AddedToken] {
        try (object["added_tokens"] as? [Any] ?? []).map { entry in
            guard let token = entry as? [String: Any], let content = token["content"] as? String, let id = token["id"] as? Int else {
                throw TokenizerError.invalidConfiguration(file, reason: "an added token lacks its content or id")
            }
            let special = token["special"] as? Bool ?? false
            return AddedToken(
                scalars: content.unicodeScalars.map(\.value), id: id, special: special,
                singleWord: token["single_word"] as? Bool ?? false, leftStrip: token["lstrip"] as? Bool ?? false,
                rightStrip: token["rstrip"] as? Bool ?? false, normalized: token["normalized"] as? Bool ?? !special)
        }
    }

    /// The file's own truncation limit: reported, while bertscope's --max-length decides.
    static func declaredMaxLength(_ object: [String: Any]) -> Int? {
        (object["truncation"] as? [String: Any])?["max_length"] as? Int
    }

    private static func pattern(_ value: Any?, file: String) throws -> TextPattern {
        let object = value as? [String: Any] ?? [:]
        if let literal = object["String"] as? String { return TextPattern(literal: literal) }
        if let regex = object["Regex"] as? String { return try TextPattern(regex: regex, file: file) }
        throw TokenizerError.invalidConfiguration(file, reason: "a pattern is neither {\"String\": ...} nor {\"Regex\": ...}")
    }

    private static func type(of object: [String: Any], _ stage: String, _ file: String) throws -> String {
        guard let type = object["type"] as? String else {
            throw TokenizerError.invalidConfiguration(file, reason: "the \(stage) has no type")
        }
        return type
    }

    private static func dictionary(_ value: Any?, _ stage: String, _ file: String) throws -> [String: Any] {
        guard let object = value as? [String: Any] else {
            throw TokenizerError.invalidConfiguration(file, reason: "no \(stage) object")
        }
        return object
    }

    /// The file's settings (parsed without the vocabulary) and the vocabulary's bytes.
    private static func readObject(_ url: URL) throws -> ([String: Any], [ArraySlice<UInt8>]) {
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw TokenizerError.unreadableFile(url.path, reason: error.localizedDescription)
        }
        do {
            let (settings, vocabularies) = JSONVocabularyStripper.stripKeepingVocabularies(Array(data))
            guard let object = try JSONSerialization.jsonObject(with: Data(settings)) as? [String: Any] else {
                throw TokenizerError.invalidConfiguration(url.path, reason: "not a tokenizer.json: the top level is not a JSON object")
            }
            return (object, vocabularies)
        } catch let error as TokenizerError {
            throw error
        } catch {
            throw TokenizerError.invalidConfiguration(url.path, reason: "not a tokenizer.json: \(error.localizedDescription)")
        }
    }
}
