import Matrices
import Transformer

extension FastKVCache {
    /// The reference model's cache in the fast layout (keys in strips of 16, values row after
    /// row): the same keys and values at the same position, with room for `capacity` tokens
    /// (by default exactly the tokens it holds). A cache of another shape than the model's is
    /// refused where it is used (`FastTransformer.step`, `FastTransformer.Decoder`), not here.
    ///
    /// Throws `.capacity` when `capacity` is below the tokens the cache already holds, and
    /// `.argument` for a cache without layers or heads.
    public init(_ cache: TransformerCache<Float>, capacity: Int? = nil) throws(TransformerError) {
        guard let first = cache.layers.first, let keys = first.keys.first, let values = first.values.first else {
            throw .argument(name: "cache", expected: "at least one layer and one head", got: "an empty cache")
        }
        let position = cache.position
        let room = capacity ?? Swift.max(position, 1)
        guard room >= position, room >= 1 else { throw .capacity(capacity: room, position: 0, adding: position) }
        let layout = KVLayout(layers: cache.layers.count, heads: first.keys.count, keyDimension: keys.columns,
                              valueDimension: values.columns)
        self.init(layout: layout, capacity: room)
        let base = writableStorage()
        let (dk, dv) = (layout.keyDimension, layout.valueDimension)
        for (l, layer) in cache.layers.enumerated() {
            for h in 0..<layout.heads {
                let k = base + layout.keyOffset(layer: l, head: h, capacity: room)
                let v = base + layout.valueOffset(layer: l, head: h, capacity: room)
                for m in 0..<position {
                    for p in 0..<dk { k[(m / 16) * dk * 16 + p * 16 + m % 16] = layer.keys[h][m, p] }
                    for j in 0..<dv { v[m * dv + j] = layer.values[h][m, j] }
                }
            }
        }
        self.position = position
    }
}
