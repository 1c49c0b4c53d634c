import FastLayers
/// Every buffer a forward pass writes, for up to `rows` rows, allocated once (llm.c's
/// `ActivationTensors`): the blocks run one after another, so each layer reuses the buffers the
/// previous one wrote, and a `FastRetNet.Decoder` reuses them for every token. A decoding step
/// then allocates nothing; a forward pass allocates one workspace for all of its layers.
///
/// One allocation (a `FloatArena`) holds them all, each buffer a slice of it: room for the widest block, whatever
/// the widths of the others. Used by one call at a time; within a call, threads write disjoint
/// rows, heads or panels.
package final class Workspace {
    /// The rows every buffer has room for.
    let rows: Int
    /// X, rows×E: the residual stream, a block's input and then its output.
    let x: UnsafeMutablePointer<Float>
    /// Norm(X) and then Norm(Y), rows×E; the final norm before the logits.
    let normed: UnsafeMutablePointer<Float>
    /// [Q K V G], rows×(2E + 2V).
    let qkvg: UnsafeMutablePointer<Float>
    /// swish(G) ⊙ HeadNorm(heads), rows×V.
    let gatedHeads: UnsafeMutablePointer<Float>
    /// Y, the block's output after retention, rows×E.
    let y: UnsafeMutablePointer<Float>
    /// fc1 (and gate) outputs, rows×F (or 2F).
    let expanded: UnsafeMutablePointer<Float>
    /// act(fc1 ·) [⊙ gate ·], rows×F.
    let activated: UnsafeMutablePointer<Float>
    /// Each head's rotated Q and scaled, rotated K (rows×d_k) and its retention outputs
    /// (rows×d_v): head h's at h·rows·d_k (h·rows·d_v), so that heads on different threads
    /// write apart. (The kernels read each head's V where it is, in [Q K V G].)
    let q: UnsafeMutablePointer<Float>, k: UnsafeMutablePointer<Float>
    let outputs: UnsafeMutablePointer<Float>
    /// cos and sin of the rows' angles.
    let rotation: RotationTable
    private let arena: FloatArena

    init(_ model: FastRetNet, rows: Int) {
        let e = model.config.embedDim, blocks = model.blocks, pairs = model.rotation.angles.count
        func widest(_ width: (FastBlock) -> Int) -> Int { rows * blocks.reduce(0) { Swift.max($0, width($1)) } }
        let keys = widest { $0.heads * $0.keyDimension }, values = widest { $0.heads * $0.headDimension }
        let counts = [rows * e, rows * e, widest(\.projections.outputs), values, rows * e, widest(\.ffn.expand.outputs),
                      widest(\.ffn.hidden), keys, keys, values, rows * pairs, rows * pairs]
        arena = FloatArena(counts)
        let slices = arena.slices
        self.rows = rows
        (x, normed, qkvg, gatedHeads, y, expanded, activated) = (slices[0], slices[1], slices[2], slices[3], slices[4],
                                                                 slices[5], slices[6])
        (q, k, outputs) = (slices[7], slices[8], slices[9])
        rotation = RotationTable(pairs: pairs, cos: slices[10], sin: slices[11])
    }
}
