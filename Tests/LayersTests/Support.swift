import Matrices

func inputs(rows: Int, columns: Int, seed: UInt64) -> Matrix<Double> {
    var rng = SplitMix64(seed: seed)
    return .gaussian(rows: rows, columns: columns, using: &rng)
}

/// A vector as a 1×n matrix, for `expectClose`.
func row(_ values: [Double]) -> Matrix<Double> { Matrix(rows: 1, columns: values.count, entries: values) }
