import Kernels

/// The optimiser's arithmetic on a model's flat Float tensors, SIMD and threaded on the kernels'
/// helper threads (`Bands`, the pool the gradients run on): the gradients' global sum of squares,
/// then global-norm clipping and AdamW's update in one pass — each gradient entry is read once,
/// multiplied by the clipping factor in a register and used at once, never written back — that
/// reads the old weights and moments and writes the new ones to new buffers.
///
/// The work is cut into fixed blocks of `blockEntries` entries of one tensor (a tensor's last
/// block may be shorter), in tensor order; whole blocks are shared between threads. Each block's
/// sum of squares is taken in Double by the same code whatever thread runs it, and the partial
/// sums are added in block order afterwards; every entry's update depends on that entry alone.
/// So the norm and the new weights and moments are bit-for-bit the same on any number of threads.
public enum ParameterUpdate {
    /// Entries per block: 16 KiB of Float per array, so one block's four arrays (gradient,
    /// weights, two moments) sit in L1 and L2 together, and the default model's ~0.8 M
    /// parameters make some 200 blocks to share between threads.
    public static let blockEntries = 4096

    /// Tensors per call, at most: a caller that opens one buffer per tensor, each inside the
    /// last (Swift's only way to hold several arrays' buffers at once), nests its calls this deep
    /// and no deeper, whatever the model — a model of more tensors is done in several calls, one
    /// threaded region each. Nothing depends on the grouping but which region runs a block.
    /// AdamW nests seven arrays per tensor (weights, gradient, two moments, and the three new
    /// arrays), so 16 tensors are about 110 closures deep: within a 512 KiB thread stack (a
    /// secondary thread's default on macOS) even in a debug build under ThreadSanitizer, whose
    /// frames are several times larger; 64 overflowed it there.
    public static let tensorsPerCall = 16

    /// AdamW's constants for one step, as Float (`Training.AdamW.update` derives them): the
    /// clipping factor each gradient is multiplied by first (1: no clipping), the decay factor
    /// 1 − η λ of the weights that decay, the step size η / (1 − β₁ᵗ), √(1 − β₂ᵗ), β₁, β₂ and ε.
    public struct AdamWConstants: Sendable, Equatable {
        public var gradientScale: Float
        public var shrink: Float
        public var stepSize: Float
        public var secondCorrection: Float
        public var beta1: Float
        public var beta2: Float
        public var eps: Float

        public init(gradientScale: Float, shrink: Float, stepSize: Float, secondCorrection: Float, beta1: Float, beta2: Float,
                    eps: Float)
        {
            (self.gradientScale, self.shrink, self.stepSize) = (gradientScale, shrink, stepSize)
            (self.secondCorrection, self.beta1, self.beta2, self.eps) = (secondCorrection, beta1, beta2, eps)
        }
    }

    /// The fixed blocks of tensors of these entry counts: (tensor, range of its entries), in
    /// tensor order, then entry order. An empty tensor has none.
    public static func blocks(counts: [Int]) -> [(tensor: Int, entries: Range<Int>)] {
        var blocks: [(tensor: Int, entries: Range<Int>)] = []
        for (tensor, count) in counts.enumerated() {
            for start in stride(from: 0, to: count, by: blockEntries) {
                blocks.append((tensor, start..<min(start + blockEntries, count)))
            }
        }
        return blocks
    }

    /// Σ g² over every entry of every tensor, in Double (each square exact: a Float's 24-bit
    /// significand squared fits Double's 53), block by block on up to `threads` threads, the
    /// blocks' sums added in block order.
    public static func sumOfSquares(_ gradients: [UnsafeBufferPointer<Float>], threads: Int) -> Double {
        let blocks = blocks(counts: gradients.map(\.count))
        var partial = [Double](repeating: 0, count: blocks.count)
        partial.withUnsafeMutableBufferPointer { partial in
            Bands.run(blocks.count, threads: threads) { band in
                for b in band {
                    let (tensor, entries) = blocks[b]
                    guard let base = gradients[tensor].baseAddress else { continue }
                    partial[b] = blockSumOfSquares(base + entries.lowerBound, count: entries.count)
                }
            }
        }
        var sum = 0.0
        for p in partial { sum += p }
        return sum
    }

    /// Σ x² over `count` Floats at `x`, in two SIMD8<Double> accumulators (even and odd groups
    /// of 8), then the tail; the lanes added in a fixed order.
    @inline(__always)
    static func blockSumOfSquares(_ x: UnsafePointer<Float>, count: Int) -> Double {
        typealias Wide = SIMD8<Double>
        var (even, odd) = (Wide(), Wide())
        let raw = UnsafeRawPointer(x)
        var i = 0
        while i &+ 16 <= count {
            let v = raw.loadUnaligned(fromByteOffset: i &* 4, as: SIMD16<Float>.self)
            let lo = Wide(v.lowHalf), hi = Wide(v.highHalf)
            even += lo * lo
            odd += hi * hi
            i &+= 16
        }
        var sum = (even + odd).sum()
        while i < count {
            let d = Double(x[i])
            sum += d * d
            i &+= 1
        }
        return sum
    }

