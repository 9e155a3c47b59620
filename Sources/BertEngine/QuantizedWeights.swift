/// What the engine does with a checkpoint's quantized (Q4_0) linear weights. Either way the results are
/// the same, bit for bit: Q4_0 values are exact in f32, and both run the same f32 microkernel.
public enum QuantizedWeights: String, Sendable, CaseIterable {
    /// Keep them 4-bit (4.5 bits a weight with their scales) and expand each panel to f32 inside the
    /// matrix product: less memory, a little more work per product.
    case keep4Bit = "keep4bit"
    /// Dequantize them to f32 panels once at load: 7x the memory, plain f32 products.
    case dequantize

    /// The engine's choice (docs/BENCHMARKS.md, "multilingual-e5-small (E5S1, 4-bit)", has the measurements).
    public static let `default` = QuantizedWeights.keep4Bit
}
