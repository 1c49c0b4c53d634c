import Retention
import RetNetModel
import Transformer

/// What decoding one token costs a RetNet or its Transformer (see `TransformerConfig`), counted
/// from this package's reference code rather than timed: the bytes each sequence holds between
/// steps, the bytes a step reads, and the multiply–adds per token, as functions of the context
/// length n, the batch B, the sizes (L, h, E = h·d_k, V = h·d_v, F, vocabulary) and the element
/// size s in bytes.
///
/// Counting rules:
/// - *State* is what a sequence keeps between steps: the RetNet's L·h states S (d_k×d_v), or
///   the Transformer's KV cache, L·h keys (d_k) and values (d_v) per token seen. Held, it is
///   exactly what `RetNetState` and `TransformerCache` store (tested against their arrays).
/// - *Bytes read* per step: every weight once — a step of B tokens reads each weight once and
///   uses it B times, which is what batching buys — except the embedding table, of which only
///   the B rows of the tokens are read; then each sequence's state (all of S, or the n cached
///   keys and values). Activations are not counted: they are O(E + V + F) per token and stay
///   in cache.
/// - *Bytes written* per step: what a step stores back into each sequence's state — all of the
///   RetNet's S (S ← γS + kᵀv rewrites every element), one new key and value row of the
///   Transformer's cache. *Bytes moved* = read + written is what a memory-bound step's time
///   follows; *held* is what memory must hold. The two differ for the RetNet by its whole state.
/// - The KV cache may be shared by groups of query heads (grouped-query attention, `kvHeads`
///   below h; multi-query attention at `kvHeads` = 1): it then holds h_kv·(d_k + d_v) per token
///   and layer, while every query head still reads all of it.
/// - *Multiply–adds* per token: every product with a weight (x Wᵀ: one per weight), plus the
///   token mixing — retention as `RetentionCost.recurrent` counts one token (3 d_k d_v per
///   head: S ← γ S + kᵀv, o = q S), attention one query against n + 1 keys ((n + 1) d_k for the
///   scores, (n + 1) d_v for the weighted sum). Entry-wise work — norms, rotations, the
///   softmax's exponentials, activations, the gate, residuals — is O(E + V + F) per layer and
///   not counted.
///
/// So the two models differ only in the mixing: the RetNet's is constant in n, the Transformer's
/// grows linearly, and its cache passes the RetNet's state at `breakEvenContext`.
public struct DecodingCost: Sendable, Equatable {
    /// Bytes a sequence holds between steps (its state or KV cache) after n tokens.
    public let stateBytes: Int
    /// Bytes of weights a step reads (shared by the B sequences of the batch).
    public let weightBytesRead: Int
    /// Bytes of state a step reads per sequence.
    public let stateBytesRead: Int
    /// Bytes of state a step writes back per sequence: the RetNet's whole state, the
    /// Transformer's one new cache row.
    public let stateBytesWritten: Int
    /// Multiply–adds with a weight, per token.
    public let weightMultiplyAdds: Int
    /// Multiply–adds of the token mixing (retention or attention), per token.
    public let mixingMultiplyAdds: Int
    /// B, the sequences advanced by one step.
    public let batch: Int

    /// Bytes a step reads: the weights once, every sequence's state.
    public var bytesReadPerStep: Int { weightBytesRead + batch * stateBytesRead }
    /// Bytes read per decoded token: the weights' share (1/B of them) and the token's own state.
    public var bytesReadPerToken: Double { Double(bytesReadPerStep) / Double(batch) }
    /// Bytes a step moves between memory and the processor: what it reads and what it writes back.
    public var bytesMovedPerStep: Int { weightBytesRead + batch * (stateBytesRead + stateBytesWritten) }
    /// Bytes moved per decoded token.
    public var bytesMovedPerToken: Double { Double(bytesMovedPerStep) / Double(batch) }
    /// Multiply–adds per decoded token.
    public var multiplyAddsPerToken: Int { weightMultiplyAdds + mixingMultiplyAdds }

