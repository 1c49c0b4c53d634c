import FastLayers

/// Every buffer a `FastTransformer` step or prefill writes, for up to `rows` rows, allocated
/// once (one `FloatArena`, each buffer a slice of it): the blocks run one after another and reuse
/// them, and a `FastTransformer.Decoder` reuses them for every step, so a step allocates nothing.
final class DecodingWorkspace {
    let rows: Int
    /// X, rows×E: the residual stream.
    let x: UnsafeMutablePointer<Float>
    /// Norm(X), then Norm(Y), rows×E.
    let normed: UnsafeMutablePointer<Float>
    /// [Q K V], rows×(2E + V); Q and K rotated in place.
    let qkv: UnsafeMutablePointer<Float>
    /// Every head's attention output side by side, rows×V.
    let mixed: UnsafeMutablePointer<Float>
    /// Y, the block's output after attention, rows×E.
    let y: UnsafeMutablePointer<Float>
    /// fc1 (and gate) outputs, rows×F (or 2F); act(·), rows×F.
    let expanded: UnsafeMutablePointer<Float>, activated: UnsafeMutablePointer<Float>
    /// Scores and softmax weights: `scoreStride` floats for each of the items working at once
    /// (a decoding step's (sequence, head) pairs; a prefill's heads, a tile of rows each).
    let scores: UnsafeMutablePointer<Float>
    let scoreStride: Int
    /// cos and sin of each row's angles.
    let rotation: RotationTable
    /// Where each row's sequence keeps its cache during a decoding step.
    let sequences: UnsafeMutablePointer<SequenceCache>
    /// 2E + V: the row length of `qkv`.
    let qkvWidth: Int
    private let arena: FloatArena

    init(_ model: FastTransformer, rows: Int, scoreItems: Int, scoreStride: Int) {
        let e = model.config.embedDim, block = model.blocks[0], pairs = model.config.keyDim / 2
        qkvWidth = block.projections.outputs
        let counts = [rows * e, rows * e, rows * qkvWidth, rows * model.config.valueEmbedDim, rows * e,
                      rows * block.ffn.expand.outputs, rows * block.ffn.hidden, scoreItems * scoreStride, rows * pairs,
                      rows * pairs]
        arena = FloatArena(counts)
        let slices = arena.slices
        self.rows = rows
        self.scoreStride = scoreStride
        (x, normed, qkv, mixed, y, expanded, activated, scores) = (slices[0], slices[1], slices[2], slices[3], slices[4],
                                                                   slices[5], slices[6], slices[7])
        rotation = RotationTable(pairs: pairs, cos: slices[8], sin: slices[9])
        sequences = .allocate(capacity: Swift.max(1, rows))
    }

    deinit {
        sequences.deallocate()
    }
}
