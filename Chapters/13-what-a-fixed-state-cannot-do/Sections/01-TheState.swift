import Matrices
import Notebook
import Retention

extension Chapter13 {
    /// A d×d matrix with orthonormal rows (Gram–Schmidt, twice, on Gaussian rows).
    static func orthonormalRows(_ d: Int, seed: UInt64) -> Matrix<Double> {
        var g = SplitMix64(seed: seed)
        var rows: [[Double]] = []
        while rows.count < d {
            var v = (0..<d).map { _ in g.nextGaussian() }
            for _ in 0..<2 {
                for r in rows {
                    let dot = zip(v, r).reduce(0) { $0 + $1.0 * $1.1 }
                    v = zip(v, r).map { $0 - dot * $1 }
                }
            }
            let norm = v.reduce(0) { $0 + $1 * $1 }.squareRoot()
            rows.append(v.map { $0 / norm })
        }
        return Matrix(rows: d, columns: d, entries: rows.flatMap { $0 })
    }

    /// Writes the pairs (K row i, V row i) into a zero state with retention's recurrent form at
    /// γ, then reads with each row of `queries` (a step whose key and value are 0 adds nothing
    /// to the state): row j of the result is q_j S.
    static func writeThenRead(keys: Matrix<Double>, values: Matrix<Double>, queries: Matrix<Double>, gamma: Double) throws
        -> Matrix<Double>
    {
        let decay = try Decay(gamma)
        let silent = Matrix<Double>(rows: keys.rows, columns: keys.columns)
        let written = try RecurrentRetention.outputs(q: silent, k: keys, v: values, decay: decay).state
        var reads: [Double] = []
        for j in 0..<queries.rows {
            let read = try RecurrentRetention.outputs(q: queries.row(j), k: Matrix(rows: 1, columns: keys.columns),
                                                      v: Matrix(rows: 1, columns: values.columns), decay: try Decay(1.0),
                                                      from: written)
            reads += read.outputs.storage
        }
        return Matrix(rows: queries.rows, columns: values.columns, entries: reads)
    }

