import CBLAS
import Foundation

// Kernels over raw row-major buffers. Shapes are in each signature's comment; callers guarantee them.

/// output[rows × layer.outputs] = input[rows × layer.inputs] · Wᵀ + b
func applyLinear(_ layer: Linear, input: UnsafePointer<Float>, rows: Int, output: UnsafeMutablePointer<Float>) {
    for row in 0..<rows {
        (output + row * layer.outputs).update(from: layer.bias.baseAddress!, count: layer.outputs)
    }
    cblas_sgemm(
        CblasRowMajor, CblasNoTrans, CblasTrans, Int32(rows), Int32(layer.outputs), Int32(layer.inputs),
        1, input, Int32(layer.inputs), layer.weight.baseAddress!, Int32(layer.inputs), 1, output, Int32(layer.outputs))
}

/// In place over `rows` rows of `size`: (x - mean) / sqrt(var + eps) * scale + shift.
func layerNorm(_ data: UnsafeMutablePointer<Float>, rows: Int, size: Int, weights: LayerNormWeights, epsilon: Float) {
    let scale = weights.scale.baseAddress!
    let shift = weights.shift.baseAddress!
    for row in 0..<rows {
        let x = data + row * size
        var sum: Float = 0
        for index in 0..<size { sum += x[index] }
        let mean = sum / Float(size)
        var squares: Float = 0
        for index in 0..<size {
            let centred = x[index] - mean
            squares += centred * centred
        }
        let inverse = 1 / (squares / Float(size) + epsilon).squareRoot()
        for index in 0..<size { x[index] = (x[index] - mean) * inverse * scale[index] + shift[index] }
    }
}

/// In place: BERT's exact GELU, x · Φ(x) = 0.5 x (1 + erf(x / √2)).
func gelu(_ data: UnsafeMutablePointer<Float>, count: Int) {
    for index in 0..<count {
        let x = data[index]
        data[index] = 0.5 * x * (1 + erff(x * 0.70710678118654752))
    }
}

/// In place, each of `rows` rows of `size`: softmax.
func softmaxRows(_ data: UnsafeMutablePointer<Float>, rows: Int, size: Int) {
    for row in 0..<rows {
        let x = data + row * size
        var maximum = -Float.infinity
        for index in 0..<size { maximum = max(maximum, x[index]) }
        var sum: Float = 0
        for index in 0..<size {
            let e = expf(x[index] - maximum)
            x[index] = e
            sum += e
        }
        let inverse = 1 / sum
        for index in 0..<size { x[index] *= inverse }
    }
}

/// The BLAS threads used by matrix products.
enum BLASThreads {
    static func set(_ count: Int) { openblas_set_num_threads(Int32(max(1, count))) }
    static var current: Int { Int(openblas_get_num_threads()) }
    /// The kernel family the BLAS chose for this CPU.
    static var coreName: String { String(cString: openblas_get_corename()) }
}

extension BertModel {
    /// Which kernels run the matrix products on this CPU, for benchmarks and `model info`.
    public static var kernelDescription: String { "OpenBLAS (\(BLASThreads.coreName))" }
}
