import Diagonalisation
import Graphs
import Matrices
import Retention
import Tracing

/// A computation graph traced from a real run on a small seeded example: the same projections,
/// rotations and library calls the chapters make, with a `Tracer` handed to the library so it
/// records what it computes. The three retention forms are drawn here; multi-scale retention and
/// the RetNet block in `LayerFigures`.
public struct Figure: Sendable {
    /// The file name without extension: "parallel", "recurrent", "chunkwise", "msr", "block",
    /// "parallel-backward".
    public let name: String
    /// What the run recorded.
    public let trace: Trace
    /// The outputs the traced run returned: n×d_v for a retention form (to be checked against the
    /// parallel form), n×E for the layer and the block (to be checked against an untraced run),
    /// dV (n×d_v) for the parallel backward pass.
    public let outputs: Matrix<Double>
    /// The figure.
    public let graph: Graph
}

/// Sizes and numbers of the example the figures run.
public struct FigureExample: Sendable {
    /// n, the number of tokens.
    public var length: Int
    /// d, the width of X, Q and K (even: rotations act on pairs).
    public var dim: Int
    /// d_v, the width of V.
    public var valueDim: Int
    /// γ.
    public var gamma: Double
    /// Seed of the random X and weights.
    public var seed: UInt64

    public init(length: Int = 6, dim: Int = 4, valueDim: Int = 3, gamma: Double = 1 - 1.0 / 32, seed: UInt64 = 3) {
        self.length = length
        self.dim = dim
        self.valueDim = valueDim
        self.gamma = gamma
        self.seed = seed
    }

    /// Why the example cannot run, if it cannot: the rotation needs an even d ≥ 2, and there must
    /// be at least one token and one value column.
    public func check() throws(FigureError) {
        guard length >= 1 else { throw .size("the length n must be at least 1, got \(length)") }
        guard dim >= 2, dim % 2 == 0 else { throw .size("the width d must be even and at least 2, got \(dim)") }
        guard valueDim >= 1 else { throw .size("the value width d_v must be at least 1, got \(valueDim)") }
        guard gamma > 0, gamma <= 1 else { throw .size("γ must be in (0, 1], got \(gamma)") }
    }

    /// X and the weights, drawn as the chapters draw them.
    func inputs() -> (x: Matrix<Double>, wQ: Matrix<Double>, wK: Matrix<Double>, wV: Matrix<Double>, theta: [Double]) {
        var rng = SplitMix64(seed: seed)
        let x = Matrix<Double>.gaussian(rows: length, columns: dim, using: &rng)
        let scale = 1 / Double(dim).squareRoot()
        let wQ = Matrix<Double>.gaussian(rows: dim, columns: dim, scale: scale, using: &rng)
        let wK = Matrix<Double>.gaussian(rows: dim, columns: dim, scale: scale, using: &rng)
        let wV = Matrix<Double>.gaussian(rows: dim, columns: valueDim, scale: scale, using: &rng)
        return (x, wQ, wK, wV, PairRotation.torchscaleAngles(pairs: dim / 2))
    }

    var sizes: String { "n = \(length), d = \(dim), d_v = \(valueDim)" }
}

/// Why a figure could not be made.
public enum FigureError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A size or γ the example cannot run with.
    case size(String)
    /// The library rejected the example (it should not: the sizes are checked first).
    case retention(String)

    public var description: String {
        switch self {
        case .size(let message): message
        case .retention(let message): "the retention run failed: \(message)"
        }
    }
}

public enum RetentionFigures {
    /// W_Q, W_K, W_V, θ and γ recorded in `trace` as parameter leaves, in this order (every
    /// form's figure starts from them); the ids of the four that later nodes take as inputs.
    private static func parameterLeaves(_ trace: Tracer<Double>, wQ: Matrix<Double>, wK: Matrix<Double>,
                                        wV: Matrix<Double>, theta: [Double], gamma: Double)
        -> (wQ: TraceNodeID, wK: TraceNodeID, wV: TraceNodeID, theta: TraceNodeID)
    {
        let ids = (trace.leaf("W_Q", role: .parameter, value: wQ), trace.leaf("W_K", role: .parameter, value: wK),
                   trace.leaf("W_V", role: .parameter, value: wV),
                   trace.leaf("θ", role: .parameter, value: Matrix(rows: 1, columns: theta.count, entries: theta)))
        trace.leaf("γ", role: .parameter, value: Matrix(rows: 1, columns: 1, entries: [gamma]))
        return ids
    }

