import Matrices

/// Central differences of a scalar function of many numbers, for checking backward passes of
/// functions that are *not* multilinear (norms, activations, the loss), in Double.
///
/// For each entry x, (f(x₊) − f(x₋)) / (x₊ − x₋) with x± = x ± h as rounded. Its error has two
/// parts: truncation, h²/6 · |∂³f/∂x³| (the odd Taylor terms that survive), and rounding,
/// about 2 δf / (2h) with δf the rounding error of one evaluation of f. The step h = 1e-5 makes
/// both about 1e-10 for the problems here (inputs and weights of order 1, third derivatives of
/// order 1 to 10², f of order 1 summed over ~10³ rounded operations, δf ≈ 1e-13): a gradient
/// then agrees with its difference quotients to ~1e-9 relative, per tensor (1e-8 at worst
/// measured).
public enum FiniteDifferences {
    /// The step: balances the truncation error (∝ h²) against the rounding error (∝ 1/h).
    public static let step = 1e-5

    /// The central difference of `f` with respect to each entry of `values`: `f` is called with
    /// the values, one entry moved by ±h.
    public static func gradient(of values: [Double], step h: Double = step,
                                _ f: ([Double]) throws -> Double) rethrows -> [Double]
    {
        var moved = values
        var out: [Double] = []
        out.reserveCapacity(values.count)
        for i in values.indices {
            let x = values[i]
            let (plus, minus) = (x + h, x - h)
            moved[i] = plus
            let fPlus = try f(moved)
            moved[i] = minus
            let fMinus = try f(moved)
            moved[i] = x
            out.append((fPlus - fMinus) / (plus - minus))
        }
        return out
    }

    /// The same for the entries of a matrix.
    public static func gradient(of m: Matrix<Double>, step h: Double = step,
                                _ f: (Matrix<Double>) throws -> Double) rethrows -> Matrix<Double>
    {
        Matrix(rows: m.rows, columns: m.columns,
               entries: try gradient(of: m.storage, step: h) { try f(Matrix(rows: m.rows, columns: m.columns, entries: $0)) })
    }
}

/// Σ_ij A_ij W_ij: a scalar loss whose gradient with respect to A is W, so that a random W
/// plays the part of a gradient arriving from later layers.
public func weightedSum(_ a: Matrix<Double>, _ w: Matrix<Double>) -> Double {
    zip(a.storage, w.storage).reduce(0) { $0 + $1.0 * $1.1 }
}
