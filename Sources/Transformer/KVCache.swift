import Matrices

/// What one attention layer keeps of the past: every earlier token's key (rotated to its
/// position, d_k columns) and value (d_v columns), per head — a K and a V matrix of n rows that
/// grow by one row per decoded token. Softmax attention needs all of them, because every new
/// query weighs every earlier key afresh; retention folds them into a d_k×d_v state instead.
public struct AttentionCache<E: RealScalar>: Equatable, Sendable {
    /// Per head, the keys K (n×d_k), already rotated by their positions.
    public var keys: [Matrix<E>]
    /// Per head, the values V (n×d_v).
    public var values: [Matrix<E>]

    public init(keys: [Matrix<E>], values: [Matrix<E>]) {
        self.keys = keys
        self.values = values
    }

    /// The position of the next token: the number of tokens cached.
    public var position: Int { keys.first?.rows ?? 0 }

    /// The number of scalars held.
    public var scalarCount: Int { (keys + values).reduce(0) { $0 + $1.storage.count } }
}

/// The KV cache of a whole Transformer for one sequence: one `AttentionCache` per layer, all at
/// the position of the next token. It holds L·n·(E + V) scalars after n tokens — growing with n,
/// where a RetNet's state stays at L·h·d_k·d_v. `Transformer.prefill` returns it;
/// `Transformer.step` carries it on.
public struct TransformerCache<E: RealScalar>: Equatable, Sendable {
    public var layers: [AttentionCache<E>]

    public init(layers: [AttentionCache<E>]) {
        self.layers = layers
    }

    /// The position of the next token.
    public var position: Int { layers.first?.position ?? 0 }

    /// The number of scalars held.
    public var scalarCount: Int { layers.reduce(0) { $0 + $1.scalarCount } }

    /// Throws `.cache` naming the first field that does not fit `config`: the layer count, each
    /// layer's heads and their widths, one common length.
    public func validate(for config: TransformerConfig) throws(TransformerError) {
        guard layers.count == config.layers else {
            throw .cache(field: "cache.layers", expected: "\(config.layers) layers", got: "\(layers.count)")
        }
        for (l, layer) in layers.enumerated() {
            guard layer.keys.count == config.heads && layer.values.count == config.heads else {
                throw .cache(field: "cache.layers[\(l)]", expected: "\(config.heads) heads of keys and of values",
                             got: "\(layer.keys.count) and \(layer.values.count)")
            }
            for h in 0..<config.heads {
                let k = layer.keys[h], v = layer.values[h]
                guard k.columns == config.keyDim && k.rows == position else {
                    throw .cache(field: "cache.layers[\(l)].keys[\(h)]", expected: "\(position)×\(config.keyDim)", got: "\(k.shape)")
                }
                guard v.columns == config.headDim && v.rows == position else {
                    throw .cache(field: "cache.layers[\(l)].values[\(h)]", expected: "\(position)×\(config.headDim)",
                                 got: "\(v.shape)")
                }
            }
        }
    }
}
