import Kernels
import Matrices
import Retention

/// Retention's three forms (paper Eqs. 5–7) as Float SIMD kernels, checked against the
/// reference forms of the `Retention` module (`ParallelRetention`, `ChunkwiseRetention`,
/// `RecurrentRetention`), which they must equal up to Float rounding.
///
/// Q and K are n×d_k, V is n×d_v, all already rotated, as for the references; the decay is a
/// checked `Decay<Float>`, and γ^p is taken by the same `Decay.power` the reference's D uses.
/// Bad shapes throw the references' `RetentionError` from the references' own checks
/// (`RetentionInput`), so with the same words; n = 0 is allowed.
///
/// Each form has two entry points. The public one takes matrices, checks them, and returns new
/// outputs and a new state. A `package` one on raw memory trusts its caller's sizes and writes
/// the outputs and the state into the caller's buffers: `FastRetNet`, whose sizes come from a
/// validated model, calls it with buffers allocated once, without anything to check or throw.
public enum RetentionKernels {
    /// A state to resume from must be d_k×d_v for the d_k of Q/K and the d_v of V.
    static func check(state: RetentionKernelState, keyDimension: Int, valueDimension: Int) throws(RetentionError) {
        try RetentionInput.check(stateShape: state.shape, keyDimension: keyDimension, valueDimension: valueDimension)
    }

    /// Rows [start, start + count) of a row-major matrix with `width` columns, transposed into
    /// `width` rows of `stride` ≥ count floats, zero-padded past `count` (SIMD reads of whole
    /// 16-float blocks then never leave the buffer). Sixteen source rows at a time, as 16×16
    /// blocks transposed in registers (`GEMM.transposed16`), the columns past whole blocks gathered
    /// sixteen rows into one vector.
    static func transpose(_ source: UnsafePointer<Float>, rows start: Int, count: Int, width: Int, stride: Int,
                          into target: UnsafeMutablePointer<Float>) {
        let full = count & ~15
        var r = 0
        while r < full {
            let block = source + (start + r) * width
            var p0 = 0
            while p0 + 16 <= width {
                GEMM.transposed16(block + p0, lda: width, rows: 16) { q, column in
                    UnsafeMutableRawPointer(target + ((p0 + q) * stride + r)).storeBytes(of: column, as: SIMD16<Float>.self)
                }
                p0 += 16
            }
            for p in p0..<width {
                var column = SIMD16<Float>()
                for i in 0..<16 { column[i] = block[i &* width &+ p] }
                UnsafeMutableRawPointer(target + (p * stride + r)).storeBytes(of: column, as: SIMD16<Float>.self)
            }
            r &+= 16
        }
        for p in 0..<width {
            let row = target + p * stride
            for i in full..<count { row[i] = source[(start + i) * width + p] }
            (row + count).update(repeating: 0, count: stride - count)
        }
    }

    /// Runs `body` on the storage of Q, K and V and on n×d_v zeroed floats for the outputs,
    /// which it returns as a matrix: the public forms' way into their raw-memory kernels.
    static func withStorage(_ q: Matrix<Float>, _ k: Matrix<Float>, _ v: Matrix<Float>,
                            _ body: (UnsafePointer<Float>, UnsafePointer<Float>, UnsafePointer<Float>,
                                     UnsafeMutablePointer<Float>) -> Void) -> Matrix<Float> {
        var out = [Float](repeating: 0, count: q.rows * v.columns)
        q.storage.withUnsafeBufferPointer { q in
            k.storage.withUnsafeBufferPointer { k in
                v.storage.withUnsafeBufferPointer { v in
                    out.withUnsafeMutableBufferPointer { out in
                        body(q.baseAddress!, k.baseAddress!, v.baseAddress!, out.baseAddress!)
                    }
                }
            }
        }
        return Matrix(rows: q.rows, columns: v.columns, entries: out)
    }
}
