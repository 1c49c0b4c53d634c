import Matrices
import Transformer

extension FastKVCache {
    /// The reference model's cache laid out flat: the same keys and values, row after row, at the
    /// same position. A cache of another shape than the model's is refused by
    /// `FastTransformer.step`, not here.
    public init(_ cache: TransformerCache<Float>) {
        keys = cache.layers.map { $0.keys.map(\.storage) }
        values = cache.layers.map { $0.values.map(\.storage) }
        position = cache.position
    }
}
