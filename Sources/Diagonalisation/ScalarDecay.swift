import Matrices

/// Retention's simplification (Eq. 4): one scalar γ for all dimensions, so the decay leaves the
/// sum and only the rotation e^{inθ} stays with the queries and keys:
///
///     o_n = Σ_{m≤n} γ^{n−m} (Q_n e^{inθ}) (K_m e^{imθ})† v_m
///
/// For real Q and K, (K_m e^{imθ})† is the conjugate, K_m e^{−imθ}, so the phases combine to
/// e^{i(n−m)θ}: only the distance n − m matters, as in relative position encodings.
public enum ScalarDecay {
    /// Q_n e^{inθ} for every row n (positions counted from 0): the complex rotation of a real Q.
    public static func rotate(_ x: Matrix<Double>, theta: [Double]) throws(ShapeError) -> Matrix<Complex<Double>> {
        guard theta.count == x.columns else {
            throw ShapeError(argument: "θ", expected: "\(x.columns) angles, one per column of X", got: "\(theta.count)")
        }
        return Matrix(rows: x.rows, columns: x.columns) { n, j in
            Complex(x[n, j]) * Complex(length: 1, phase: Double(n) * theta[j])
        }
    }

    /// Eq. 4 evaluated literally: rotated queries times conjugated rotated keys, weighted by γ^{n−m}.
    public static func outputs(q: Matrix<Double>, k: Matrix<Double>, v: Matrix<Double>, gamma: Double,
                               theta: [Double]) throws(ShapeError) -> Matrix<Complex<Double>> {
        try outputs(q: q.complex, k: k.complex, v: v.complex, gamma: gamma, theta: theta)
    }

    /// Eq. 4 for complex queries and keys (for example real pairs read as complex numbers, as the
    /// real-valued model stores them): o_n = Σ_{m≤n} γ^{n−m} (Q_n e^{inθ})(K_m e^{imθ})† v_m.
    public static func outputs(q: Matrix<Complex<Double>>, k: Matrix<Complex<Double>>, v: Matrix<Complex<Double>>,
                               gamma: Double, theta: [Double]) throws(ShapeError) -> Matrix<Complex<Double>> {
        guard theta.count == q.columns else {
            throw ShapeError(argument: "θ", expected: "\(q.columns) angles, one per column of Q", got: "\(theta.count)")
        }
        try ShapeError.require(k, "K", rows: q.rows, columns: q.columns, " (K must match Q, \(q.shape))")
        try ShapeError.require(v, "V", rows: q.rows)
        let phases = Matrix<Complex<Double>>(rows: q.rows, columns: q.columns) { n, j in
            Complex(length: 1, phase: Double(n) * theta[j])
        }
        let scores = q.hadamard(phases) * k.hadamard(phases).adjoint  // (Q e^{inθ}) (K e^{imθ})†
        return Matrix(rows: q.rows, columns: v.columns) { n, c in
            var total = Complex<Double>.zero
            for m in 0...n {
                total += Complex(Double.pow(gamma, Double(n - m))) * scores[n, m] * v[m, c]
            }
            return total
        }
    }
}
