import FastLayers
import FastRetention
import Kernels
import Layers
import Matrices
import MultiScaleRetention
import RetNetModel
import Retention

/// A `RetNet<Float>` laid out for the SIMD kernels: the same model and the same numbers up to
/// Float rounding, computed fast.
///
/// - every projection, the FFN and the output projection are, for several rows, the blocked
///   GEMM on weights packed once (`PackedMatrix`, rows split between threads) and, for one row,
///   a panel-streaming SIMD product (`PackedLinear`); Q, K, V, G are one product, as are fc1 and
///   gate;
/// - every head runs the retention kernels (`RetentionKernels`; the parallel form is the tiled
///   one), heads split between threads, in any of the three forms, from a carried
///   `FastRetNetState` that they update in place;
/// - every intermediate lives in one `Workspace` per call, reused by every layer and kept for
///   the next forward pass (`WorkspaceCache`, one per model, never shared by two calls at
///   once); a `Decoder` keeps its own, so a decoding step reads each weight once and allocates
///   nothing.
///
/// Retention is exact, (Q Kᵀ ⊙ D) V, as the reference computes it by default
/// (`RowScaling.exact`): torchscale's per-mode row factors are not applied. They cancel in the
/// per-head norm up to ε, and `retnet logits` keeps the reference model to reproduce them.
///
/// Work is split between threads, never a sum, so any thread count gives bit-identical results.
public struct FastRetNet: Sendable {
    public let config: RetNetConfig
    /// The number of token ids the model reads, vocab_size: every id is in 0..<vocabularySize.
    public var vocabularySize: Int { config.vocabSize }
    /// Threads for every product, head and row-wise step (≥ 1).
    public private(set) var threads: Int
    let embedTokens: [Float]
    let embedScale: Float
    let blocks: [FastBlock]
    let layerNorm: BlockNorm<Float>
    let head: PackedLinear
    let rotation: Rotation
    let stateShapes: [(heads: Int, keyDimension: Int, valueDimension: Int)]
    /// The buffers of the last forward pass, kept for the next (shared by the model's copies;
    /// never by two calls at once).
    let workspaces = WorkspaceCache()

    /// The model laid out for the kernels, run on `threads` threads; throws `.argument` for a
    /// thread count outside 1...`ThreadCount.maximum`, `.config` naming `biases` or `final_norm`
    /// for yet-another-retnet's layout (the kernels have neither).
    public init(_ model: RetNet<Float>, threads: Int = 1) throws(RetNetError) {
        if let expected = ThreadCount.expectation(unmetBy: threads) { throw .argument(name: "threads", expected: expected, got: "\(threads)") }
        try model.requirePlainLayout(for: "FastRetNet")
        config = model.config
        self.threads = threads
        embedTokens = model.embedTokens.storage
        embedScale = Float(model.config.embedScale)
        blocks = model.blocks.map(FastBlock.init)
        layerNorm = model.layerNorm
        head = PackedLinear(model.outputProjection)
        rotation = model.blocks[0].retention.rotation
        stateShapes = model.blocks.map { ($0.retention.heads, $0.retention.keyDimension, $0.retention.headDimension) }
    }

    /// The same model on another number of threads.
    public func with(threads: Int) throws(RetNetError) -> FastRetNet {
        if let expected = ThreadCount.expectation(unmetBy: threads) { throw .argument(name: "threads", expected: expected, got: "\(threads)") }
        var copy = self
        copy.threads = threads
        return copy
    }

    /// The rows of the workspace kept from the last forward pass (nil when none is kept).
    package var keptWorkspaceRows: Int? { workspaces.keptRows }

    /// The bytes of weights a decoding step reads: every projection, FFN and the output
    /// projection once (the embedding row read is one row, not counted).
    public var weightBytes: Int { blocks.reduce(head.weightBytes) { $0 + $1.weightBytes } }

    /// The empty state (position 0).
    public func emptyState() -> FastRetNetState {
        FastRetNetState(layers: stateShapes.map { shape in
            (0..<shape.heads).map { _ in
                RetentionKernelState(zeroKeyDimension: shape.keyDimension, valueDimension: shape.valueDimension)
            }
        })
    }

