import Matrices

/// A transition matrix given by its eigendecomposition, A = Λ diag(γ e^{iθ}) Λ⁻¹ (paper Sec. 2.1).
///
/// Every diagonalisable A has this form with complex Λ; the eigenvalues are written in polar
/// form, magnitude γ_j (how fast dimension j forgets) and phase θ_j (how fast it rotates).
public struct DiagonalTransition {
    /// Eigenvalue magnitudes γ_j, one per dimension (retention later ties them to one scalar γ).
    public let gamma: [Double]
    /// Eigenvalue phases θ_j.
    public let theta: [Double]

    public init(gamma: [Double], theta: [Double]) throws(ShapeError) {
        guard gamma.count == theta.count else {
            throw ShapeError(argument: "θ", expected: "\(gamma.count) angles, one per γ", got: "\(theta.count)")
        }
        self.gamma = gamma
        self.theta = theta
    }

    /// The dimension d.
    public var dimension: Int { gamma.count }

    /// The eigenvalue λ_j = γ_j e^{iθ_j}.
    public func eigenvalue(_ j: Int) -> Complex<Double> {
        Complex(length: gamma[j], phase: theta[j])
    }

    /// λ_j^p = γ_j^p e^{ipθ_j}, computed from the polar form (never by repeated multiplication
    /// or by splitting the power): the magnitude γ^p underflows gracefully to 0 as p grows.
    public func eigenvalue(_ j: Int, power p: Int) -> Complex<Double> {
        Complex(length: Double.pow(gamma[j], Double(p)), phase: Double(p) * theta[j])
    }

    /// diag(λ)^p as a d×d matrix.
    public func diagonal(power p: Int = 1) -> Matrix<Complex<Double>> {
        Matrix(rows: dimension, columns: dimension) { i, j in i == j ? eigenvalue(i, power: p) : .zero }
    }

    /// The full transition A = Λ diag(λ) Λ⁻¹ for an invertible Λ.
    public func transition(eigenvectors lambda: Matrix<Complex<Double>>) throws(ShapeError) -> Matrix<Complex<Double>> {
        try ShapeError.require(lambda, "Λ", rows: dimension, columns: dimension, " (d×d, d = \(dimension))")
        guard let inverse = lambda.inverse else {
            throw ShapeError(argument: "Λ", expected: "an invertible matrix", got: "a singular one")
        }
        return lambda * diagonal() * inverse
    }

    /// Absorbs Λ into the projections (Eq. 3): Q Λ and K Λ^{−T}, so that
    /// Q_n A^{n−m} K_mᵀ = (Q_n Λ) diag(λ)^{n−m} (K_m Λ^{−T})ᵀ and Λ never appears again.
    public static func absorb(_ lambda: Matrix<Complex<Double>>, q: Matrix<Complex<Double>>, k: Matrix<Complex<Double>>)
        throws(ShapeError) -> (q: Matrix<Complex<Double>>, k: Matrix<Complex<Double>>)
    {
        try ShapeError.require(lambda, "Λ", rows: lambda.columns, " (Λ must be square)")
        guard let inverse = lambda.inverse else {
            throw ShapeError(argument: "Λ", expected: "an invertible matrix", got: "a singular one")
        }
        try ShapeError.require(q, "Q", columns: lambda.rows)
        try ShapeError.require(k, "K", columns: lambda.rows)
        return (q * lambda, k * inverse.transposed)
    }

    /// o_n = Σ_{m≤n} Q_n diag(λ)^{n−m} K_mᵀ v_m, with λ^{n−m} taken from the polar form.
    public func outputs(q: Matrix<Complex<Double>>, k: Matrix<Complex<Double>>, v: Matrix<Complex<Double>>)
        throws(ShapeError) -> Matrix<Complex<Double>>
    {
        try ShapeError.require(q, "Q", columns: dimension)
        try ShapeError.require(k, "K", rows: q.rows, columns: dimension)
        try ShapeError.require(v, "V", rows: q.rows)
        return Matrix(rows: q.rows, columns: v.columns) { n, c in
            var total = Complex<Double>.zero
            for m in 0...n {
                var score = Complex<Double>.zero
                for j in 0..<dimension { score += q[n, j] * eigenvalue(j, power: n - m) * k[m, j] }
                total += score * v[m, c]
            }
            return total
        }
    }
}
