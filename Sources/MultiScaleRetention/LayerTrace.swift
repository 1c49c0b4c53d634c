import Matrices
import Retention
import Tracing

/// How a multi-scale retention layer records itself in a trace (see `MultiScaleRetentionLayer.pass`):
/// X, the weights in the paper's orientation (W_Q = `qProj`ᵀ, …) and θ; the four projections;
/// for each head, in a group "head i · γᵢ = …", γᵢ, its rotated columns of Q and K and its
/// columns of V (the retention form then records itself in the same group, reading them); the
/// heads side by side, the per-head norm, swish(X W_G), the gate product and the output.
///
/// Symbols are the paper's: (·)ᵢ is head i's columns, rot(·) the rotation by nθ that the code
/// applies to Q and K alike (the paper's ⊙ Θ and ⊙ Θ̄, chapter 03), and weights are named as the
/// paper names them, though stored [out, in].
struct LayerTrace<E: RealScalar> {
    let trace: Tracer<E>
    let q: TraceNodeID, k: TraceNodeID, v: TraceNodeID, g: TraceNodeID
    let theta: TraceNodeID
    let outProj: TraceNodeID

    /// Records X, the weights, θ and the projections (Q, K and V before the heads take their
    /// columns; K already times d_k^{−1/2}).
    init(trace: Tracer<E>, layer: MultiScaleRetentionLayer<E>, x: Matrix<E>, q: Matrix<E>, k: Matrix<E>,
         v: Matrix<E>, g: Matrix<E>)
    {
        self.trace = trace
        let xID = trace.node(for: x, symbol: "X")
        func weight(_ symbol: String, _ stored: Matrix<E>) -> TraceNodeID {
            trace.leaf(symbol, role: .parameter, value: stored.transposed)
        }
        let wQ = weight("W_Q", layer.qProj), wK = weight("W_K", layer.kProj)
        let wV = weight("W_V", layer.vProj), wG = weight("W_G", layer.gProj)
        let angles = layer.rotation.angles.map { E($0) }
        theta = trace.leaf("θ", role: .parameter, value: Matrix(rows: 1, columns: angles.count, entries: angles))
        self.q = trace.record(.projection, "X W_Q", inputs: [xID, wQ], value: q)
        self.k = trace.record(.projection, "X W_K / √d_k", inputs: [xID, wK], value: k)
        self.v = trace.record(.projection, "X W_V", inputs: [xID, wV], value: v)
        self.g = trace.record(.projection, "X W_G", inputs: [xID, wG], value: g)
        outProj = weight("W_O", layer.outProj)
    }

    /// Opens head i's group and records γᵢ and the head's Q, K (rotated) and V, so that the
    /// retention form run next finds them by content.
    func enterHead(_ i: Int, gamma: E, q qi: Matrix<E>, k ki: Matrix<E>, v vi: Matrix<E>) {
        let index = Notation.sub(i)
        trace.enterGroup("head \(i) · γ\(index) = \(gamma)")
        trace.leaf("γ" + index, role: .parameter, value: Matrix(rows: 1, columns: 1, entries: [gamma]))
        trace.record(.rotation, "Q", "rot((X W_Q)\(index))", inputs: [q, theta], value: qi)
        trace.record(.rotation, "K", "rot((X W_K / √d_k)\(index))", inputs: [k, theta], value: ki)
        trace.record(.columnSlice, "V", "(X W_V)\(index)", inputs: [v], value: vi)
    }

    /// Records the head's output multiplied by its row factors (only when a scaling was asked for).
    func scaled(_ head: Matrix<E>, from exact: Matrix<E>, by scaling: RowScaling) {
        trace.record(.hadamard, "c ⊙ Retention(X)", "row factors: \(scaling)",
                     inputs: [trace.node(for: exact, symbol: "Retention(X)")], value: head)
    }

    /// Closes the head's group.
    func leaveHead() {
        trace.leaveGroup()
    }

    /// Records the heads side by side, Y, swish(X W_G), the gate product and MSR(X).
    func finish(heads: [Matrix<E>], retention: Matrix<E>, norm: HeadNorm<E>, normalised: Matrix<E>,
                swish: Matrix<E>, gated: Matrix<E>, output: Matrix<E>)
    {
        let outputs = heads.enumerated().map { trace.node(for: $1, symbol: "head" + Notation.sub($0)) }
        let names = (0..<heads.count).map { "head" + Notation.sub($0) }.joined(separator: ", ")
        let concatenated = trace.record(.concatenation, "Concat(\(names))", inputs: outputs, value: retention)
        let normName = switch norm {
        case .groupNorm: "GroupNorm"
        case .rms: "RMSNorm"
        }
        let y = trace.record(.norm, "Y", "\(normName)_h(Concat)", inputs: [concatenated], value: normalised)
        let gate = trace.record(.activation, "swish(X W_G)", inputs: [g], value: swish)
        let product = trace.record(.hadamard, "swish(X W_G) ⊙ Y", inputs: [gate, y], value: gated)
        trace.record(.projection, "MSR(X)", "(swish(X W_G) ⊙ Y) W_O", role: .output, inputs: [product, outProj],
                     value: output)
    }
}
