import ChapterSupport
import Matrices
import MultiScaleRetention
import Notebook
import Retention

extension Chapter06 {
    /// What the normalisations are for: range. One head in Float16 overflows unnormalised and stays
    /// within its values' range normalised.
    func normalisationsInHalfPrecision(_ nb: Notebook) throws {
        nb.prose("""
            If the norm undoes them, what are the normalisations for? The paper adds them for numerical
            stability, and the reason is range. Unnormalised, an output row sums up to 1/(1 − γ) value
            rows weighted by scores: it grows with the head's memory. With D̃ and R̃ the weights of a row
            sum to at most 1 in size; when they share a sign — queries and keys pointing the same way,
            as below — an output then stays within the range of the values. (With mixed signs it
            need not: weights +5 and −4.5 sum to 0.5, which R̃ leaves alone, and against values +1
            and −1 give 9.5. Only a normaliser of Σ|R|, as torchscale's chunkwise inner scale uses,
            would bound that.) In half
            precision (largest finite value 65,504) that is the difference between a number and ∞.
            Take one head with γ = 1 − 2⁻⁷ (memory 128) over 256 tokens whose queries and keys point the
            same way (scores ≈ 36) and values ≈ 31, in Float16. Its unit roundoff is u = 2⁻¹¹ ≈ 4.9e-4;
            a normalised output sums 256 weighted terms, each from a 16-term dot product, and roundings
            of random sign add like a random walk, √(256 + 16)·u ≈ 8e-3 — so 2e-2 relative against the
            same computation in Double:
            """)
        var halfRNG = SplitMix64(seed: seed &+ 16)
        let direction = Matrix<Double>.gaussian(rows: 1, columns: 16, using: &halfRNG)
        let unitDirection = (1 / (direction * direction.transposed)[0, 0].squareRoot()) * direction
        func aligned(_ scale: Double) -> Matrix<Double> {
            Matrix(rows: 256, columns: 16) { _, c in scale * unitDirection[0, c] } + Matrix.gaussian(rows: 256, columns: 16, scale: 0.2, using: &halfRNG)
        }
        let (q64, k64) = (aligned(6), aligned(6))
        let v64 = Matrix<Double>.gaussian(rows: 256, columns: 4, using: &halfRNG).map { 30 + abs($0) }
        let (q16, k16, v16) = (q64.converted(to: Float16.self), k64.converted(to: Float16.self), v64.converted(to: Float16.self))
        let gamma16 = try Decay<Float16>(Float16(1 - 1.0 / 128))
        let unnormalised16 = try ParallelRetention.outputs(q: q16, k: k16, v: v16, decay: gamma16)
        let unnormalised64 = try ParallelRetention.outputs(q: q64, k: k64, v: v64, decay: try Decay(1 - 1.0 / 128))
        nb.check("unnormalised: the largest output, \(Format.grouped(Int(unnormalised64.maxMagnitude))) in Double, is ∞ in Float16",
                 !unnormalised16.isFinite && unnormalised64.maxMagnitude > Double(Float16.greatestFiniteMagnitude),
                 "non-finite entries: \(unnormalised16.storage.filter { !$0.isFinite }.count) of \(unnormalised16.storage.count)")
        func normalised<T: RealScalar>(_ q: Matrix<T>, _ k: Matrix<T>, _ v: Matrix<T>, _ decay: Decay<T>) -> Matrix<T> {
            var rowSum: T = 0
            let roots = (0..<q.rows).map { p -> T in rowSum += decay.power(p); return rowSum.squareRoot() }
            let dTilde = Matrix<T>(rows: q.rows, columns: q.rows) { n, m in m <= n ? decay.power(n - m) / roots[n] : 0 }
            let scores = (q * k.transposed).hadamard(dTilde)
            let factors = (0..<q.rows).map { n in 1 / Swift.max(abs((0..<q.rows).reduce(T(0)) { $0 + scores[n, $1] }), 1) }
            return scores.scalingRows(by: factors) * v
        }
        let normalised16 = normalised(q16, k16, v16, gamma16)
        let normalised64 = normalised(q64, k64, v64, try Decay(1 - 1.0 / 128))
        nb.say("normalised: outputs from \(Format.fixed(normalised64.storage.min()!, 2)) to \(Format.fixed(normalised64.storage.max()!, 2)) (Double)")
        nb.check("normalised (D̃ and R̃) in Float16: finite, and ≈ the Double computation", normalised16.converted(to: Double.self),
                 normalised64, tolerance: .relative(2e-2))
        let within = (0..<normalised64.columns).allSatisfy { c in
            let column = (0..<256).map { v64[$0, c] }
            return (0..<256).allSatisfy { normalised64[$0, c] >= column.min()! && normalised64[$0, c] <= column.max()! }
        }
        nb.check("every normalised output lies within its values' range (positive weights summing to 1)", within,
                 "values from \(Format.fixed(v64.storage.min()!, 2)) to \(Format.fixed(v64.storage.max()!, 2))")
    }
}