    /// The parallel form (Eq. 5): X projected and rotated into Q and K, Q Kᵀ, the decay mask D
    /// from γ, their product ⊙, and the product with V. Every parameter is drawn.
    public static func parallel(_ example: FigureExample = FigureExample()) throws(FigureError) -> Figure {
        try example.check()
        let (x, wQ, wK, wV, theta) = example.inputs()
        let trace = Tracer<Double>()
        let xID = trace.leaf("X", value: x)
        let (wQID, wKID, wVID, thetaID) = parameterLeaves(trace, wQ: wQ, wK: wK, wV: wV, theta: theta, gamma: example.gamma)
        let outputs: Matrix<Double>
        do {
            let xwq = x * wQ, xwk = x * wK
            let xwqID = trace.record(.projection, "X W_Q", inputs: [xID, wQID], value: xwq)
            let xwkID = trace.record(.projection, "X W_K", inputs: [xID, wKID], value: xwk)
            let q = try PairRotation.rotate(xwq, theta: theta)
            trace.record(.rotation, "Q", "rot(X W_Q)", inputs: [xwqID, thetaID], value: q)
            let k = try PairRotation.rotate(xwk, theta: theta)
            trace.record(.rotation, "K", "rot(X W_K)", inputs: [xwkID, thetaID], value: k)
            let v = x * wV
            trace.record(.projection, "V", "X W_V", inputs: [xID, wVID], value: v)
            outputs = try ParallelRetention.outputs(q: q, k: k, v: v, decay: Decay(example.gamma), trace: trace)
        } catch {
            throw .retention("\(error)")
        }
        let drawing = TraceDrawing(sameRank: [[.parameter, .input]])
        return Figure(name: "parallel", trace: trace.trace, outputs: outputs,
                      graph: drawing.graph(of: trace.trace, name: "parallel",
                                           caption: "Parallel retention (Eq. 5): (Q Kᵀ ⊙ D) V, \(example.sizes)"))
    }

    /// The recurrent form (Eq. 6) unrolled over n steps, as a decoder runs it: token n arrives as
    /// x_n, is projected and rotated at its position, and `RetentionState.step` updates S and
    /// returns o_n. Parameters (W_Q, W_K, W_V, θ, γ) are left out of the drawing, named in the
    /// labels and the caption instead (which also gives Q_n, K_n, V_n once for every step).
    public static func recurrent(_ example: FigureExample = FigureExample()) throws(FigureError) -> Figure {
        try example.check()
        let (x, wQ, wK, wV, theta) = example.inputs()
        let trace = Tracer<Double>()
        let (wQID, wKID, wVID, thetaID) = parameterLeaves(trace, wQ: wQ, wK: wK, wV: wV, theta: theta, gamma: example.gamma)
        var state = RetentionState<Double>(keyDimension: example.dim, valueDimension: example.valueDim)
        trace.leaf("S₋₁", "0", role: .state, value: state.s)
        var outputs = Matrix<Double>(rows: 0, columns: example.valueDim)
        do {
            let decay = try Decay(example.gamma)
            for n in 0..<example.length {
                let t = Notation.sub(n)
                trace.enterGroup("t = \(n)")
                let token = x.row(n)
                let xID = trace.leaf("x" + t, value: token)
                let q = try PairRotation.rotate(token * wQ, theta: theta, offset: n)
                trace.record(.rotation, "Q" + t, inputs: [xID, wQID, thetaID], value: q)
                let k = try PairRotation.rotate(token * wK, theta: theta, offset: n)
                trace.record(.rotation, "K" + t, inputs: [xID, wKID, thetaID], value: k)
                let v = token * wV
                trace.record(.projection, "V" + t, inputs: [xID, wVID], value: v)
                outputs = outputs.stacked(above: try state.step(q: q, k: k, v: v, decay: decay, trace: trace))
                trace.leaveGroup()
            }
        } catch {
            throw .retention("\(error)")
        }
        let drawing = TraceDrawing(hidden: [.parameter, .constant], sameRank: [[.input], [.intermediate], [.state], [.output]])
        return Figure(name: "recurrent", trace: trace.trace, outputs: outputs,
                      graph: drawing.graph(of: trace.trace, name: "recurrent",
                                           caption: "Recurrent retention (Eq. 6), \(example.sizes)\n"
                                               + "Qₙ = rot(xₙ W_Q),   Kₙ = rot(xₙ W_K) (both by nθ),   Vₙ = xₙ W_V"))
    }

