/// A Transformer's KV cache as flat Float buffers, for `FastTransformer.step`: per layer and
/// head, the rotated keys (n rows of d_k floats, one after another) and the values (n rows of
/// d_v). The same numbers as `TransformerCache<Float>`, laid out to be streamed front to back.
public struct FastKVCache: Sendable, Equatable {
    /// keys[layer][head]: n·d_k floats.
    public internal(set) var keys: [[[Float]]]
    /// values[layer][head]: n·d_v floats.
    public internal(set) var values: [[[Float]]]
    /// The position of the next token: the number of tokens cached.
    public internal(set) var position: Int

    init(layers: Int, heads: Int) {
        keys = Array(repeating: Array(repeating: [], count: heads), count: layers)
        values = keys
        position = 0
    }

    /// The number of floats held.
    public var scalarCount: Int { (keys + values).reduce(0) { $0 + $1.reduce(0) { $0 + $1.count } } }
}
