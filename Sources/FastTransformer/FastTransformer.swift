import FastLayers
import Foundation
import Kernels
import Layers
import Matrices
import Transformer

/// A `Transformer<Float>` on the kernels: the same model and the same numbers up to Float
/// rounding and `VectorMath.exp`, reading a prompt (`prefill`) and decoding token by token
/// against a `FastKVCache` of fixed capacity.
///
/// - a prompt's projections (Q, K, V as one), FFN and output projection are the blocked GEMM on
///   weights packed once; its causal attention is, per head, six queries against each strip
///   of 16 cached keys at a time, then the softmax weights times the cached values as a GEMM;
/// - a decoding step's products are the panel-streaming products `FastRetNet` decodes with
///   (`PackedLinear`): each weight read once per step, for one sequence or a batch of them;
///   each head's attention is `SoftmaxAttention`: one query against the cached keys in
///   strips of 16, the softmax's exponentials 16 at a time;
/// - work is split between `threads` threads — column panels of the products, heads (and
///   sequences) of the attention, rows of the norms — never a sum, so any thread count gives
///   bit-identical results.
///
/// A `Decoder` keeps its buffers from step to step and allocates nothing; `step` is the same
/// computation with buffers allocated per call. What a step costs is what
/// `DecodingCost.transformer` counts.
public struct FastTransformer: Sendable {
    public let config: TransformerConfig
    /// The number of token ids the model reads, vocab_size: every id is in 0..<vocabularySize.
    public var vocabularySize: Int { config.vocabSize }
    /// Threads for every product, head and row-wise step (≥ 1).
    public private(set) var threads: Int
    let embedTokens: [Float]
    let embedScale: Float
    let blocks: [Block]
    let layerNorm: BlockNorm<Float>
    let head: PackedLinear
    let rotation: Rotation
    let layout: KVLayout

    /// Rows of a prompt read at once: the buffers of a prefill have room for this many.
    static let prefillChunk = 256
    /// Queries whose softmax weights are held at once, per head, in a prefill.
    static let queryTile = 64

    struct Block: Sendable {
        let attentionNorm: BlockNorm<Float>, finalNorm: BlockNorm<Float>
        /// [W_Q; W_K; W_V]: E → 2E + V.
        let projections: PackedLinear
        let output: PackedLinear
        let ffn: PackedFeedForward

        var weightBytes: Int { projections.weightBytes + output.weightBytes + ffn.weightBytes }
    }

    /// The model laid out for the kernels, on one thread. Throws `.config` for a model of linear
    /// attention (`AttentionScoring.linear`): this decoding step and its KV cache are softmax
    /// attention's; the reference `Transformer` runs either.
    public init(_ model: Transformer<Float>) throws(TransformerError) {
        guard model.config.attention == .softmax else {
            throw .config(field: "attention", expected: "softmax (FastTransformer decodes softmax attention from its KV cache)",
                          got: "\(model.config.attention)")
        }
        config = model.config
        threads = 1
        embedTokens = model.embedTokens.storage
        embedScale = Float(model.config.embedScale)
        layerNorm = model.layerNorm
        head = PackedLinear(model.outputProjection)
        rotation = model.blocks[0].attention.rotation
        blocks = model.blocks.map { block in
            let a = block.attention
            return Block(attentionNorm: block.attentionLayerNorm, finalNorm: block.finalLayerNorm,
                         projections: PackedLinear(stacking: [a.qProj, a.kProj, a.vProj]), output: PackedLinear(a.outProj),
                         ffn: PackedFeedForward(block.ffn))
        }
        layout = KVLayout(layers: config.layers, heads: config.heads, keyDimension: config.keyDim,
                          valueDimension: config.headDim)
    }

    /// The model laid out for the kernels, run on `threads` threads; throws `.argument` for a
    /// thread count outside 1...`ThreadCount.maximum`.
    public init(_ model: Transformer<Float>, threads: Int) throws(TransformerError) {
        try self.init(model)
        self = try with(threads: threads)
    }

    /// The same model on another number of threads; throws `.argument` for a thread count outside
    /// 1...`ThreadCount.maximum`.
    public func with(threads: Int) throws(TransformerError) -> FastTransformer {
        if let expected = ThreadCount.expectation(unmetBy: threads) { throw .argument(name: "threads", expected: expected, got: "\(threads)") }
        var copy = self
        copy.threads = threads
        return copy
    }

