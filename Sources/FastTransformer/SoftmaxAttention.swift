import Kernels

/// Queries against the cached keys and values of one head (a `FastKVCache`'s layout: keys in
/// strips of 16 tokens, values row after row), in Float:
///
///     s_m = (q · k_m) / √d_k,   w = softmax(s),   o = Σ_m w_m v_m
///
/// as the reference computes it (`CausalSelfAttention.step`): the maximum subtracted before the
/// exponentials, the weights normalised before they multiply V. Scores come 16 keys at a time,
/// one `SIMD16` chain of fused multiply–adds over d_k per strip; the exponentials are
/// `VectorMath.exp`, 16 at a time (within 2 ulp of the reference's libm `exp`), the entries past
/// the last key set to −∞, whose exp is 0.
enum SoftmaxAttention {
    typealias Vector = SIMD16<Float>

    /// o (d_v floats) for the query q (d_k floats) against the first `count` cached keys and
    /// values; `scores` has room for `count` rounded up to 16 floats. Allocates nothing.
    static func attend(q: UnsafePointer<Float>, keys: UnsafePointer<Float>, values: UnsafePointer<Float>, count n: Int,
                       keyDimension dk: Int, valueDimension dv: Int, scale: Float, scores: UnsafeMutablePointer<Float>,
                       into o: UnsafeMutablePointer<Float>) {
        let strips = (n + 15) / 16
        dots(q, keys: keys, strips: strips, keyDimension: dk, into: scores)
        normalise(scores, count: n, width: strips * 16, scale: scale)
        weightedValues(scores, values: values, count: n, valueDimension: dv, into: o)
    }

    /// The rows of a prompt at positions first, first + 1, …: row r's query (at q + r·ldq)
    /// against the first + r + 1 cached keys and values (the keys of the rows themselves are
    /// in the cache already) — or only the last `window` of them — its output into o + r·ldo.
    /// `scores` has room for rows × (first + rows rounded up to 16) floats. Scores are 6 queries
    /// × 16 keys at a time, each strip of keys read once for six queries; then the weights
    /// multiply V as one GEMM (the weights outside the window are 0).
    static func attend(rows: Int, q: UnsafePointer<Float>, ldq: Int, first: Int, keys: UnsafePointer<Float>,
                       values: UnsafePointer<Float>, keyDimension dk: Int, valueDimension dv: Int, scale: Float,
                       scores: UnsafeMutablePointer<Float>, into o: UnsafeMutablePointer<Float>, ldo: Int,
                       window: Int = .max) {
        let width = (first + rows + 15) / 16 * 16
        var r = 0
        while r < rows {
            let tile = Swift.min(6, rows - r)
            // Keys up to the last query of these six: later strips are masked out anyway.
            dots(tile, q + r * ldq, ldq: ldq, keys: keys, strips: (first + r + tile + 15) / 16, keyDimension: dk,
                 into: scores + r * width, ldScores: width)
            r += tile
        }
        for r in 0..<rows {
            let count = first + r + 1
            normalise(scores + r * width, from: Swift.max(0, count - window), count: count, width: width, scale: scale)
        }
        GEMM.blockedKernel(scores, lda: width, values, ldb: dv, o, ldc: ldo, m: rows, n: dv, k: first + rows,
                           accumulate: false)
    }

    /// The dot products of q with the keys of `strips` strips, 16 per strip, into scores: four
    /// strips at a time (four independent chains), then one.
    static func dots(_ q: UnsafePointer<Float>, keys: UnsafePointer<Float>, strips: Int, keyDimension dk: Int,
                     into scores: UnsafeMutablePointer<Float>) {
        let k = UnsafeRawPointer(keys), out = UnsafeMutableRawPointer(scores)
        let stripBytes = dk &* 64
        var s = 0
        while s &+ 4 <= strips {
            var (a0, a1, a2, a3) = (Vector(), Vector(), Vector(), Vector())
            var offset = s &* stripBytes
            for p in 0..<dk {
                let qp = Vector(repeating: q[p])
                a0 = a0.addingProduct(qp, k.loadUnaligned(fromByteOffset: offset, as: Vector.self))
                a1 = a1.addingProduct(qp, k.loadUnaligned(fromByteOffset: offset &+ stripBytes, as: Vector.self))
                a2 = a2.addingProduct(qp, k.loadUnaligned(fromByteOffset: offset &+ 2 &* stripBytes, as: Vector.self))
                a3 = a3.addingProduct(qp, k.loadUnaligned(fromByteOffset: offset &+ 3 &* stripBytes, as: Vector.self))
                offset &+= 64
            }
            out.storeBytes(of: a0, toByteOffset: s &* 64, as: Vector.self)
            out.storeBytes(of: a1, toByteOffset: (s &+ 1) &* 64, as: Vector.self)
            out.storeBytes(of: a2, toByteOffset: (s &+ 2) &* 64, as: Vector.self)
            out.storeBytes(of: a3, toByteOffset: (s &+ 3) &* 64, as: Vector.self)
            s &+= 4
        }
        while s < strips {
            var a = Vector()
            var offset = s &* stripBytes
            for p in 0..<dk {
                a = a.addingProduct(Vector(repeating: q[p]), k.loadUnaligned(fromByteOffset: offset, as: Vector.self))
                offset &+= 64
            }
            out.storeBytes(of: a, toByteOffset: s &* 64, as: Vector.self)
            s &+= 1
        }
    }

