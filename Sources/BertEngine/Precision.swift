/// The numbers an encoder's linear layers compute with. Embeddings, biases, LayerNorm, softmax, GELU,
/// the attention products and every accumulation stay f32 whichever is chosen. The stored weights change;
/// on the kernel set with AVX512_BF16 and VNNI the linear layers' inputs are reduced too as they enter
/// the product (ck_weights in CKernels.h), elsewhere the weights are widened to f32 inside it.
public enum Precision: String, Sendable, CaseIterable {
    /// The checkpoint's numbers as they are (f32, or Q4_0 as `QuantizedWeights` says): exact as always.
    case f32
    /// Weights rounded to bf16 (to nearest, ties to even): half the memory of f32. With `vdpbf16ps` the
    /// inputs are rounded to bf16 as well.
    case bf16
    /// Weights quantized per output channel to symmetric int8 (scale = max |w| / 127): a quarter of f32.
    /// With `vpdpbusd` each input row is quantized to u8 with a zero point at run time; elsewhere inputs
    /// stay f32 (weight-only int8) and the product is the f32 product over the dequantized weights, exactly.
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
