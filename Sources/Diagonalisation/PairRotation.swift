import Matrices

/// Complex numbers as real pairs: a length-d real row holds d/2 complex numbers
/// z_j = x_{2j} + i x_{2j+1}, and multiplying z_j by e^{iφ} is a 2×2 rotation of the pair:
///
///     (x_{2j}, x_{2j+1}) ↦ (x_{2j} cos φ − x_{2j+1} sin φ,  x_{2j} sin φ + x_{2j+1} cos φ)
///
/// This is torchscale's `theta_shift(x) = x·cos + rotate_every_two(x)·sin`, with each angle
/// repeated for both members of its pair. Real code never needs a complex type.
public enum PairRotation {
    /// torchscale's `rotate_every_two`: (x0, x1, x2, x3, …) ↦ (−x1, x0, −x3, x2, …).
    public static func rotateEveryTwo<E: RealScalar>(_ x: Matrix<E>) throws(ShapeError) -> Matrix<E> {
        try requireEven(x)
        return Matrix(rows: x.rows, columns: x.columns) { n, c in c % 2 == 0 ? -x[n, c + 1] : x[n, c - 1] }
    }

    /// Rotates pair j of row n by the angle (n + offset)·θ_j: row n is the token at position
    /// n + offset. `theta` holds d/2 angles, one per pair.
    public static func rotate<E: RealScalar>(_ x: Matrix<E>, theta: [Double], offset: Int = 0) throws(ShapeError) -> Matrix<E> {
        try requireAngles(x, theta)
        var out = x
        for n in 0..<x.rows {
            for j in 0..<theta.count {
                let phi = Double(n + offset) * theta[j]
                let c = E(Double.cos(phi)), s = E(Double.sin(phi))
                let a = x[n, 2 * j], b = x[n, 2 * j + 1]
                out[n, 2 * j] = a * c - b * s
                out[n, 2 * j + 1] = a * s + b * c
            }
        }
        return out
    }

    /// The rotation written torchscale's way, x ⊙ cos + rotate_every_two(x) ⊙ sin, with each
    /// angle repeated for both members of its pair.
    public static func thetaShift(_ x: Matrix<Double>, theta: [Double], offset: Int = 0) throws(ShapeError) -> Matrix<Double> {
        try requireAngles(x, theta)
        let angle = { (n: Int, c: Int) in Double(n + offset) * theta[c / 2] }
        let cos = Matrix<Double>(rows: x.rows, columns: x.columns) { n, c in Double.cos(angle(n, c)) }
        let sin = Matrix<Double>(rows: x.rows, columns: x.columns) { n, c in Double.sin(angle(n, c)) }
        return x.hadamard(cos) + (try rotateEveryTwo(x)).hadamard(sin)
    }

    /// The pairs of each row as complex numbers: d real columns → d/2 complex ones.
    public static func complexPairs(_ x: Matrix<Double>) throws(ShapeError) -> Matrix<Complex<Double>> {
        try requireEven(x)
        return Matrix(rows: x.rows, columns: x.columns / 2) { n, j in Complex(x[n, 2 * j], x[n, 2 * j + 1]) }
    }

    /// Back from complex numbers to real pairs.
    public static func realPairs(_ z: Matrix<Complex<Double>>) -> Matrix<Double> {
        Matrix(rows: z.rows, columns: 2 * z.columns) { n, c in c % 2 == 0 ? z[n, c / 2].real : z[n, c / 2].imaginary }
    }

    /// torchscale's angle schedule: θ_j = 1 / 10000^{j/(d/2 − 1)} for j = 0 … d/2 − 1
    /// (`1 / 10000 ** linspace(0, 1, d/2)`), one angle per pair.
    public static func torchscaleAngles(pairs: Int) -> [Double] {
        guard pairs > 1 else { return pairs == 1 ? [1] : [] }
        return (0..<pairs).map { j in 1 / Double.pow(10000, Double(j) / Double(pairs - 1)) }
    }

    private static func requireAngles<E>(_ x: Matrix<E>, _ theta: [Double]) throws(ShapeError) {
        try requireEven(x)
        guard theta.count * 2 == x.columns else {
            throw ShapeError(argument: "θ", expected: "\(x.columns / 2) angles (one per pair of \(x.columns) columns)",
                             got: "\(theta.count)")
        }
    }

    private static func requireEven<E>(_ x: Matrix<E>) throws(ShapeError) {
        guard x.columns % 2 == 0 else {
            throw ShapeError(argument: "X", expected: "an even number of columns (pairs)", got: "\(x.shape)")
        }
    }
}
