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
/// the thread count changes nothing; the two layouts may differ from each other by rounding
/// (the GEMM adds its blocks of k_c terms one after another). The panels also serve several
/// rows at once (`apply(…, streaming: true)`, a batch of decoding steps): each panel is read
/// from memory once and used by every row while it is in cache, and every row's sums are the
/// one-row chain, so a row's result does not depend on the rows beside it.
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
    /// row, or any number when `streaming` (the rows of a batch of decoding steps), takes the
    /// panel kernel (column panels split between threads); more rows otherwise take the threaded
    /// GEMM. The panel kernel allocates nothing.
    package func apply(_ x: UnsafePointer<Float>, rows: Int, into y: UnsafeMutablePointer<Float>, threads: Int,
                       streaming: Bool = false) {
        if rows == 1 || streaming {
            vector(x, rows: rows, into: y, threads: threads)
        } else {
            GEMM.multiply(unchecked: x, packed: packed, into: y, m: rows, threads: threads)
        }
    }

    /// Y = X Wᵀ panel by panel, every row against a panel while it is in cache.
    private func vector(_ x: UnsafePointer<Float>, rows: Int, into y: UnsafeMutablePointer<Float>, threads: Int) {
        let panelCount = (outputs + Self.panelWidth - 1) / Self.panelWidth
        panels.withUnsafeBufferPointer { panels in
            Bands.run(panelCount, threads: threads,
                      PanelProduct(x: x, rows: rows, panels: UnsafeRawPointer(panels.baseAddress!), y: y, inputs: inputs,
                                   outputs: outputs))
        }
    }
}

/// Y = X Wᵀ for the panels of a band, every row of X against each panel: a value, so that a
/// decoding step hands it to the threads without an allocation (`BandWork`).
///
/// Rows go four at a time (16 accumulators: four rows of a panel's 64 columns), then one at a
/// time; either way a row's column j is the chain a_j ← a_j + x_p W_jp for p = 0, 1, … from 0,
/// so a row's result is the same, bit for bit, alone or beside others.
private struct PanelProduct: BandWork {
    typealias V = SIMD16<Float>
    let x: UnsafePointer<Float>
    let rows: Int
    /// `PackedLinear.panels`.
    let panels: UnsafeRawPointer
    let y: UnsafeMutablePointer<Float>
    let inputs: Int, outputs: Int

    func callAsFunction(_ band: Range<Int>) {
        for panel in band {
            var r = 0
            while r &+ 4 <= rows {
                fourRows(panel, from: r)
                r &+= 4
            }
            while r < rows {
                oneRow(panel, r)
                r &+= 1
            }
        }
    }

    private func oneRow(_ panel: Int, _ r: Int) {
        let width = PackedLinear.panelWidth
        let x = self.x + r &* inputs
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
        store(panel, r, a0, a1, a2, a3)
    }

    private func fourRows(_ panel: Int, from r: Int) {
        let width = PackedLinear.panelWidth
        let (x0, x1) = (x + r &* inputs, x + (r &+ 1) &* inputs)
        let (x2, x3) = (x + (r &+ 2) &* inputs, x + (r &+ 3) &* inputs)
        var (a0, a1, a2, a3) = (V(), V(), V(), V())
        var (b0, b1, b2, b3) = (V(), V(), V(), V())
        var (c0, c1, c2, c3) = (V(), V(), V(), V())
        var (d0, d1, d2, d3) = (V(), V(), V(), V())
        var offset = panel &* inputs &* width &* 4
        for p in 0..<inputs {
            let w0 = panels.loadUnaligned(fromByteOffset: offset, as: V.self)
            let w1 = panels.loadUnaligned(fromByteOffset: offset &+ 64, as: V.self)
            let w2 = panels.loadUnaligned(fromByteOffset: offset &+ 128, as: V.self)
            let w3 = panels.loadUnaligned(fromByteOffset: offset &+ 192, as: V.self)
            let (p0, p1, p2, p3) = (V(repeating: x0[p]), V(repeating: x1[p]), V(repeating: x2[p]), V(repeating: x3[p]))
            a0 = a0.addingProduct(p0, w0); a1 = a1.addingProduct(p0, w1); a2 = a2.addingProduct(p0, w2); a3 = a3.addingProduct(p0, w3)
            b0 = b0.addingProduct(p1, w0); b1 = b1.addingProduct(p1, w1); b2 = b2.addingProduct(p1, w2); b3 = b3.addingProduct(p1, w3)
            c0 = c0.addingProduct(p2, w0); c1 = c1.addingProduct(p2, w1); c2 = c2.addingProduct(p2, w2); c3 = c3.addingProduct(p2, w3)
            d0 = d0.addingProduct(p3, w0); d1 = d1.addingProduct(p3, w1); d2 = d2.addingProduct(p3, w2); d3 = d3.addingProduct(p3, w3)
            offset &+= width &* 4
        }
        store(panel, r, a0, a1, a2, a3)
        store(panel, r &+ 1, b0, b1, b2, b3)
        store(panel, r &+ 2, c0, c1, c2, c3)
        store(panel, r &+ 3, d0, d1, d2, d3)
    }

    /// Row r's columns of the panel.
    @inline(__always)
    private func store(_ panel: Int, _ r: Int, _ a0: V, _ a1: V, _ a2: V, _ a3: V) {
        let width = PackedLinear.panelWidth
        let count = Swift.min(width, outputs - panel * width)
        let out = y + (r &* outputs &+ panel &* width)
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
