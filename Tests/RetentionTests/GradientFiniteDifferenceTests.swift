import Matrices
import TestSupport
import Testing

import Retention

/// Each form's backward pass against central finite differences of its own forward pass, in
/// Double, for every entry of Q, K, V and the starting state.
///
/// The loss is L = Σ O ⊙ W + Σ S_final ⊙ W_S for random W (= dO) and W_S (= the final-state
/// gradient; the parallel form returns no state, so it has no W_S). Retention is multilinear:
/// the outputs and the final state are linear in each single entry x of Q, K, V or S_{−1} with
/// the others held fixed (every term of o_n and S_n holds at most one factor from each). So L
/// is exactly affine in x, and the central difference
///
///     (L(x₊) − L(x₋)) / (x₊ − x₋)
///
/// has no truncation error at all: it equals ∂L/∂x up to the rounding in evaluating L. Any step
/// would do, and a larger one divides that rounding error by more; h = 10⁻³ of the entry's
/// scale keeps the perturbed inputs typical. x₊ = x + h and x₋ = x − h are taken as rounded and
/// the difference divides by x₊ − x₋, so an inexact x ± h changes nothing.
///
/// The tolerance, per entry, from the standard rounding bounds. With T_L the sum of the
/// magnitudes of all the products that make up L (the loss of the magnitude problem, its inputs
/// raised by h so that it bounds the perturbed problems too), evaluating L rounds each product
/// along a chain of at most m steps, so |fl(L) − L| ≤ γ_m T_L with γ_m = m u/(1 − m u) < 1.01 m u
/// and u = 2⁻⁵³. Here m = n d_v + d_k d_v (the final sum over the entries of O ⊙ W and S ⊙ W_S)
/// + 2n + d_k + d_v + 5, which covers the longest chain in every form, of L and of each
/// gradient: the recurrent state rounds twice per token (γ S, then + K_nᵀ V_n) over up to n
/// tokens, a dot product over d_k or d_v rounds once per term, and the decay powers, the
/// products with W and the sums add a few. Two such errors, divided by x₊ − x₋, and the
/// backward pass's own error γ_m T_g (T_g the entry's term size: the backward pass on the
/// magnitudes) give
///
///     |difference quotient − computed gradient| ≤ 1.01 m u (2 T_L / (x₊ − x₋) + 2 T_g)
///
/// (the second T_g covers rounding x₊ − x₋ and the division). For these sizes that is 10⁻¹²
/// to 10⁻⁹ absolute, on gradients of size 0.1 to 10, while a wrong power of γ, a missing mask
/// or a state read one chunk late is off by 10⁻⁴ to 10. The worst ratio of error to bound is
/// printed: at most 0.04, as expected of a worst-case bound met by errors of random sign.
@Suite("Gradients = finite differences (Double)")
struct GradientFiniteDifferenceTests {
    /// Problem sizes: non-divisor, divisor, B = n and B > n chunk sizes, n = 1 and n = 0 (only
    /// the state is there to perturb), γ = 1 and fast decay, odd widths.
    struct Case: Sendable, CustomTestStringConvertible {
        let length: Int, keyDimension: Int, valueDimension: Int
        let gamma: Double
        let chunkSize: Int
        let seed: UInt64
        var testDescription: String {
            "n=\(length) d_k=\(keyDimension) d_v=\(valueDimension) γ=\(gamma) B=\(chunkSize)"
        }
    }

    static let cases = [
        Case(length: 9, keyDimension: 3, valueDimension: 2, gamma: 0.8, chunkSize: 4, seed: 101),
        Case(length: 8, keyDimension: 2, valueDimension: 3, gamma: 1, chunkSize: 2, seed: 102),
        Case(length: 6, keyDimension: 4, valueDimension: 1, gamma: 0.3, chunkSize: 6, seed: 103),
        Case(length: 5, keyDimension: 1, valueDimension: 4, gamma: 0.96875, chunkSize: 7, seed: 104),
        Case(length: 1, keyDimension: 2, valueDimension: 2, gamma: 0.9, chunkSize: 3, seed: 105),
        Case(length: 0, keyDimension: 2, valueDimension: 3, gamma: 0.9, chunkSize: 1, seed: 106),
    ]

    /// Which input an entry belongs to.
    enum Input: String, CaseIterable {
        case q = "Q", k = "K", v = "V", start = "S₋₁"
    }