    /// One AdamW step with clipped gradients, from `weights` and the two moments into `new`'s
    /// (separate buffers, every entry written): for each entry, with ĝ = gradientScale · g,
    ///
    ///     w ← w · shrink   (tensors that decay)      m ← β₁ m + (1 − β₁) ĝ      v ← β₂ v + (1 − β₂) ĝ²
    ///     w ← w − stepSize · m / (√v / secondCorrection + ε)
    ///
    /// in Float, the operations in this order (so a gradient scale of 1 gives the same bits as the
    /// unclipped step), 16 entries at a time, blocks shared between up to `threads` threads. All
    /// seven arrays must hold, tensor by tensor, the same number of entries (the caller checks).
    public static func adamW(weights: [UnsafeBufferPointer<Float>], gradients: [UnsafeBufferPointer<Float>],
                             firstMoments: [UnsafeBufferPointer<Float>], secondMoments: [UnsafeBufferPointer<Float>],
                             into new: (weights: [UnsafeMutableBufferPointer<Float>], firstMoments: [UnsafeMutableBufferPointer<Float>],
                                        secondMoments: [UnsafeMutableBufferPointer<Float>]),
                             decays: [Bool], constants: AdamWConstants, threads: Int)
    {
        let counts = weights.map(\.count)
        precondition([gradients.map(\.count), firstMoments.map(\.count), secondMoments.map(\.count), new.weights.map(\.count),
                      new.firstMoments.map(\.count), new.secondMoments.map(\.count)].allSatisfy { $0 == counts }
                     && decays.count == counts.count, "ParameterUpdate.adamW: tensors of different sizes")
        let blocks = blocks(counts: counts)
        Bands.run(blocks.count, threads: threads) { band in
            for b in band {
                let (t, entries) = blocks[b]
                let s = entries.lowerBound
                guard let w = weights[t].baseAddress, let g = gradients[t].baseAddress, let m = firstMoments[t].baseAddress,
                      let v = secondMoments[t].baseAddress, let w1 = new.weights[t].baseAddress,
                      let m1 = new.firstMoments[t].baseAddress, let v1 = new.secondMoments[t].baseAddress else { continue }
                blockAdamW(from: (w + s, g + s, m + s, v + s), into: (w1 + s, m1 + s, v1 + s), count: entries.count,
                           decays: decays[t], constants)
            }
        }
    }

    /// `adamW` on one block of `count` entries, 16 at a time, then the tail one at a time; each
    /// entry's operations in the order above, nothing reassociated or fused (Swift contracts no
    /// product and sum into an FMA), so every lane rounds as scalar code does. The square root
    /// is one vector instruction (`vsqrtps`) only because Package.swift builds this module with
    /// `-fno-math-errno`: otherwise `Float.squareRoot()` on Linux is a call to `sqrtf` (which may
    /// set `errno`) per lane. Either way it is the correctly rounded √.
    @inline(__always)
    static func blockAdamW(from old: (w: UnsafePointer<Float>, g: UnsafePointer<Float>, m: UnsafePointer<Float>, v: UnsafePointer<Float>),
                           into new: (w: UnsafeMutablePointer<Float>, m: UnsafeMutablePointer<Float>, v: UnsafeMutablePointer<Float>),
                           count: Int, decays: Bool, _ c: AdamWConstants)
    {
        typealias V16 = SIMD16<Float>
        let (scale, stepSize, correction) = (c.gradientScale, c.stepSize, c.secondCorrection)
        let shrink = decays ? c.shrink : 1  // w · 1 = w exactly: the same bits as no decay
        let (b1, b2, e) = (c.beta1, c.beta2, c.eps)
        let (a1, a2) = (1 - b1, 1 - b2)
        let (w0, g0, m0, v0) = (UnsafeRawPointer(old.w), UnsafeRawPointer(old.g), UnsafeRawPointer(old.m), UnsafeRawPointer(old.v))
        let (w1, m1, v1) = (UnsafeMutableRawPointer(new.w), UnsafeMutableRawPointer(new.m), UnsafeMutableRawPointer(new.v))
        var i = 0
        while i &+ 16 <= count {
            let offset = i &* 4
            let g = g0.loadUnaligned(fromByteOffset: offset, as: V16.self) * scale
            let m = b1 * m0.loadUnaligned(fromByteOffset: offset, as: V16.self) + a1 * g
            let v = b2 * v0.loadUnaligned(fromByteOffset: offset, as: V16.self) + a2 * g * g
            let w = w0.loadUnaligned(fromByteOffset: offset, as: V16.self) * shrink - stepSize * m / (v.squareRoot() / correction + e)
            m1.storeBytes(of: m, toByteOffset: offset, as: V16.self)
            v1.storeBytes(of: v, toByteOffset: offset, as: V16.self)
            w1.storeBytes(of: w, toByteOffset: offset, as: V16.self)
            i &+= 16
        }
        while i < count {
            let g = old.g[i] * scale
            let m = b1 * old.m[i] + a1 * g
            let v = b2 * old.v[i] + a2 * g * g
            (new.m[i], new.v[i]) = (m, v)
            new.w[i] = old.w[i] * shrink - stepSize * m / (v.squareRoot() / correction + e)
            i &+= 1
        }
    }
}