    func theState(_ nb: Notebook) throws {
        nb.section("A state is a table of d_k × d_v numbers")
        nb.prose("""
            Chapter 04 wrote retention as a recurrence on a state S of d_k × d_v numbers per head:
            each token adds the outer product of its key and value, and a query reads S back.
            """)
        nb.equation("S = Σᵢ γ^{n−i} kᵢᵀ vᵢ,    q S = Σᵢ γ^{n−i} (q · kᵢ) vᵢ",
                    latex: #"S = \sum_i \gamma^{n-i} k_i^\top v_i, \qquad q S = \sum_i \gamma^{n-i} (q \cdot k_i)\, v_i"#)
        nb.prose("""
            Read with the key of pair j, the state returns v_j times k_j · k_j, plus every other value
            times its key's overlap with k_j. The other terms vanish exactly when the keys are
            orthogonal, and d_k numbers hold at most d_k orthogonal directions: a head can store d_k
            pairs without interference, and no more. Below, each claim runs through the project's
            recurrent retention (`RecurrentRetention.outputs`): the pairs written at γ = 1 (linear
            attention's state), then read with each key, against the closed form.
            """)
        let d = 8
        let keys = Self.orthonormalRows(d, seed: seed)
        var g = SplitMix64(seed: seed &+ 1)
        let values = Matrix<Double>(rows: d, columns: d) { _, _ in g.nextGaussian() }
        let read = try Self.writeThenRead(keys: keys, values: values, queries: keys, gamma: 1)
        // d = 8 products and sums of numbers of order 1 per entry: a few ulp of Double.
        nb.check("d_k = \(d) orthonormal keys: reading with key j returns v_j (all \(d) pairs)", read, values,
                 tolerance: .relative(1e-13))

        let n = d + 1
        let unitKeys = Matrix<Double>(rows: n, columns: d, entries: (0..<n).flatMap { _ in
            let v = (0..<d).map { _ in g.nextGaussian() }
            let norm = v.reduce(0) { $0 + $1 * $1 }.squareRoot()
            return v.map { $0 / norm }
        })
        let moreValues = Matrix<Double>(rows: n, columns: d) { _, _ in g.nextGaussian() }
        let crowded = try Self.writeThenRead(keys: unitKeys, values: moreValues, queries: unitKeys, gamma: 1)
        // The closed form: q_j S = Σᵢ (k_j · kᵢ) vᵢ, summed here directly, pair by pair.
        let closedForm = Matrix<Double>(rows: n, columns: d) { j, c in
            (0..<n).reduce(0) { sum, i in
                sum + (0..<d).reduce(0) { $0 + unitKeys[j, $1] * unitKeys[i, $1] } * moreValues[i, c]
            }
        }
        nb.check("\(n) random unit keys: each read is v_j plus the others weighted by their overlaps, Σᵢ (k_j·kᵢ) vᵢ",
                 crowded, closedForm, tolerance: .relative(1e-13))
        let worst = (0..<n).map { j in
            let error = (0..<d).reduce(0) { $0 + (crowded[j, $1] - moreValues[j, $1]) * (crowded[j, $1] - moreValues[j, $1]) }
            let size = (0..<d).reduce(0) { $0 + moreValues[j, $1] * moreValues[j, $1] }
            return (error / size).squareRoot()
        }.max()!
        nb.check("\(n) keys in \(d) dimensions interfere: the worst read is off by more than 10% of its value",
                 worst > 0.1, "worst relative error \(Format.fixed(worst, 3))")
        nb.prose("""
            That is not a matter of choosing the keys badly: \(n) keys in \(d) dimensions are linearly
            dependent, so S, a sum of \(n) outer products, has rank at most \(d), and no choice of
            queries reads back \(n) values that span \(n) dimensions. A bigger state — a wider head,
            more heads — is the only way to hold more pairs exactly.
            """)

        nb.section("Decay forgets at γ^m")
        nb.prose("""
            Retention multiplies the state by γ at every token. A pair written m tokens before the
            query is read back at γ^m of its size: the multi-scale heads of chapter 06 (γ from
            1 − 2⁻⁵ to 1 − 2⁻⁹ at four heads) keep a pair 32 to 512 tokens before it fades to 1/e.
            Below, one pair with a unit key is written, then m tokens of zero key and value pass,
            then the key reads, through the recurrent form with decay γ; the closed form is γ^m v,
            with γ^m from the standard library's `pow`.
            """)
        let gamma = 0.9
        let key = keys.row(0), value = values.row(0)
        var gotRows: [Double] = [], expectedRows: [Double] = []
        for m in [0, 1, 5, 10, 20, 40] {
            let zerosK = Matrix<Double>(rows: m, columns: d), zerosV = Matrix<Double>(rows: m, columns: d)
            let q = Matrix<Double>(rows: m + 1, columns: d) { i, c in i == m ? key[0, c] : 0 }
            let k = key.stacked(above: zerosK), v = value.stacked(above: zerosV)
            let out = try RecurrentRetention.outputs(q: q, k: k, v: v, decay: try Decay(gamma)).outputs
            gotRows += out.row(m).storage
            expectedRows += value.storage.map { Double.pow(gamma, Double(m)) * $0 }
        }
        nb.check("a pair written m = 0, 1, 5, 10, 20, 40 tokens ago reads back as γ^m v (γ = \(gamma))",
                 Matrix(rows: 6, columns: d, entries: gotRows), Matrix(rows: 6, columns: d, entries: expectedRows),
                 tolerance: .relative(1e-13))
        nb.prose("""
            Linear attention is γ = 1: nothing fades, and nothing is ever removed either, so every
            pair ever written adds its crosstalk. A fixed state has two ways to fail at recall —
            too many pairs for d_k, or a pair too far back for γ — and attention, whose "state" is
            the whole KV cache, has neither: it grows with the sequence instead.
            """)
    }
}