    /// L for one form at the given inputs: Σ O ⊙ W, plus Σ S_final ⊙ W_S when the form carries
    /// a state. The parallel form's `start` must be zero (it takes no state): a perturbed start
    /// is run through the recurrent form, whose outputs equal the parallel form's (tested to
    /// 1e-12 elsewhere), since a state carried into the parallel form is what its dState means.
    static func loss(_ form: GradientForm, q: Matrix<Double>, k: Matrix<Double>, v: Matrix<Double>,
                     start: Matrix<Double>, w: Matrix<Double>, wS: Matrix<Double>, decay: Decay<Double>,
                     chunkSize: Int) throws -> Double
    {
        let state = RetentionState(s: start, position: 0)
        let outputs: Matrix<Double>, final: Matrix<Double>?
        switch form {
        case .parallel where start.storage.allSatisfy { $0 == 0 }:
            (outputs, final) = (try ParallelRetention.outputs(q: q, k: k, v: v, decay: decay), nil)
        case .parallel:
            (outputs, final) = (try RecurrentRetention.outputs(q: q, k: k, v: v, decay: decay, from: state).outputs, nil)
        case .recurrent:
            let r = try RecurrentRetention.outputs(q: q, k: k, v: v, decay: decay, from: state)
            (outputs, final) = (r.outputs, r.state.s)
        case .chunkwise:
            let r = try ChunkwiseRetention.outputs(q: q, k: k, v: v, decay: decay, chunkSize: chunkSize, from: state)
            (outputs, final) = (r.outputs, r.state.s)
        }
        var total = 0.0
        for (o, weight) in zip(outputs.storage, w.storage) { total += o * weight }
        if let final {
            for (s, weight) in zip(final.storage, wS.storage) { total += s * weight }
        }
        return total
    }

    @Test("every entry of dQ, dK, dV and dState = central difference",
          arguments: GradientForm.allCases, cases)
    func finiteDifferences(form: GradientForm, c: Case) throws {
        let (n, dk, dv) = (c.length, c.keyDimension, c.valueDimension)
        let p = GradientProblem<Double>(length: n, keyDimension: dk, valueDimension: dv, seed: c.seed)
        let decay = Decay.valid(c.gamma)
        let withState = form != .parallel
        let start = withState ? p.start : Matrix(rows: dk, columns: dv)
        let wS = withState ? p.dS : Matrix(rows: dk, columns: dv)
        let gradients = try form.backward(p, decay: decay, chunkSize: c.chunkSize, withState: withState)
        let computed: [Input: Matrix<Double>] = [.q: gradients.dQ, .k: gradients.dK, .v: gradients.dV,
                                                 .start: gradients.dState]
        let scale: [Input: Double] = [.q: 1, .k: 1 / Double(dk).squareRoot(), .v: 1,
                                      .start: 1 / Double(dk).squareRoot()]
        let h = scale.mapValues { 1e-3 * $0 }

        // T_L and T_g from the magnitude problem with every input raised by h, which bounds the
        // magnitudes of every perturbed problem (|x ± h| ≤ |x| + h).
        let raised = { (m: Matrix<Double>, input: Input) in m.map { Swift.abs($0) + h[input]! } }
        let big = GradientProblem(inputs: Problem(q: raised(p.q, .q), k: raised(p.k, .k), v: raised(p.v, .v)),
                                  dO: p.dO.map(Swift.abs), start: raised(start, .start), dS: wS.map(Swift.abs))
        let termLoss = try Self.loss(.recurrent, q: big.q, k: big.k, v: big.v, start: big.start, w: big.dO,
                                     wS: big.dS, decay: decay, chunkSize: c.chunkSize)
        let terms = try GradientForm.recurrent.backward(big, decay: decay, chunkSize: 1, withState: true)
        let termSizes: [Input: Matrix<Double>] = [.q: terms.dQ, .k: terms.dK, .v: terms.dV, .start: terms.dState]
        let m = Double(n * dv + dk * dv + 2 * n + dk + dv + 5)
        let u = 0x1p-53

        var inputs: [Input: Matrix<Double>] = [.q: p.q, .k: p.k, .v: p.v, .start: start]
        func loss() throws -> Double {
            try Self.loss(form, q: inputs[.q]!, k: inputs[.k]!, v: inputs[.v]!, start: inputs[.start]!, w: p.dO, wS: wS,
                          decay: decay, chunkSize: c.chunkSize)
        }
        var worstRatio = 0.0, worstAt = "none", checked = 0
        for input in Input.allCases {
            let original = inputs[input]!
            for i in 0..<original.rows {
                for j in 0..<original.columns {
                    let x = original[i, j]
                    let (xPlus, xMinus) = (x + h[input]!, x - h[input]!)
                    inputs[input]![i, j] = xPlus
                    let lossPlus = try loss()
                    inputs[input]![i, j] = xMinus
                    let lossMinus = try loss()
                    inputs[input]![i, j] = x
                    let step = xPlus - xMinus
                    let difference = (lossPlus - lossMinus) / step
                    let gradient = computed[input]![i, j]
                    let bound = 1.01 * m * u * (2 * termLoss / step + 2 * termSizes[input]![i, j])
                    let error = Swift.abs(difference - gradient)
                    #expect(error <= bound, """
                        [\(form) \(c.testDescription)] d\(input.rawValue)[\(i), \(j)]: backward \(gradient), \
                        central difference \(difference), |Δ| \(Format.scientific(error, 2)) over the bound \
                        \(Format.scientific(bound, 2))
                        """)
                    if error / bound > worstRatio || error.isNaN {
                        (worstRatio, worstAt) = (error / bound, "d\(input.rawValue)[\(i), \(j)]")
                    }
                    checked += 1
                }
            }
        }
        #expect(checked == 2 * n * dk + n * dv + dk * dv, "[\(form) \(c.testDescription)] checked \(checked) entries")
        print("finite differences, \(form) \(c.testDescription): \(checked) entries, worst error/bound "
              + "\(Format.scientific(worstRatio, 2)) at \(worstAt) (T_L \(Format.scientific(termLoss, 2)))")
    }
}