    /// A RetNet of `config` decoding the token at position n (after n tokens) in a batch of B,
    /// its elements `elementBytes` wide. Its state does not depend on n:
    ///
    ///     state held = state read = state written = L·h·d_k·d_v·s
    ///     weights read = (L·(2E² + 3EV + k·E·F + norms) + final norm + vocab·E)·s + B·E·s   (k = 2 plain, 3 GLU)
    ///     multiply–adds = L·(2E² + 3EV + k·E·F) + vocab·E + L·h·3·d_k·d_v
    public static func retnet(_ config: RetNetConfig, context n: Int, batch: Int, elementBytes: Int) throws(TransformerError)
        -> DecodingCost
    {
        try check(n, batch, elementBytes)
        let glu = config.variant == .torchscale
        // Block norms: RMSNorm weight (E) or LayerNorm weight and bias (2E); GroupNorm adds 2V.
        let norm = Count(glu ? 1 : 2) * Count(config.embedDim)
        let headNorm: Count = glu ? 0 : 2 * Count(config.valueEmbedDim)
        let e = Count(config.embedDim), v = Count(config.valueEmbedDim), f = Count(config.ffnEmbedDim)
        let projections = 2 * e * e + 3 * e * v + Count(glu ? 3 : 2) * e * f
        let mixing = try retentionMixing(layers: config.layers, heads: config.retentionHeads, keyDim: config.keyDim,
                                         valueDim: config.headDim, elementBytes: elementBytes)
        return try DecodingCost(
            state: mixing.bytes, stateRead: mixing.bytes, stateWritten: mixing.bytes, mixing: mixing.multiplyAdds,
            layers: config.layers, perLayerWeights: projections + 2 * norm + headNorm, perLayerMultiplyAdds: projections,
            embed: e, finalNorm: norm, vocabulary: Count(config.vocabSize), batch: batch, elementBytes: elementBytes)
    }

    /// The Transformer of `config` decoding the token at position n (after n tokens) in a batch
    /// of B, its elements `elementBytes` wide. Its cache grows with n:
    ///
    ///     cache held = cache read = L·n·(E + V)·s,   written = one row, L·(E + V)·s
    ///     weights read = (L·(2E² + 2EV + k·E·F′ + norms) + final norm + vocab·E)·s + B·E·s
    ///     multiply–adds = L·(2E² + 2EV + k·E·F′) + vocab·E + L·(n + 1)·(E + V)
    public static func transformer(_ config: TransformerConfig, context n: Int, batch: Int, elementBytes: Int)
        throws(TransformerError) -> DecodingCost
    {
        try check(n, batch, elementBytes)
        let norm = Count(config.rmsNorm ? 1 : 2) * Count(config.embedDim)
        let e = Count(config.embedDim), v = Count(config.valueEmbedDim), f = Count(config.ffnEmbedDim)
        let projections = 2 * e * e + 2 * e * v + Count(config.gluFFN ? 3 : 2) * e * f
        let mixing = try attentionMixing(layers: config.layers, heads: config.heads, keyDim: config.keyDim,
                                         valueDim: config.headDim, context: n, elementBytes: elementBytes)
        let row = try attentionMixing(layers: config.layers, heads: config.heads, keyDim: config.keyDim,
                                      valueDim: config.headDim, context: 1, elementBytes: elementBytes).bytes
        return try DecodingCost(
            state: mixing.bytes, stateRead: mixing.bytes, stateWritten: row, mixing: mixing.multiplyAdds,
            layers: config.layers, perLayerWeights: projections + 2 * norm, perLayerMultiplyAdds: projections,
            embed: e, finalNorm: norm, vocabulary: Count(config.vocabSize), batch: batch, elementBytes: elementBytes)
    }

    /// The token mixing of a RetNet, per sequence and token: the bytes of its L·h states and the
    /// multiply–adds of one recurrent step of each head (`RetentionCost.recurrent`, n = 1).
    public static func retentionMixing(layers: Int, heads: Int, keyDim: Int, valueDim: Int, elementBytes: Int)
        throws(TransformerError) -> (bytes: Int, multiplyAdds: Int)
    {
        try checkSizes(layers, heads, keyDim, valueDim, elementBytes)
        let step: RetentionCost
        do {
            step = try RetentionCost.recurrent(length: 1, keyDimension: keyDim, valueDimension: valueDim)
        } catch {
            throw .argument(name: "sizes", expected: "sizes whose cost fits in an Int", got: "\(error)")
        }
        let heads = Count(layers) * Count(heads)
        let bytes = heads * Count(keyDim) * Count(valueDim) * Count(elementBytes)
        return (try value(bytes), try value(heads * Count(step.multiplyAdds)))
    }

