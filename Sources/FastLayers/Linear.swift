import Kernels

/// A bias-free linear map Y = X Wᵀ (W stored [out, in], as checkpoints store it) over all rows
/// of a batch at once, and its two backward products, each one threaded GEMM:
///
///     forward          Y = X Wᵀ          rows×out    (W read transposed)
///     input gradient   dX = dY W         rows×in     (W read as stored)
///     weight gradient  dW = dYᵀ X        out×in      (dY read transposed; the sum runs over all rows)
///
/// The GEMM packs each operand in the orientation it is read in (`GEMM.Operand`), so no
/// transpose is written out. Each entry is one thread's, whatever the thread count.
package enum Linear {
    /// Y = X Wᵀ, or Y += X Wᵀ when `accumulate` (a residual already in Y).
    package static func forward(_ x: UnsafePointer<Float>, weight w: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>,
                        rows: Int, inputs: Int, outputs: Int, accumulate: Bool = false, threads: Int) {
        GEMM.multiply(unchecked: .plain(x, stride: inputs), .transposed(w, stride: inputs), into: y, ldc: outputs,
                      m: rows, n: outputs, k: inputs, accumulate: accumulate, threads: threads)
    }

    /// dX = dY W.
    package static func inputGradient(_ dY: UnsafePointer<Float>, weight w: UnsafePointer<Float>,
                              into dX: UnsafeMutablePointer<Float>, rows: Int, inputs: Int, outputs: Int, threads: Int) {
        GEMM.multiply(unchecked: .plain(dY, stride: outputs), .plain(w, stride: inputs), into: dX, ldc: inputs,
                      m: rows, n: inputs, k: outputs, accumulate: false, threads: threads)
    }

    /// dW = dYᵀ X.
    package static func weightGradient(_ dY: UnsafePointer<Float>, input x: UnsafePointer<Float>,
                               into dW: UnsafeMutablePointer<Float>, rows: Int, inputs: Int, outputs: Int, threads: Int) {
        GEMM.multiply(unchecked: .transposed(dY, stride: outputs), .plain(x, stride: inputs), into: dW, ldc: inputs,
                      m: outputs, n: inputs, k: rows, accumulate: false, threads: threads)
    }
}
