import Kernels
import Layers

/// A feed-forward network's weights laid out for the kernels (`FeedForward`'s computation):
///
///     FFN(x) = fc2(act(fc1 x) [⊙ gate x])      fc1 and gate as one product
///
/// Shared by every fast model whose blocks end in this FFN (the RetNet's and the Transformer's).
package struct PackedFeedForward: Sendable {
    /// fc1 (plain) or [fc1; gate] (GLU): E → F or 2F.
    package let expand: PackedLinear
    /// fc2: F → E.
    package let contract: PackedLinear
    package let activation: Activation
    /// Whether a gate multiplies the activation (GLU).
    package let gated: Bool
    /// F, the hidden width.
    package let hidden: Int

    package init(_ ffn: FeedForward<Float>) {
        switch ffn {
        case .plain(let fc1, let fc2, let activation):
            (expand, contract, self.activation, gated, hidden) = (PackedLinear(fc1), PackedLinear(fc2), activation, false, fc1.rows)
        case .glu(let fc1, let gate, let fc2, let activation):
            (expand, contract, self.activation, gated, hidden) =
                (PackedLinear(stacking: [fc1, gate]), PackedLinear(fc2), activation, true, fc1.rows)
        }
    }

    /// The bytes of its weights, each read once per token when decoding.
    package var weightBytes: Int { expand.weightBytes + contract.weightBytes }

    /// FFN of the n rows at `x` (n×E) into `out` (n×E). `expanded` (n × `expand.outputs` floats)
    /// and `activated` (n×F) are the caller's scratch, so a decoding step allocates nothing here.
    /// `streaming`: the products take the panel kernel for any n (`PackedLinear.apply`).
    package func apply(_ x: UnsafePointer<Float>, rows n: Int, expanded: UnsafeMutablePointer<Float>,
                       activated: UnsafeMutablePointer<Float>, into out: UnsafeMutablePointer<Float>, threads: Int,
                       streaming: Bool = false) {
        expand.apply(x, rows: n, into: expanded, threads: threads, streaming: streaming)
        Bands.run(n, threads: threads, FeedForwardRows(ffn: self, expanded: expanded, activated: activated))
        contract.apply(activated, rows: n, into: out, threads: threads, streaming: streaming)
    }
}

/// act(fc1 ·) [⊙ gate ·] for a band of rows: a value, so that a decoding step of several rows
/// hands it to the threads without an allocation (`BandWork`).
private struct FeedForwardRows: BandWork {
    let ffn: PackedFeedForward
    let expanded: UnsafeMutablePointer<Float>, activated: UnsafeMutablePointer<Float>

    func callAsFunction(_ rows: Range<Int>) {
        let (f, span) = (ffn.hidden, ffn.expand.outputs)
        for t in rows {
            ActivationRows.apply(ffn.activation, expanded + t * span, times: ffn.gated ? expanded + t * span + f : nil,
                                  into: activated + t * f, count: f)
        }
    }
}