    /// The chunkwise form (Eq. 7) with chunk size B: Q, K, V computed for the whole sequence,
    /// then chunk by chunk the inner part (parallel within the chunk), the cross-chunk part from
    /// the state R of the chunk before, and the new state R handed to the next chunk. Parameters
    /// and the decay factors D, ξ, ζ, γᵇ are named in the labels rather than drawn.
    public static func chunkwise(_ example: FigureExample = FigureExample(length: 10, seed: 5), chunkSize: Int = 4)
        throws(FigureError) -> Figure
    {
        try example.check()
        guard chunkSize >= 1 else { throw .size("the chunk size B must be at least 1, got \(chunkSize)") }
        let (x, wQ, wK, wV, theta) = example.inputs()
        let trace = Tracer<Double>()
        let xID = trace.leaf("X", value: x)
        let (wQID, wKID, wVID, thetaID) = parameterLeaves(trace, wQ: wQ, wK: wK, wV: wV, theta: theta, gamma: example.gamma)
        let outputs: Matrix<Double>
        do {
            let q = try PairRotation.rotate(x * wQ, theta: theta)
            trace.record(.rotation, "Q", "rot(X W_Q)", inputs: [xID, wQID, thetaID], value: q)
            let k = try PairRotation.rotate(x * wK, theta: theta)
            trace.record(.rotation, "K", "rot(X W_K)", inputs: [xID, wKID, thetaID], value: k)
            let v = x * wV
            trace.record(.projection, "V", "X W_V", inputs: [xID, wVID], value: v)
            outputs = try ChunkwiseRetention.outputs(q: q, k: k, v: v, decay: Decay(example.gamma), chunkSize: chunkSize,
                                                     trace: trace).outputs
        } catch {
            throw .retention("\(error)")
        }
        let drawing = TraceDrawing(hidden: [.parameter, .constant], sameRank: [[.state]])
        return Figure(name: "chunkwise", trace: trace.trace, outputs: outputs,
                      graph: drawing.graph(of: trace.trace, name: "chunkwise",
                                           caption: "Chunkwise retention (Eq. 7), \(example.sizes), B = \(chunkSize)\n"
                                               + "b rows in the chunk, row j:   ξⱼ = γʲ⁺¹,   ζⱼ = γᵇ⁻ʲ⁻¹,   D = the b×b decay mask"))
    }

    /// The parallel form's backward pass: Q, K and V as the parallel figure computes them, dO a
    /// seeded Gaussian (the gradient arriving from the loss L = Σ O ⊙ dO), and
    /// `ParallelRetention.backward` traced as it computes A = Q Kᵀ ⊙ D again, dV = Aᵀ dO,
    /// dA = dO Vᵀ ⊙ D, dQ = dA K, dK = dAᵀ Q and the starting state's gradient (Q ⊙ ξ)ᵀ dO.
    public static func parallelBackward(_ example: FigureExample = FigureExample()) throws(FigureError) -> Figure {
        try example.check()
        let (x, wQ, wK, wV, theta) = example.inputs()
        var rng = SplitMix64(seed: example.seed &+ 100)
        let dO = Matrix<Double>.gaussian(rows: example.length, columns: example.valueDim, using: &rng)
        let trace = Tracer<Double>()
        let gradients: RetentionGradients<Double>
        do {
            let q = try PairRotation.rotate(x * wQ, theta: theta)
            trace.leaf("Q", "rot(X W_Q)", value: q)
            let k = try PairRotation.rotate(x * wK, theta: theta)
            trace.leaf("K", "rot(X W_K)", value: k)
            let v = x * wV
            trace.leaf("V", "X W_V", value: v)
            trace.leaf("dO", "∂L/∂O", value: dO)
            trace.leaf("γ", role: .parameter, value: Matrix(rows: 1, columns: 1, entries: [example.gamma]))
            gradients = try ParallelRetention.backward(q: q, k: k, v: v, decay: Decay(example.gamma), outputGradient: dO,
                                                       trace: trace)
        } catch {
            throw .retention("\(error)")
        }
        let drawing = TraceDrawing(sameRank: [[.input, .parameter], [.output]])
        return Figure(name: "parallel-backward", trace: trace.trace, outputs: gradients.dV,
                      graph: drawing.graph(of: trace.trace, name: "parallel_backward",
                                           caption: "The parallel form's backward pass, \(example.sizes)\n"
                                               + "dV = Aᵀ dO,   dA = dO Vᵀ ⊙ D,   dQ = dA K,   dK = dAᵀ Q"))
    }
}