    /// The bytes of weights a decoding step reads: every projection, FFN and the output
    /// projection once (the embedding row read is one row, not counted).
    public var weightBytes: Int { blocks.reduce(head.weightBytes) { $0 + $1.weightBytes } }

    /// An empty cache (position 0) with room for `capacity` tokens, allocated now; throws
    /// `.argument` for a capacity below 1.
    public func emptyCache(capacity: Int) throws(TransformerError) -> FastKVCache {
        try Self.check(capacity: capacity)
        return FastKVCache(layout: layout, capacity: capacity)
    }

    /// Throws `.argument` for a capacity below 1.
    static func check(capacity: Int) throws(TransformerError) {
        guard capacity >= 1 else {
            throw .argument(name: "capacity", expected: "room for at least 1 token", got: "\(capacity)")
        }
    }

    /// Reads `tokens` at positions cache.position, cache.position + 1, …: their logits
    /// (n×vocab), and every layer's keys and values appended to `cache`. With a `window` W, every
    /// query of every layer attends to the last W keys only (its own and the W − 1 before it:
    /// sliding-window attention, banded causal weights); nil: to all of them. Throws `.token` for an
    /// id outside the vocabulary, `.cache` for a cache of another model, `.capacity` when the
    /// tokens do not fit, `.argument` for a window below 1, and then changes nothing.
    public func prefill(_ tokens: [Int], cache: inout FastKVCache, window: Int? = nil) throws(TransformerError) -> Matrix<Float> {
        for (position, id) in tokens.enumerated() { try check(token: id, at: position) }
        try validate(cache, field: "cache")
        try cache.checkRoom(for: tokens.count)
        if let window, window < 1 { throw .argument(name: "window", expected: "at least 1 key", got: "\(window)") }
        let n = tokens.count, vocab = config.vocabSize
        guard n > 0 else { return Matrix(rows: 0, columns: vocab, entries: []) }
        let rows = Swift.min(n, Self.prefillChunk)
        let width = (cache.position + n + 15) / 16 * 16
        let workspace = DecodingWorkspace(self, rows: rows, scoreItems: config.heads, scoreStride: Self.queryTile * width)
        var logits = [Float](repeating: 0, count: n * vocab)
        let base = cache.writableStorage()
        logits.withUnsafeMutableBufferPointer { logits in
            var start = 0
            while start < n {
                let count = Swift.min(rows, n - start)
                let sequence = SequenceCache(base: base, capacity: cache.capacity, position: cache.position)
                prefill(rows: count, token: { tokens[start + $0] }, cache: sequence, workspace: workspace,
                        logits: logits.baseAddress! + start * vocab, scoreWidth: width, window: window ?? .max)
                cache.position += count
                start += count
            }
        }
        return Matrix(rows: n, columns: vocab, entries: logits)
    }

    /// One token at position cache.position: its logits (vocab floats); the cache grows by its
    /// keys and values. Each call allocates its buffers and the logits; a `Decoder` allocates
    /// them once. Throws `.token` for an id outside the vocabulary, `.cache` for a cache of
    /// another model, `.capacity` for a full cache, and then changes nothing.
    public func step(_ token: Int, cache: inout FastKVCache) throws(TransformerError) -> [Float] {
        try check(token: token, at: 0)
        try validate(cache, field: "cache")
        try cache.checkRoom(for: 1)
        let workspace = DecodingWorkspace(self, rows: 1, scoreItems: config.heads, scoreStride: (cache.position + 16) / 16 * 16)
        workspace.sequences[0] = SequenceCache(base: cache.writableStorage(), capacity: cache.capacity, position: cache.position)
        var logits = [Float](repeating: 0, count: config.vocabSize)
        logits.withUnsafeMutableBufferPointer { logits in
            decode(rows: 1, token: { _ in token }, workspace: workspace, logits: logits.baseAddress!)
        }
        cache.position += 1
        return logits
    }

    /// Throws `.token` unless `id` is in the vocabulary.
    func check(token id: Int, at position: Int) throws(TransformerError) {
        guard id >= 0 && id < config.vocabSize else {
            throw .token(position: position, id: id, vocabularySize: config.vocabSize)
        }
    }

    /// Throws `.cache` unless `cache` has this model's layers, heads, d_k and d_v.
    func validate(_ cache: FastKVCache, field: String) throws(TransformerError) {
        guard cache.layout == layout else {
            let (a, b) = (layout, cache.layout)
            throw .cache(field: field,
                         expected: "\(a.layers) layers of \(a.heads) heads, d_k = \(a.keyDimension), d_v = \(a.valueDimension)",
                         got: "\(b.layers) layers of \(b.heads) heads, d_k = \(b.keyDimension), d_v = \(b.valueDimension)")
        }
    }

