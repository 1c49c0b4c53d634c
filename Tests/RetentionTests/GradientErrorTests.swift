import Matrices
import Testing

import Retention

/// Bad input to the backward passes throws the forward passes' `RetentionError`s, naming the
/// argument: a dO that is not n×d_v, a final-state gradient that is not d_k×d_v, a chunk size
/// below 1, and the shapes the forward passes already check.
@Suite("Bad input to the backward passes throws RetentionError")
struct GradientErrorTests {
    static let q = Matrix<Double>(rows: 5, columns: 3, repeating: 0.5)
    static let v = Matrix<Double>(rows: 5, columns: 2, repeating: 0.25)
    static let dO = Matrix<Double>(rows: 5, columns: 2, repeating: 1)
    static let decay = Decay.valid(0.9)

    /// Every backward pass, named, on the given arguments (the parallel form only without a
    /// state or final-state gradient, which it does not take).
    static func everyForm(q: Matrix<Double>, k: Matrix<Double>, v: Matrix<Double>, dO: Matrix<Double>,
                          state: RetentionState<Double>? = nil, dS: Matrix<Double>? = nil)
        -> [(name: String, run: () throws(RetentionError) -> RetentionGradients<Double>)]
    {
        var forms: [(name: String, run: () throws(RetentionError) -> RetentionGradients<Double>)] = [
            ("recurrent", { () throws(RetentionError) in
                try RecurrentRetention.backward(q: q, k: k, v: v, decay: decay, from: state, outputGradient: dO,
                                                finalStateGradient: dS)
            }),
            ("chunkwise", { () throws(RetentionError) in
                try ChunkwiseRetention.backward(q: q, k: k, v: v, decay: decay, chunkSize: 2, from: state,
                                                outputGradient: dO, finalStateGradient: dS)
            }),
        ]
        if state == nil && dS == nil {
            forms.append(("parallel", { () throws(RetentionError) in
                try ParallelRetention.backward(q: q, k: k, v: v, decay: decay, outputGradient: dO)
            }))
        }
        return forms
    }

    static func shapeError(_ argument: String, _ expected: String, _ got: String) -> RetentionError {
        .shape(ShapeError(argument: argument, expected: expected, got: got))
    }

    @Test("dO that is not n×d_v is rejected, naming dO and both shapes")
    func outputGradientShape() {
        for bad in [Matrix<Double>(rows: 4, columns: 2), Matrix<Double>(rows: 5, columns: 3),
                    Matrix<Double>(rows: 0, columns: 0)] {
            let expected = Self.shapeError("dO", "5×2 (the shape of the outputs, n×d_v)", "\(bad.shape)")
            for form in Self.everyForm(q: Self.q, k: Self.q, v: Self.v, dO: bad) {
                expectError(expected, mentioning: ["dO", "5×2", "\(bad.shape)"], "\(form.name) with dO \(bad.shape)",
                            form.run)
            }
        }
    }

    @Test("a final-state gradient that is not d_k×d_v is rejected, naming it and both shapes")
    func finalStateGradientShape() {
        for bad in [Matrix<Double>(rows: 2, columns: 3), Matrix<Double>(rows: 3, columns: 3)] {
            let expected = Self.shapeError("final-state gradient",
                                           "3×2 (the shape of the state, d_k×d_v from K and V)", "\(bad.shape)")
            for form in Self.everyForm(q: Self.q, k: Self.q, v: Self.v, dO: Self.dO, dS: bad) {
                expectError(expected, mentioning: ["final-state gradient", "3×2", "\(bad.shape)"],
                            "\(form.name) with a \(bad.shape) final-state gradient", form.run)
            }
        }
    }

    @Test("chunk size B < 1 is rejected, before any shape")
    func chunkSize() {
        for bad in [0, -1, Int.min] {
            expectError(.chunkSize(bad), mentioning: ["chunk size B", "≥ 1", "\(bad)"], "backward with B = \(bad)") {
                () throws(RetentionError) in
                try ChunkwiseRetention.backward(q: Self.q, k: Self.q, v: Self.v, decay: Self.decay, chunkSize: bad,
                                                outputGradient: Self.dO)
            }
        }
        expectError(.chunkSize(0), mentioning: [], "B = 0 with a bad dO") { () throws(RetentionError) in
            try ChunkwiseRetention.backward(q: Self.q, k: Self.q, v: Self.v, decay: Self.decay, chunkSize: 0,
                                            outputGradient: Matrix(rows: 1, columns: 1))
        }
    }

    @Test("K, V and the starting state are checked as in the forward passes, before dO")
    func forwardShapes() {
        let badK = Matrix<Double>(rows: 4, columns: 3), badV = Matrix<Double>(rows: 4, columns: 2)
        let badDO = Matrix<Double>(rows: 1, columns: 1)  // also wrong: the inputs are reported first
        for form in Self.everyForm(q: Self.q, k: badK, v: Self.v, dO: badDO) {
            expectError(Self.shapeError("K", "5×3 (the shape of Q, n×d_k)", "4×3"), mentioning: ["K"],
                        "\(form.name) with K 4×3", form.run)
        }
        for form in Self.everyForm(q: Self.q, k: Self.q, v: badV, dO: badDO) {
            expectError(Self.shapeError("V", "5 rows (one per row of Q, n×d_v)", "4×2"), mentioning: ["V"],
                        "\(form.name) with V 4×2", form.run)
        }
        let badState = RetentionState<Double>(keyDimension: 2, valueDimension: 2)
        for form in Self.everyForm(q: Self.q, k: Self.q, v: Self.v, dO: badDO, state: badState) {
            expectError(Self.shapeError("state", "3×2 (d_k×d_v from K and V)", "2×2"), mentioning: ["state"],
                        "\(form.name) from a 2×2 state", form.run)
        }
    }
}
