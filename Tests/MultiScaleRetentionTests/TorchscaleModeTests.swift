import Matrices
import TestSupport
import MultiScaleRetention
import Retention
import Testing

/// torchscale 0.3.0's three retention modes written out literally for one head (its
/// `parallel_forward`, `recurrent_forward` and `chunk_recurrent_forward` with `RetNetRelPos`'s
/// masks), to check that each is exact retention times `RowScaling`'s factors. Scores are of
/// order 1 (Q, V ~ N(0, 1), K ~ N(0, 1/d_k)), so R̃ and the chunk scales are really > 1 somewhere.
@Suite("RowScaling = torchscale's modes")
struct TorchscaleModeTests {
    struct Head {
        let q: Matrix<Double>, k: Matrix<Double>, v: Matrix<Double>, gamma: Double
        var n: Int { q.rows }
        var decay: Decay<Double> { try! Decay(gamma) }
        init(n: Int, dk: Int = 4, dv: Int = 3, gamma: Double, seed: UInt64, scale: Double = 1) {
            var rng = SplitMix64(seed: seed)
            q = .gaussian(rows: n, columns: dk, scale: scale, using: &rng)
            k = .gaussian(rows: n, columns: dk, scale: scale / Double(dk).squareRoot(), using: &rng)
            v = .gaussian(rows: n, columns: dv, using: &rng)
            self.gamma = gamma
        }
        func power(_ p: Int) -> Double { Double.pow(gamma, Double(p)) }
        func dot(_ a: Matrix<Double>, _ i: Int, _ b: Matrix<Double>, _ j: Int) -> Double {
            (0..<a.columns).reduce(0) { $0 + a[i, $1] * b[j, $1] }
        }
    }

    /// parallel_forward: mask = D/√(row sum); qk = (q kᵀ) ⊙ mask; qk /= max(|Σ qk|, 1); qk v.
    static func parallel(_ h: Head) -> Matrix<Double> {
        Matrix(rows: h.n, columns: h.v.columns) { n, c in
            let rowSum = (0...n).reduce(0) { $0 + h.power(n - $1) }
            let qk = (0...n).map { m in h.dot(h.q, n, h.k, m) * h.power(n - m) / rowSum.squareRoot() }
            let scale = max(abs(qk.reduce(0, +)), 1)
            return (0...n).reduce(0) { $0 + qk[$1] / scale * h.v[$1, c] }
        }
    }

    /// recurrent_forward, token by token: scale = γ·scale + 1; kv = kv·(√prev·γ/√scale) + k vᵀ/√scale.
    static func recurrent(_ h: Head) -> Matrix<Double> {
        var kv = Matrix<Double>(rows: h.k.columns, columns: h.v.columns), scale = 0.0
        var out = Matrix<Double>(rows: h.n, columns: h.v.columns)
        for n in 0..<h.n {
            let previous = scale
            scale = n == 0 ? 1 : previous * h.gamma + 1
            let carry = n == 0 ? 0 : previous.squareRoot() * h.gamma / scale.squareRoot()
            kv = Matrix(rows: kv.rows, columns: kv.columns) { i, j in kv[i, j] * carry + h.k[n, i] * h.v[n, j] / scale.squareRoot() }
            for j in 0..<kv.columns { out[n, j] = (0..<kv.rows).reduce(0) { $0 + h.q[n, $1] * kv[$1, j] } }
        }
        return out
    }

    /// chunk_recurrent_forward with zero padding to a multiple of B, as RetNetDecoder pads.
    static func chunkwise(_ h: Head, chunkSize b: Int) -> Matrix<Double> {
        let chunks = (h.n + b - 1) / b, padded = chunks * b
        let q = Matrix<Double>(rows: padded, columns: h.q.columns) { n, c in n < h.n ? h.q[n, c] : 0 }
        let k = Matrix<Double>(rows: padded, columns: h.k.columns) { n, c in n < h.n ? h.k[n, c] : 0 }
        let v = Matrix<Double>(rows: padded, columns: h.v.columns) { n, c in n < h.n ? h.v[n, c] : 0 }
        let mask = Matrix<Double>(rows: b, columns: b) { j, m in j >= m ? h.power(j - m) : 0 }
        let rowScale = (0..<b).map { j in (0..<b).reduce(0) { $0 + mask[j, $1] }.squareRoot() }
        let lastSum = (0..<b).reduce(0) { $0 + mask[b - 1, $1] }
        let valueInnerDecay = (0..<b).map { mask[b - 1, $0] / lastSum }
        let crossDecay = h.power(b)
        let queryInnerDecay = (0..<b).map { j in h.power(j + 1) / (rowScale[j] / lastSum) }
        let dk = k.columns, dv = v.columns
        var kvState = Matrix<Double>(rows: dk, columns: dv), kvScale = 1.0
        var out = Matrix<Double>(rows: padded, columns: dv)
        for i in 0..<chunks {
            let base = i * b
            let recurrent = (1 / kvScale) * kvState, crossScale = kvScale
            for j in 0..<b {
                let qk = (0..<b).map { m in h.dot(q, base + j, k, base + m) * mask[j, m] / rowScale[j] }
                let innerScale = max(qk.reduce(0) { $0 + abs($1) }, 1)
                let all = max(innerScale, crossScale)
                for c in 0..<dv {
                    let inner = (0..<b).reduce(0) { $0 + qk[$1] / innerScale * v[base + $1, c] }
                    let cross = (0..<dk).reduce(0) { $0 + q[base + j, $1] * queryInnerDecay[j] * recurrent[$1, c] }
                    out[base + j, c] = inner / (all / innerScale) + cross / (all / crossScale)
                }
            }
            let kv = Matrix<Double>(rows: dk, columns: dv) { r, c in
                (0..<b).reduce(0) { $0 + k[base + $1, r] * v[base + $1, c] * valueInnerDecay[$1] }
            }
            kvState = crossDecay * kvState + kv
            kvScale = max((0..<dv).map { c in (0..<dk).reduce(0) { $0 + abs(kvState[$1, c]) } }.max()!, 1)
        }
        return out.rowRange(0..<h.n)
    }