    /// One decoding step of `rows` sequences: row b reads `token(b)` at the position of
    /// `workspace.sequences[b]`, whose cache gets its keys and values; its logits go to row b
    /// of `logits` (rows×vocab). The caller has checked the tokens and the room, and advances
    /// the positions. Nothing here allocates (with the helper threads started).
    func decode(rows n: Int, token: (Int) -> Int, workspace: DecodingWorkspace, logits: UnsafeMutablePointer<Float>) {
        let e = config.embedDim, x = workspace.x, normed = workspace.normed
        for b in 0..<n {
            let id = token(b)
            for c in 0..<e { x[b * e + c] = embedScale * embedTokens[id * e + c] }
            let position = workspace.sequences[b].position
            workspace.rotation.fill(rotation, positions: position..<(position + 1), startingAt: b)
        }
        for l in blocks.indices {
            let attention = DecodeHeads(model: self, layer: l, rows: n, workspace: workspace)
            run(blocks[l], rows: n, workspace: workspace, streaming: true) {
                Bands.run(n * config.heads, threads: threads, attention)
            }
        }
        Bands.run(n, threads: threads, BlockNormRows(layerNorm, x, into: normed, width: e))
        head.apply(normed, rows: n, into: logits, threads: threads, streaming: true)
    }

    /// `rows` tokens of one sequence (`token(t)` at cache.position + t) through every block,
    /// their keys and values appended to the cache (whose position the caller advances), their
    /// logits into `logits` (rows×vocab). `scoreWidth` ≥ the positions after the rows, rounded
    /// up to 16, is the row length of the softmax weights; each query attends to the last
    /// `window` keys.
    func prefill(rows n: Int, token: (Int) -> Int, cache: SequenceCache, workspace: DecodingWorkspace,
                 logits: UnsafeMutablePointer<Float>, scoreWidth: Int, window: Int = .max) {
        let e = config.embedDim, x = workspace.x, normed = workspace.normed
        for t in 0..<n {
            let id = token(t)
            for c in 0..<e { x[t * e + c] = embedScale * embedTokens[id * e + c] }
        }
        workspace.rotation.fill(rotation, positions: cache.position..<(cache.position + n))
        for l in blocks.indices {
            run(blocks[l], rows: n, workspace: workspace, streaming: false) {
                Bands.run(config.heads, threads: threads) { heads in
                    for h in heads {
                        prefillHead(h, layer: l, rows: n, cache: cache, workspace: workspace, scoreWidth: scoreWidth, window: window)
                    }
                }
            }
        }
        Bands.run(n, threads: threads, BlockNormRows(layerNorm, x, into: normed, width: e))
        head.apply(normed, rows: n, into: logits, threads: threads)
    }

    /// X ← X′ for the n rows of `workspace.x`: Norm, [Q K V], `attention` (which writes every
    /// head's output into `workspace.mixed`), W_O, the residual, Norm, FFN, the residual.
    /// `streaming`: the products take the panel kernel (decoding) rather than the GEMM.
    private func run(_ block: Block, rows n: Int, workspace: DecodingWorkspace, streaming: Bool, attention: () -> Void) {
        let e = config.embedDim
        let (x, normed, y) = (workspace.x, workspace.normed, workspace.y)
        Bands.run(n, threads: threads, BlockNormRows(block.attentionNorm, x, into: normed, width: e))
        block.projections.apply(normed, rows: n, into: workspace.qkv, threads: threads, streaming: streaming)
        attention()
        block.output.apply(workspace.mixed, rows: n, into: y, threads: threads, streaming: streaming)
        for i in 0..<(n * e) { y[i] += x[i] }
        Bands.run(n, threads: threads, BlockNormRows(block.finalNorm, y, into: normed, width: e))
        block.ffn.apply(normed, rows: n, expanded: workspace.expanded, activated: workspace.activated, into: x,
                        threads: threads, streaming: streaming)
        for i in 0..<(n * e) { x[i] += y[i] }
    }

