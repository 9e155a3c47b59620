import Embeddings

/// The pins as the explorer compares them: centred when centring is on (each pin minus the mean word vector
/// of its own layer and pooling), and the cosine of every pin with every other. The reducer keeps
/// `ExplorerState.pinCosines` in step; exports write the same vectors.
enum PinComparison {
    /// The pin's vector as compared, and whether it was centred (not while its baseline is still computing).
    static func comparedVector(_ pin: Pin, _ state: ExplorerState) -> (vector: [Float], centred: Bool) {
        guard state.centre, let centroid = state.baselines[pin.baselineKey]?.centroid, centroid.count == pin.vector.count else {
            return (pin.vector, false)
        }
        return (VectorMath.subtract(pin.vector, centroid), true)
    }

    /// Recomputes the pin x pin cosines: after pinning, unpinning, switching centring or a new baseline. Two pins of
    /// different models have none (NaN): their vectors are in unrelated spaces, even when of one width.
    static func refresh(_ state: inout ExplorerState) {
        let vectors = state.pins.map { comparedVector($0, state).vector }
        state.pinCosines = zip(state.pins, vectors).map { a in
            zip(state.pins, vectors).map { b in comparable(a.0, b.0) && a.1.count == b.1.count ? VectorMath.cosine(a.1, b.1) : .nan }
        }
    }

    /// Whether a cosine between the two pins means anything: they are of the same model.
    static func comparable(_ a: Pin, _ b: Pin) -> Bool { a.model == b.model }
}
