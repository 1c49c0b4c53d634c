import Kernels
import MultiScaleRetention
import RetNetModel

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
    package func apply(_ x: UnsafePointer<Float>, rows n: Int, expanded: UnsafeMutablePointer<Float>,
                       activated: UnsafeMutablePointer<Float>, into out: UnsafeMutablePointer<Float>, threads: Int) {
        expand.apply(x, rows: n, into: expanded, threads: threads)
        let (f, span, activation, gated) = (hidden, expand.outputs, activation, gated)
        Bands.run(n, threads: threads) { rows in
            for t in rows {
                FloatActivation.apply(activation, expanded + t * span, times: gated ? expanded + t * span + f : nil,
                                      into: activated + t * f, count: f)
            }
        }
        contract.apply(activated, rows: n, into: out, threads: threads)
    }
}
