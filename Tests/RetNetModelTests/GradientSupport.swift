import Matrices
import RetNetModel

extension RetNet<Double> {
    /// The model with the weight called `name` (its checkpoint name, as `RetNetGradients.named`
    /// names its gradient) replaced by `values`, row-major: how a test moves one weight at a time.
    func replacing(_ name: String, with values: [Double]) throws -> RetNet<Double> {
        try with(named: [(name, values)])
    }

    /// Every weight under its checkpoint name, in `RetNetGradients.named`'s order.
    var namedWeights: [(name: String, values: [Double])] {
        named.map { ($0.name, $0.values) }
    }

    /// The stored values of the weight called `name`.
    func weight(_ name: String) -> [Double] {
        named.first { $0.name == name }?.values ?? []
    }
}

/// A vector as a 1×n matrix, for `expectClose`.
func row(_ values: [Double]) -> Matrix<Double> { Matrix(rows: 1, columns: values.count, entries: values) }

/// Σ_ij A_ij W_ij for weights of any precision: see TestSupport's `weightedSum`.
func asMatrix(_ values: [Double], like shape: [Int]) -> Matrix<Double> {
    Matrix(rows: shape.count == 2 ? shape[0] : 1, columns: shape.last ?? 0, entries: values)
}
