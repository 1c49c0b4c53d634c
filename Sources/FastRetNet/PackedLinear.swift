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
package struct PackedLinear: Sendable {
    /// Columns per panel: four `SIMD16<Float>` accumulators.
    static let panelWidth = 64

    package let inputs: Int
    package let outputs: Int
    let packed: PackedMatrix
    let panels: [Float]

    /// W [out, in] as its two layouts.
    package init(_ weight: Matrix<Float>) {
        self.init(stacking: [weight])
    }

    /// The weights' rows one after another ([out₁ + out₂ + …, in]): one map computing
    /// several projections of the same input side by side (Q, K, V and G; fc1 and gate).
    /// All take the same input (the model's checks give every projection of a block the width E).
    package init(stacking weights: [Matrix<Float>]) {
        let inputs = weights.first?.columns ?? 0
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
        self.packed = PackedMatrix(unchecked: transposed, rows: inputs, columns: outputs)
        self.panels = panels
    }

    /// The bytes one decoding step reads: in·out floats.
    package var weightBytes: Int { inputs * outputs * MemoryLayout<Float>.size }

    /// Y = X Wᵀ for X with `rows` rows of `inputs` floats, into `y` (room for rows×outputs). One
    /// row takes the panel kernel (column panels split between threads), more take the threaded
    /// GEMM. Neither allocates for one row.
    package func apply(_ x: UnsafePointer<Float>, rows: Int, into y: UnsafeMutablePointer<Float>, threads: Int) {
        if rows == 1 {
            vector(x, into: y, threads: threads)
        } else {
            GEMM.multiply(unchecked: x, packed: packed, into: y, m: rows, threads: threads)
        }
    }

    /// y = x Wᵀ for one row x, panel by panel.
    private func vector(_ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, threads: Int) {
        let panelCount = (outputs + Self.panelWidth - 1) / Self.panelWidth
        panels.withUnsafeBufferPointer { panels in
            Bands.run(panelCount, threads: threads,
                      PanelProduct(x: x, panels: UnsafeRawPointer(panels.baseAddress!), y: y, inputs: inputs, outputs: outputs))
        }
    }
}

/// y = x Wᵀ for the panels of a band: a value, so that a decoding step hands it to the threads
/// without an allocation (`BandWork`).
private struct PanelProduct: BandWork {
    let x: UnsafePointer<Float>
    /// `PackedLinear.panels`.
    let panels: UnsafeRawPointer
    let y: UnsafeMutablePointer<Float>
    let inputs: Int, outputs: Int

    func callAsFunction(_ band: Range<Int>) {
        typealias V = SIMD16<Float>
        let width = PackedLinear.panelWidth
        for panel in band {
            var (a0, a1, a2, a3) = (V(), V(), V(), V())
            var offset = panel &* inputs &* width &* 4
            for p in 0..<inputs {
                let xp = V(repeating: x[p])
                a0 = a0.addingProduct(xp, panels.loadUnaligned(fromByteOffset: offset, as: V.self))
                a1 = a1.addingProduct(xp, panels.loadUnaligned(fromByteOffset: offset &+ 64, as: V.self))
                a2 = a2.addingProduct(xp, panels.loadUnaligned(fromByteOffset: offset &+ 128, as: V.self))
                a3 = a3.addingProduct(xp, panels.loadUnaligned(fromByteOffset: offset &+ 192, as: V.self))
                offset &+= width &* 4
            }
            let count = Swift.min(width, outputs - panel * width)
            let out = y + panel * width
            if count == width {
                let bytes = UnsafeMutableRawPointer(out)
                bytes.storeBytes(of: a0, toByteOffset: 0, as: V.self)
                bytes.storeBytes(of: a1, toByteOffset: 64, as: V.self)
                bytes.storeBytes(of: a2, toByteOffset: 128, as: V.self)
                bytes.storeBytes(of: a3, toByteOffset: 192, as: V.self)
            } else {
                // The last panel's columns lane by lane: y has no room for its zero padding.
                for c in 0..<count {
                    out[c] = c < 16 ? a0[c] : c < 32 ? a1[c &- 16] : c < 48 ? a2[c &- 32] : a3[c &- 48]
                }
            }
        }
    }
}
