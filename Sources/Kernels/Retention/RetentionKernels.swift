import Matrices
import Retention

/// Retention's three forms (paper Eqs. 5–7) as Float SIMD kernels, checked against the
/// reference forms of the `Retention` module (`ParallelRetention`, `ChunkwiseRetention`,
/// `RecurrentRetention`), which they must equal up to Float rounding.
///
/// Q and K are n×d_k, V is n×d_v, all already rotated, as for the references; the decay is a
/// checked `Decay<Float>`, and γ^p is taken by the same `Decay.power` the reference's D uses.
/// Bad shapes throw the references' `RetentionError`, with the same words; n = 0 is allowed.
public enum RetentionKernels {
    /// K must have Q's shape (n×d_k) and V must have n rows, as in the reference forms.
    static func check(q: Matrix<Float>, k: Matrix<Float>, v: Matrix<Float>) throws(RetentionError) {
        guard k.shape == q.shape else {
            throw .shape(ShapeError(argument: "K", expected: "\(q.shape) (the shape of Q, n×d_k)", got: "\(k.shape)"))
        }
        guard v.rows == q.rows else {
            throw .shape(ShapeError(argument: "V", expected: "\(q.rows) rows (one per row of Q, n×d_v)",
                                    got: "\(v.shape)"))
        }
    }

    /// A state to resume from must be d_k×d_v for the d_k of Q/K and the d_v of V.
    static func check(state: RetentionKernelState, keyDimension: Int, valueDimension: Int) throws(RetentionError) {
        guard state.keyDimension == keyDimension, state.valueDimension == valueDimension else {
            throw .shape(ShapeError(argument: "state", expected: "\(keyDimension)×\(valueDimension) (d_k×d_v from K and V)",
                                    got: "\(state.keyDimension)×\(state.valueDimension)"))
        }
    }

    /// Rows [start, start + count) of a row-major matrix with `width` columns, transposed into
    /// `width` rows of `stride` ≥ count floats, zero-padded past `count` (SIMD reads of whole
    /// 16-float blocks then never leave the buffer).
    static func transpose(_ source: UnsafePointer<Float>, rows start: Int, count: Int, width: Int, stride: Int,
                          into target: UnsafeMutablePointer<Float>) {
        target.update(repeating: 0, count: width * stride)
        for r in 0..<count {
            let row = source + (start + r) * width
            for p in 0..<width { target[p * stride + r] = row[p] }
        }
    }

    /// `count` rounded up to a multiple of 16.
    static func padded(_ count: Int) -> Int { (count + 15) / 16 * 16 }
}