    /// Head h of layer l for the n rows of a prompt: its queries and keys rotated, its keys and
    /// values appended to the cache, then every row's query against the cache, a tile of rows
    /// at a time, into the head's columns of `workspace.mixed`.
    private func prefillHead(_ h: Int, layer l: Int, rows n: Int, cache: SequenceCache, workspace: DecodingWorkspace,
                             scoreWidth: Int, window: Int) {
        let (e, v, dk, dv) = (config.embedDim, config.valueEmbedDim, config.keyDim, config.headDim)
        let width = workspace.qkvWidth
        let keys = cache.base + layout.keyOffset(layer: l, head: h, capacity: cache.capacity)
        let values = cache.base + layout.valueOffset(layer: l, head: h, capacity: cache.capacity)
        for t in 0..<n {
            let row = workspace.qkv + t * width
            workspace.rotation.rotate(row + h * dk, row: t)
            workspace.rotation.rotate(row + e + h * dk, row: t)
            Self.append(key: row + e + h * dk, value: row + 2 * e + h * dv, at: cache.position + t, keys: keys, values: values,
                        keyDimension: dk, valueDimension: dv)
        }
        let scores = workspace.scores + h * workspace.scoreStride
        let scale = 1 / Float(dk).squareRoot()
        var t0 = 0
        while t0 < n {
            let rows = Swift.min(Self.queryTile, n - t0)
            SoftmaxAttention.attend(rows: rows, q: workspace.qkv + t0 * width + h * dk, ldq: width, first: cache.position + t0,
                                    keys: keys, values: values, keyDimension: dk, valueDimension: dv, scale: scale,
                                    scores: scores, into: workspace.mixed + t0 * v + h * dv, ldo: v, window: window)
            t0 += rows
        }
    }

    /// Writes a token's key (into its strip of 16) and value at position m of one head's cache.
    @inline(__always)
    static func append(key: UnsafePointer<Float>, value: UnsafePointer<Float>, at m: Int, keys: UnsafeMutablePointer<Float>,
                       values: UnsafeMutablePointer<Float>, keyDimension dk: Int, valueDimension dv: Int) {
        let strip = keys + (m / 16) * dk * 16 + m % 16
        for p in 0..<dk { strip[p * 16] = key[p] }
        (values + m * dv).update(from: value, count: dv)
    }
}

/// Where one sequence's cache lives during a step: its buffer, capacity and position.
struct SequenceCache {
    let base: UnsafeMutablePointer<Float>
    let capacity: Int
    let position: Int
}

/// The attention of a decoding step for a band of (sequence, head) items — item i is head
/// i mod h of sequence i / h: its query and key rotated, its key and value appended to the
/// sequence's cache, its query against the cache. A value, so that a decoding step hands it to
/// the threads without an allocation (`BandWork`); items write disjoint slices.
private struct DecodeHeads: BandWork {
    let layout: KVLayout
    let layer: Int, rows: Int
    let e: Int, v: Int, scoreStride: Int
    let workspace: DecodingWorkspace

    init(model: FastTransformer, layer: Int, rows: Int, workspace: DecodingWorkspace) {
        layout = model.layout
        (self.layer, self.rows, self.workspace) = (layer, rows, workspace)
        (e, v) = (model.config.embedDim, model.config.valueEmbedDim)
        scoreStride = workspace.scoreStride
    }

    func callAsFunction(_ band: Range<Int>) {
        let (dk, dv, heads) = (layout.keyDimension, layout.valueDimension, layout.heads)
        let scale = 1 / Float(dk).squareRoot()
        for item in band {
            let (b, h) = item.quotientAndRemainder(dividingBy: heads)
            let sequence = workspace.sequences[b]
            let row = workspace.qkv + b * workspace.qkvWidth
            let (q, k, value) = (row + h * dk, row + e + h * dk, row + 2 * e + h * dv)
            workspace.rotation.rotate(q, row: b)
            workspace.rotation.rotate(k, row: b)
            let keys = sequence.base + layout.keyOffset(layer: layer, head: h, capacity: sequence.capacity)
            let values = sequence.base + layout.valueOffset(layer: layer, head: h, capacity: sequence.capacity)
            FastTransformer.append(key: k, value: value, at: sequence.position, keys: keys, values: values,
                                   keyDimension: dk, valueDimension: dv)
            SoftmaxAttention.attend(q: q, keys: keys, values: values, count: sequence.position + 1, keyDimension: dk,
                                    valueDimension: dv, scale: scale, scores: workspace.scores + item * scoreStride,
                                    into: workspace.mixed + b * v + h * dv)
        }
    }
}