    /// The logits (n×vocab) for `tokens` and the state after them, every head in `form`, from
    /// `state` (empty when nil).
    ///
    /// Throws `.token` for an id outside the vocabulary, `.state` for a state of another model or
    /// a parallel form asked to start after position 0, `.argument` for a chunk size below 1.
    public func forward(_ tokens: [Int], form: RetentionForm = .parallel, from state: FastRetNetState? = nil)
        throws(RetNetError) -> (logits: Matrix<Float>, state: FastRetNetState)
    {
        for (position, id) in tokens.enumerated() { try check(token: id, at: position) }
        if case .chunkwise(let b) = form, b < 1 {
            throw .argument(name: "chunk size", expected: "a chunk size B ≥ 1", got: "\(b)")
        }
        var current = state ?? emptyState()
        try validate(current)
        if form == .parallel && !current.isEmpty {
            throw .state(field: "state", expected: "the empty state: the parallel form starts at position 0 "
                         + "(continue from a state with the recurrent or chunkwise form)",
                         got: "a state at position \(current.position)")
        }
        let n = tokens.count, vocab = config.vocabSize
        guard n > 0 else { return (Matrix(rows: 0, columns: vocab, entries: []), current) }
        var logits = [Float](repeating: 0, count: n * vocab)
        let workspace = workspaces.take(self, rows: n)
        logits.withUnsafeMutableBufferPointer { logits in
            run(rows: n, token: { tokens[$0] }, form: form, state: &current, workspace: workspace, logits: logits.baseAddress!)
        }
        workspaces.keep(workspace)
        return (Matrix(rows: n, columns: vocab, entries: logits), current)
    }

    /// One token at position state.position, recurrently: its logits (vocab floats); `state`
    /// moves on by one token. Each call allocates its buffers and the logits; a `Decoder`
    /// allocates them once.
    public func step(_ token: Int, state: inout FastRetNetState) throws(RetNetError) -> [Float] {
        try check(token: token, at: 0)
        try validate(state)
        var logits = [Float](repeating: 0, count: config.vocabSize)
        logits.withUnsafeMutableBufferPointer { logits in
            run(rows: 1, token: { _ in token }, form: .recurrent, state: &state, workspace: Workspace(self, rows: 1),
                logits: logits.baseAddress!)
        }
        return logits
    }

    /// The logits of n tokens (`token(t)` for row t) into `logits` (n×vocab), every head in
    /// `form`, from `state`, which moves on by n tokens in place; every intermediate in
    /// `workspace` (room for n rows). The caller has checked the tokens, the state and the form.
    /// For one token in the recurrent form, nothing here allocates.
    func run(rows n: Int, token: (Int) -> Int, form: RetentionForm, state: inout FastRetNetState,
             workspace: Workspace, logits: UnsafeMutablePointer<Float>) {
        let e = config.embedDim, x = workspace.x, normed = workspace.normed
        embedTokens.withUnsafeBufferPointer { table in
            for t in 0..<n { Elementwise.scaled(table.baseAddress! + token(t) * e, by: embedScale, into: x + t * e, count: e) }
        }
        workspace.rotation.fill(rotation, positions: state.position..<(state.position + n))
        for l in blocks.indices {
            blocks[l](workspace, rows: n, form: form, states: &state.layers[l], threads: threads)
        }
        Bands.run(n, threads: threads) { rows in NormRows.block(layerNorm, x, into: normed, rows: rows, width: e) }
        head.apply(normed, rows: n, into: logits, threads: threads)
    }

    /// Throws `.token` unless `id` is in the vocabulary.
    func check(token id: Int, at position: Int) throws(RetNetError) {
        guard id >= 0 && id < config.vocabSize else {
            throw .token(position: position, id: id, vocabularySize: config.vocabSize)
        }
    }

    /// Throws `.state` unless `state` has this model's layers, heads and d_k×d_v, at one position.
    func validate(_ state: FastRetNetState) throws(RetNetError) {
        guard state.layers.count == stateShapes.count else {
            throw .state(field: "state.layers", expected: "\(stateShapes.count) layers (decoder_layers)", got: "\(state.layers.count)")
        }
        for (l, (layer, shape)) in zip(state.layers, stateShapes).enumerated() {
            guard layer.count == shape.heads else {
                throw .state(field: "state.layers[\(l)].heads", expected: "\(shape.heads) heads", got: "\(layer.count)")
            }
            for (h, head) in layer.enumerated() {
                guard head.keyDimension == shape.keyDimension && head.valueDimension == shape.valueDimension else {
                    throw .state(field: "state.layers[\(l)].heads[\(h)].s",
                                 expected: "\(shape.keyDimension)×\(shape.valueDimension) (key_dim×head_dim)",
                                 got: "\(head.keyDimension)×\(head.valueDimension)")
                }
                guard head.position == state.position && head.position >= 0 else {
                    throw .state(field: "state.layers[\(l)].heads[\(h)].position",
                                 expected: "\(state.position) (one position for every head)", got: "\(head.position)")
                }
            }
        }
    }
}