    /// The token mixing of a Transformer, per sequence and token at position n: the bytes of its
    /// cache of n tokens, L·n·h_kv·(d_k + d_v)·s, and the multiply–adds of one query per head
    /// against the n + 1 keys and values (the cached ones and its own), L·h·(n + 1)·(d_k + d_v).
    /// `kvHeads` (h_kv, default h) is the number of key/value heads: below h, groups of h/h_kv
    /// query heads share one (grouped-query attention; 1 is multi-query attention).
    public static func attentionMixing(layers: Int, heads: Int, kvHeads: Int? = nil, keyDim: Int, valueDim: Int, context n: Int,
                                       elementBytes: Int) throws(TransformerError) -> (bytes: Int, multiplyAdds: Int)
    {
        try checkSizes(layers, heads, keyDim, valueDim, elementBytes)
        try check(n, 1, elementBytes)
        let shared = kvHeads ?? heads
        guard shared >= 1, shared <= heads, heads % shared == 0 else {
            throw .argument(name: "kvHeads", expected: "a divisor of the \(heads) heads", got: "\(shared)")
        }
        let width = Count(keyDim) + Count(valueDim)
        let row = Count(layers) * Count(shared) * width
        let reads = Count(layers) * Count(heads) * width
        return (try value(row * Count(n) * Count(elementBytes)), try value(reads * (Count(n) + 1)))
    }

    /// The smallest context n at which the KV cache holds more than the retention state, for a
    /// state of `stateElements` and a cache of `cacheElementsPerToken` per token (both per layer,
    /// or both for all layers): n > state/row. For a RetNet and a Transformer whose value widths
    /// differ (the paper's: d_v = 2E/h against E/h), state = h·d_k·d_v and row = h_kv·(d_k + d_v,T).
    public static func breakEvenContext(stateElements: Int, cacheElementsPerToken: Int) throws(TransformerError) -> Int {
        try checkSizes(1, 1, stateElements, cacheElementsPerToken, 1)
        return stateElements / cacheElementsPerToken + 1
    }

    /// `breakEvenContext(stateElements:cacheElementsPerToken:)` for two models of one shape (the
    /// matched Transformer): L·n·h·(d_k + d_v) > L·h·d_k·d_v, i.e. n > d_k·d_v/(d_k + d_v) —
    /// independent of L, h and the element size.
    public static func breakEvenContext(keyDim: Int, valueDim: Int) throws(TransformerError) -> Int {
        try checkSizes(1, 1, keyDim, valueDim, 1)
        return try breakEvenContext(stateElements: try value(Count(keyDim) * Count(valueDim)), cacheElementsPerToken: keyDim + valueDim)
    }

    private init(state: Int, stateRead: Int, stateWritten: Int, mixing: Int, layers: Int, perLayerWeights: Count, perLayerMultiplyAdds: Count,
                 embed: Count, finalNorm: Count, vocabulary: Count, batch: Int, elementBytes: Int) throws(TransformerError)
    {
        let s = Count(elementBytes)
        let weights = (Count(layers) * perLayerWeights + finalNorm + vocabulary * embed + Count(batch) * embed) * s
        stateBytes = state
        stateBytesRead = stateRead
        stateBytesWritten = stateWritten
        weightBytesRead = try Self.value(weights)
        weightMultiplyAdds = try Self.value(Count(layers) * perLayerMultiplyAdds + vocabulary * embed)
        mixingMultiplyAdds = mixing
        self.batch = batch
        // The derived totals (`bytesReadPerStep`, `multiplyAddsPerToken`) must fit too.
        _ = try Self.value(Count(weightBytesRead) + Count(batch) * (Count(stateRead) + Count(stateWritten))
                           + Count(weightMultiplyAdds) + Count(mixing))
    }

    private static func value(_ count: Count) throws(TransformerError) -> Int {
        guard !count.overflowed else {
            throw .argument(name: "sizes", expected: "sizes whose cost fits in an Int", got: "a count beyond \(Int.max)")
        }
        return count.value
    }

    private static func check(_ n: Int, _ batch: Int, _ elementBytes: Int) throws(TransformerError) {
        guard n >= 0 else { throw .argument(name: "context n", expected: "a length ≥ 0", got: "\(n)") }
        guard batch >= 1 else { throw .argument(name: "batch B", expected: "at least 1", got: "\(batch)") }
        guard elementBytes >= 1 else { throw .argument(name: "elementBytes", expected: "at least 1", got: "\(elementBytes)") }
    }

    private static func checkSizes(_ layers: Int, _ heads: Int, _ dk: Int, _ dv: Int, _ s: Int) throws(TransformerError) {
        for (name, value) in [("layers", layers), ("heads", heads), ("key dim d_k", dk), ("value dim d_v", dv),
                              ("elementBytes", s)] where value < 1 {
            throw .argument(name: name, expected: "at least 1", got: "\(value)")
        }
    }
}
