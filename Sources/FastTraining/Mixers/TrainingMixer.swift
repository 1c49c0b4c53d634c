import FastLayers
import Layers

/// The widths of a block's token mixer: E, V, h, d_k = E/h, d_v = V/h, and the width of its
/// stacked projections ([Q K V G] is 2E + 2V, [Q K V] is 2E + V).
struct MixerShape: Equatable {
    let embed: Int, value: Int, heads: Int, keyDimension: Int, headDimension: Int, projectionWidth: Int
}

/// The one part of a pre-norm decoder block in which the RetNet and the Transformer differ in a
/// training step: the token mixer between the stacked projections and W_O,
///
///     Y = X + M W_Oᵀ,   M = mixer(Norm₁(X) [W_Q; W_K; W_V; …]ᵀ)
///
/// Everything around it — the norms, the two GEMMs, the FFN half, the embedding, the loss and the
/// driver — is written once (`TrainingBlock`, `GradientPass`) for every mixer. A mixer is its
/// weights laid out for the GEMMs and what its heads do to one (sequence, head) pair, forward and
/// backward; the heads themselves are a `MixerHeads` in one of the mixer's forms (`CausalHeads`
/// with the mixer's `ScoreMap` for the parallel form, `ChunkwiseHeads` for retention's chunkwise
/// one), and the form also says what the heads keep and what scratch a thread needs.
///
/// A new mixer is one type conforming here (and its model conforming to `TrainableDecoder`); a
/// new form of its heads is one `MixerHeads`.
protocol TrainingMixer {
    /// The reference layer whose weights it lays out.
    associatedtype Layer
    /// What the forward pass keeps for the backward pass beyond the heads' Q, K, V and weights.
    associatedtype Kept
    /// The reference layer's weight gradients.
    associatedtype Gradients
    /// Its heads in the form it runs.
    associatedtype Heads: MixerHeads
    /// Which form its heads run in (`RetentionForm`, `AttentionForm`).
    associatedtype Form: Equatable & Sendable

    /// The layer's weights laid out for T = `length` and heads in `form`, in the buffers of
    /// `previous` (a mixer of the same shape whose weights are no longer read) when given.
    init(_ layer: Layer, length: Int, form: Form, reusing previous: Self?)
    var shape: MixerShape { get }
    /// [W_Q; W_K; W_V; …] (projectionWidth × E) and W_O (E×V), [out, in] as stored.
    var projections: FloatBuffer { get }
    var output: FloatBuffer { get }
    /// The rotation of positions its Q and K share.
    static func rotation(of layer: Layer) -> Rotation

    /// Its heads for sequences of `length` tokens, on the block's buffers.
    func heads(length: Int, rotation: RotationTable, buffers: HeadActivations) -> Heads
    /// Buffers for what its heads keep, for R = `rows` rows of sequences of `length` tokens.
    func headActivations(rows: Int, length: Int) -> HeadActivations
    /// One thread's scratch for its heads, for sequences of `length` tokens.
    func headScratch(length: Int) -> HeadScratch
    /// Buffers for what it keeps, for R = `rows` rows of sequences of `length` tokens.
    func kept(rows: Int, length: Int) -> Kept
    /// Items (b·h + i: sequence b, head i) of the forward pass: M's columns of those heads into
    /// `mixed` (R×V), from the projections `projected` (R × projectionWidth).
    func forward(_ items: Range<Int>, heads: Heads, projected: UnsafePointer<Float>, kept: Kept,
                 mixed: UnsafeMutablePointer<Float>, scratch: HeadScratch)
    /// Items of the backward pass, given dM (R×V): the gradients of the heads' projections into
    /// their columns of `dProjected` (R × projectionWidth), and whatever the mixer's own weights
    /// need for `gradients` into `terms`.
    func backward(_ items: Range<Int>, heads: Heads, projected: UnsafePointer<Float>, kept: Kept,
                  mixedGradient dM: UnsafePointer<Float>, into dProjected: UnsafeMutablePointer<Float>, terms: BackwardScratch,
                  scratch: HeadScratch)
    /// The layer's weight gradients from the stacked projections' (projectionWidth × E), W_O's
    /// (E×V) and the terms `backward` left, summed over `rows` rows.
    func gradients(projections: FloatBuffer, output: FloatBuffer, terms: BackwardScratch, rows: Int) -> Gradients
}