    /// The dot products of up to six queries (row r at q + r·ldq) with the keys of `strips`
    /// strips: six accumulators per strip, one load of the strip per step of d_k.
    static func dots(_ rows: Int, _ q: UnsafePointer<Float>, ldq: Int, keys: UnsafePointer<Float>, strips: Int,
                     keyDimension dk: Int, into scores: UnsafeMutablePointer<Float>, ldScores: Int) {
        // Rows past the last point at row 0: computed and not stored.
        let q0 = q, q1 = rows > 1 ? q + ldq : q, q2 = rows > 2 ? q + 2 &* ldq : q
        let q3 = rows > 3 ? q + 3 &* ldq : q, q4 = rows > 4 ? q + 4 &* ldq : q, q5 = rows > 5 ? q + 5 &* ldq : q
        let k = UnsafeRawPointer(keys), out = UnsafeMutableRawPointer(scores)
        for s in 0..<strips {
            var (c0, c1, c2, c3, c4, c5) = (Vector(), Vector(), Vector(), Vector(), Vector(), Vector())
            var offset = s &* dk &* 64
            for p in 0..<dk {
                let w = k.loadUnaligned(fromByteOffset: offset, as: Vector.self)
                c0 = c0.addingProduct(Vector(repeating: q0[p]), w)
                c1 = c1.addingProduct(Vector(repeating: q1[p]), w)
                c2 = c2.addingProduct(Vector(repeating: q2[p]), w)
                c3 = c3.addingProduct(Vector(repeating: q3[p]), w)
                c4 = c4.addingProduct(Vector(repeating: q4[p]), w)
                c5 = c5.addingProduct(Vector(repeating: q5[p]), w)
                offset &+= 64
            }
            let column = s &* 64, rowBytes = ldScores &* 4
            out.storeBytes(of: c0, toByteOffset: column, as: Vector.self)
            if rows > 1 { out.storeBytes(of: c1, toByteOffset: rowBytes &+ column, as: Vector.self) }
            if rows > 2 { out.storeBytes(of: c2, toByteOffset: 2 &* rowBytes &+ column, as: Vector.self) }
            if rows > 3 { out.storeBytes(of: c3, toByteOffset: 3 &* rowBytes &+ column, as: Vector.self) }
            if rows > 4 { out.storeBytes(of: c4, toByteOffset: 4 &* rowBytes &+ column, as: Vector.self) }
            if rows > 5 { out.storeBytes(of: c5, toByteOffset: 5 &* rowBytes &+ column, as: Vector.self) }
        }
    }

    /// Dot products into softmax weights, in place: s_m = scale · dot_m for start ≤ m < count,
    /// the entries before `start` and from count to `width` (a multiple of 16) set to −∞, then
    /// w_m = e^{s_m − max s} / Σ e^{s − max s} (0 outside start ..< count).
    static func normalise(_ scores: UnsafeMutablePointer<Float>, from start: Int = 0, count n: Int, width: Int, scale: Float) {
        var peak = -Float.infinity
        for m in 0..<start { scores[m] = -.infinity }
        for m in start..<n {
            let s = scale * scores[m]
            scores[m] = s
            peak = Swift.max(peak, s)
        }
        for m in n..<width { scores[m] = -.infinity }
        let raw = UnsafeMutableRawPointer(scores)
        var sums = Vector()
        for block in stride(from: 0, to: width, by: 16) {
            let e = VectorMath.exp(raw.loadUnaligned(fromByteOffset: block &* 4, as: Vector.self) - Vector(repeating: peak))
            raw.storeBytes(of: e, toByteOffset: block &* 4, as: Vector.self)
            sums += e
        }
        let total = Vector(repeating: sums.sum())
        for block in stride(from: 0, to: width, by: 16) {
            raw.storeBytes(of: raw.loadUnaligned(fromByteOffset: block &* 4, as: Vector.self) / total,
                           toByteOffset: block &* 4, as: Vector.self)
        }
    }

    /// o = Σ_{m < count} w_m v_m (d_v floats), in one pass over the values: for each m, its row
    /// of d_v floats is read once, front to back, and added into o (which stays in L1) 16 columns
    /// at a time. (Keeping o in registers instead would take d_v/16 of them, and for d_v > 64
    /// several passes over rows too large for the cache, each reading all of V from memory.)
    static func weightedValues(_ weights: UnsafePointer<Float>, values: UnsafePointer<Float>, count n: Int,
                               valueDimension dv: Int, into o: UnsafeMutablePointer<Float>) {
        o.update(repeating: 0, count: dv)
        let out = UnsafeMutableRawPointer(o)
        let vectorEnd = dv - dv % 16
        for m in 0..<n {
            let w = weights[m], row = values + m &* dv
            let source = UnsafeRawPointer(row), weight = Vector(repeating: w)
            var j = 0
            while j < vectorEnd {
                let sum = out.loadUnaligned(fromByteOffset: j &* 4, as: Vector.self)
                    .addingProduct(weight, source.loadUnaligned(fromByteOffset: j &* 4, as: Vector.self))
                out.storeBytes(of: sum, toByteOffset: j &* 4, as: Vector.self)
                j &+= 16
            }
            while j < dv {
                o[j] = o[j].addingProduct(w, row[j])
                j &+= 1
            }
        }
    }
}
