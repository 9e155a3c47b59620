/// The numbers an encoder's linear layers compute with. Embeddings, biases, LayerNorm, softmax, GELU,
/// attention and every accumulation stay f32 whichever is chosen; only the stored weights change, and
/// are widened to f32 inside the matrix product (no AVX512_BF16 or VNNI products yet, see
/// docs/ARCHITECTURE.md).
public enum Precision: String, Sendable, CaseIterable {
    /// The checkpoint's numbers as they are (f32, or Q4_0 as `QuantizedWeights` says): exact as always.
    case f32
    /// Weights rounded to bf16 (to nearest, ties to even): half the memory of f32.
    case bf16
    /// Weights quantized per output channel to symmetric int8 (scale = max |w| / 127): a quarter of f32.
    /// Activations stay f32 (weight-only int8), so the product is the f32 product over the dequantized
    /// weights, exactly.
    case int8

    /// How a linear layer's weights are kept: f32 keeps a Q4_0 checkpoint's 4-bit weights as `quantized`
    /// says; bf16 and int8 convert every weight, Q4_0 ones from their (exact) f32 values.
    func storage(allQ4_0: Bool, quantized: QuantizedWeights) -> WeightStorage {
        switch self {
        case .f32: return allQ4_0 && quantized == .keep4Bit ? .q4_0Panels : .f32Panels
        case .bf16: return .bf16Panels
        case .int8: return .int8Panels
        }
    }
}
