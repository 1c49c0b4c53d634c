import Matrices
import TestSupport

import Retention

/// A retention problem with what a backward pass reads besides Q, K and V: the output gradient
/// dO (n×d_v), a starting state S_{−1} and a final-state gradient dS (both d_k×d_v), all drawn
/// from one seed so that a failing case can be rebuilt from its message.
///
/// dO and dS are N(0, 1); S_{−1} is N(0, 1/d_k), the size of one term K_mᵀ V_m of a state.
struct GradientProblem<E: RealScalar> {
    let inputs: Problem<E>
    let dO: Matrix<E>
    let start: Matrix<E>
    let dS: Matrix<E>

    init(length n: Int, keyDimension dk: Int, valueDimension dv: Int, seed: UInt64) {
        inputs = Problem(length: n, keyDimension: dk, valueDimension: dv, seed: seed)
        // A second stream, so that Q, K, V are the forward tests' for the same seed.
        var generator = SplitMix64(seed: ~seed)
        dO = .gaussian(rows: n, columns: dv, scale: 1, using: &generator)
        start = .gaussian(rows: dk, columns: dv, scale: 1 / Double(Swift.max(dk, 1)).squareRoot(), using: &generator)
        dS = .gaussian(rows: dk, columns: dv, scale: 1, using: &generator)
    }

    init(inputs: Problem<E>, dO: Matrix<E>, start: Matrix<E>, dS: Matrix<E>) {
        (self.inputs, self.dO, self.start, self.dS) = (inputs, dO, start, dS)
    }

    var q: Matrix<E> { inputs.q }
    var k: Matrix<E> { inputs.k }
    var v: Matrix<E> { inputs.v }
    var length: Int { inputs.length }
    var state: RetentionState<E> { RetentionState(s: start, position: 0) }

    /// The same numbers in another precision (exactly, when going from Float to Double).
    func converted<Other: RealScalar>(to _: Other.Type) -> GradientProblem<Other> {
        GradientProblem<Other>(inputs: inputs.converted(to: Other.self), dO: dO.converted(), start: start.converted(),
                               dS: dS.converted())
    }

    /// Every entry replaced by its magnitude: the problem whose gradients are the term sizes.
    var magnitudes: GradientProblem {
        let abs = { (m: Matrix<E>) in m.map(Swift.abs) }
        return GradientProblem(inputs: Problem(q: abs(q), k: abs(k), v: abs(v)), dO: abs(dO), start: abs(start),
                               dS: abs(dS))
    }
}

/// The three forms' backward passes behind one switch, so a test can loop over them.
enum GradientForm: String, CaseIterable, Sendable, CustomStringConvertible {
    case parallel, recurrent, chunkwise

    var description: String { rawValue }

    /// This form's gradients. `withState` starts from `p.start` and passes `p.dS` as the
    /// final-state gradient; without it the sequence starts from zero with no final-state
    /// gradient, which is all the parallel form (which takes no state) can do.
    func backward<E>(_ p: GradientProblem<E>, decay: Decay<E>, chunkSize: Int, withState: Bool) throws
        -> RetentionGradients<E>
    {
        let (state, dS) = withState ? (p.state, p.dS) : (nil, nil)
        switch self {
        case .parallel:
            precondition(!withState, "the parallel form takes no state")
            return try ParallelRetention.backward(q: p.q, k: p.k, v: p.v, decay: decay, outputGradient: p.dO)
        case .recurrent:
            return try RecurrentRetention.backward(q: p.q, k: p.k, v: p.v, decay: decay, from: state,
                                                   outputGradient: p.dO, finalStateGradient: dS)
        case .chunkwise:
            return try ChunkwiseRetention.backward(q: p.q, k: p.k, v: p.v, decay: decay, chunkSize: chunkSize,
                                                   from: state, outputGradient: p.dO, finalStateGradient: dS)
        }
    }
}

extension RetentionGradients {
    /// The four gradients with their names, in a fixed order, for comparisons.
    var named: [(name: String, value: Matrix<E>)] { [("dQ", dQ), ("dK", dK), ("dV", dV), ("dState", dState)] }

    /// The gradients in another precision.
    func converted<Other: RealScalar>(to _: Other.Type) -> RetentionGradients<Other> {
        RetentionGradients<Other>(dQ: dQ.converted(), dK: dK.converted(), dV: dV.converted(),
                                  dState: dState.converted())
    }
}

/// The term sizes of every gradient entry: each gradient is a sum of products of entries of Q,
/// K, V, dO, S_{−1} and dS with non-negative weights (powers of γ), so the same backward pass
/// run on their magnitudes, in Double, sums the magnitudes of those products. This is T for
/// `expectClose(…, terms:)`, per gradient.
func gradientTermSizes<E: RealScalar>(_ p: GradientProblem<E>, gamma: E, withState: Bool) -> [String: Double] {
    let m = p.converted(to: Double.self).magnitudes
    guard let g = try? GradientForm.recurrent.backward(m, decay: .valid(Double(gamma)), chunkSize: 1,
                                                      withState: withState)
    else { return [:] }
    return Dictionary(uniqueKeysWithValues: g.named.map { ($0.name, Double($0.value.maxMagnitude)) })
}