    static func exactTimes(_ scaling: RowScaling, _ h: Head) throws -> Matrix<Double> {
        let exact = try ParallelRetention.outputs(q: h.q, k: h.k, v: h.v, decay: h.decay)
        return exact.scalingRows(by: try scaling.factors(q: h.q, k: h.k, v: h.v, decay: h.decay))
    }

    @Test("parallel mode = exact × .paper factors; recurrent mode = exact × .decay factors")
    func parallelAndRecurrent() throws {
        var largest = 0.0
        for (seed, gamma) in [(1, 0.9), (2, 0.96875), (3, 1.0)] as [(UInt64, Double)] {
            let h = Head(n: 23, gamma: gamma, seed: seed, scale: 2)
            expectClose(try Self.exactTimes(.paper, h), Self.parallel(h), relative: 1e-12, "parallel mode, γ = \(gamma)")
            expectClose(try Self.exactTimes(.decay, h), Self.recurrent(h), relative: 1e-12, "recurrent mode, γ = \(gamma)")
            largest = max(largest, relativeError(Self.parallel(h), Self.recurrent(h)))
        }
        #expect(largest > 1e-2, "with scores of order 1 R̃ should act and the two modes differ; they differ by \(largest)")
    }

    @Test("chunkwise mode = exact × .torchscaleChunkwise factors, for divisors, non-divisors and B > n")
    func chunkwise() throws {
        var largest = 0.0
        for (seed, gamma) in [(4, 0.9), (5, 0.96875)] as [(UInt64, Double)] {
            let h = Head(n: 23, gamma: gamma, seed: seed, scale: 2)
            for b in [1, 4, 5, 23, 30] {
                let mode = Self.chunkwise(h, chunkSize: b)
                expectClose(try Self.exactTimes(.torchscaleChunkwise(chunkSize: b), h), mode, relative: 1e-12,
                            "chunkwise mode, γ = \(gamma), B = \(b)")
                largest = max(largest, relativeError(mode, Self.parallel(h)))
            }
        }
        #expect(largest > 1e-2, "the chunkwise and parallel modes' factors should differ; they differ by \(largest)")
        #expect(throws: RetentionError.chunkSize(0)) {
            let h = Head(n: 3, gamma: 0.9, seed: 1)
            _ = try RowScaling.torchscaleChunkwise(chunkSize: 0).factors(q: h.q, k: h.k, v: h.v, decay: h.decay)
        }
    }

    /// A chunk longer than the sequence is one chunk of the sequence: the factors for B = 2⁶³ − 1
    /// are those for B = n, bit for bit, and take the time of n tokens, not of B (once a loop over
    /// B: 10⁸ took over a minute on 3 tokens).
    @Test(arguments: [3, 23])
    func aChunkLongerThanTheSequenceCostsTheSequence(n: Int) throws {
        let h = Head(n: n, gamma: 0.96875, seed: 9, scale: 2)
        let whole = try RowScaling.torchscaleChunkwise(chunkSize: n).factors(q: h.q, k: h.k, v: h.v, decay: h.decay)
        for b in [n + 1, 100_000_000, Int.max] {
            let factors = try RowScaling.torchscaleChunkwise(chunkSize: b).factors(q: h.q, k: h.k, v: h.v, decay: h.decay)
            #expect(factors.map(\.bitPattern) == whole.map(\.bitPattern), "B = \(b), n = \(n)")
        }
    }
}
