import Kernels
import Matrices

/// A bias-free linear map y = x Wᵀ for a weight W stored [out, in], as checkpoints store it,
/// kept in the two layouts its two uses read fastest:
///
/// - `packed`: Wᵀ (in×out) packed once for the blocked GEMM (`PackedMatrix`), the B of Y = X Wᵀ
///   for many rows (prefill): one packed, register-blocked product with no packing of B per call.
/// - `panels`: Wᵀ cut into panels of 64 output columns, each panel stored as its `in` rows of 64
///   floats one after another (the last panel zero-padded), for one row (decoding): y = x Wᵀ
///   streams every weight exactly once, front to back, with four `SIMD16` accumulators per panel.
///
/// Both compute y_j = Σ_p x_p W_jp with terms in increasing p, each column by one thread, so
/// the thread count changes nothing; the two layouts may differ from each other by rounding.
struct PackedLinear: Sendable {
    /// Columns per panel: four `SIMD16<Float>` accumulators.
    static let panelWidth = 64

    let inputs: Int
    let outputs: Int
    let packed: PackedMatrix
    let panels: [Float]

    /// W [out, in] as its two layouts.
    init(_ weight: Matrix<Float>) {
        self.init(stacking: [weight])
    }

    /// The weights' rows one after another ([out₁ + out₂ + …, in]): one map computing
    /// several projections of the same input side by side (Q, K, V and G; fc1 and gate).
    init(stacking weights: [Matrix<Float>]) {
        let inputs = weights[0].columns
        precondition(weights.allSatisfy { $0.columns == inputs }, "stacked weights need one input width")
        let outputs = weights.reduce(0) { $0 + $1.rows }
        var transposed = [Float](repeating: 0, count: inputs * outputs)
        var column = 0
        for weight in weights {
            for o in 0..<weight.rows {
                for p in 0..<inputs { transposed[p * outputs + column + o] = weight.storage[o * inputs + p] }
            }
            column += weight.rows
        }
        let width = Self.panelWidth
        let panelCount = (outputs + width - 1) / width
        var panels = [Float](repeating: 0, count: panelCount * inputs * width)
        for panel in 0..<panelCount {
            for p in 0..<inputs {
                for c in 0..<Swift.min(width, outputs - panel * width) {
                    panels[(panel * inputs + p) * width + c] = transposed[p * outputs + panel * width + c]
                }
            }
        }
        self.inputs = inputs
        self.outputs = outputs
        // Sizes are positive and the buffer has in·out floats: packing cannot fail.
        self.packed = try! PackedMatrix(transposed, rows: inputs, columns: outputs)
        self.panels = panels
    }

    /// The bytes one decoding step reads: in·out floats.
    var weightBytes: Int { inputs * outputs * MemoryLayout<Float>.size }

    /// Y = X Wᵀ for X with `rows` rows of `inputs` floats, into `y` (rows×outputs). One row takes
    /// the panel kernel (column panels split between threads), more take the threaded GEMM.
    func apply(_ x: [Float], rows: Int, into y: inout [Float], threads: Int) {
        precondition(x.count == rows * inputs, "PackedLinear: \(x.count) inputs for \(rows)×\(inputs)")
        if rows == 1 {
            if y.count != outputs { y = [Float](repeating: 0, count: outputs) }
            vector(x, into: &y, threads: threads)
        } else {
            // Sizes and counts are checked above; the GEMM cannot fail.
            try! GEMM.multiply(x, packed: packed, into: &y, m: rows, threads: threads)
        }
    }

    /// y = x Wᵀ for one row x, panel by panel.
    private func vector(_ x: [Float], into y: inout [Float], threads: Int) {
        typealias V = SIMD16<Float>
        let width = Self.panelWidth, inputs = self.inputs, outputs = self.outputs
        let panelCount = (outputs + width - 1) / width
        x.withUnsafeBufferPointer { x in
            panels.withUnsafeBufferPointer { panels in
                y.withUnsafeMutableBufferPointer { y in
                    let (px, pw, py) = (x.baseAddress!, UnsafeRawPointer(panels.baseAddress!), y.baseAddress!)
                    Bands.run(panelCount, threads: threads) { band in
                        var tile = [Float](repeating: 0, count: width)
                        for panel in band {
                            var (a0, a1, a2, a3) = (V(), V(), V(), V())
                            var offset = panel &* inputs &* width &* 4
                            for p in 0..<inputs {
                                let xp = V(repeating: px[p])
                                a0 = a0.addingProduct(xp, pw.loadUnaligned(fromByteOffset: offset, as: V.self))
                                a1 = a1.addingProduct(xp, pw.loadUnaligned(fromByteOffset: offset &+ 64, as: V.self))
                                a2 = a2.addingProduct(xp, pw.loadUnaligned(fromByteOffset: offset &+ 128, as: V.self))
                                a3 = a3.addingProduct(xp, pw.loadUnaligned(fromByteOffset: offset &+ 192, as: V.self))
                                offset &+= width &* 4
                            }
                            let count = Swift.min(width, outputs - panel * width)
                            if count == width {
                                let out = UnsafeMutableRawPointer(py + panel * width)
                                out.storeBytes(of: a0, toByteOffset: 0, as: V.self)
                                out.storeBytes(of: a1, toByteOffset: 64, as: V.self)
                                out.storeBytes(of: a2, toByteOffset: 128, as: V.self)
                                out.storeBytes(of: a3, toByteOffset: 192, as: V.self)
                            } else {
                                for i in 0..<16 {
                                    (tile[i], tile[16 + i], tile[32 + i], tile[48 + i]) = (a0[i], a1[i], a2[i], a3[i])
                                }
                                for c in 0..<count { py[panel * width + c] = tile[c] }
                            }
                        }
                    }
                }
            }
        }
    }
}
