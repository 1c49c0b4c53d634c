import Matrices
import TestSupport
import Testing

@_spi(Chapters) import Retention

/// Eq. 7 on a fixed grid (the chapter's claim: B = 1, divisors of n, non-divisors, B > n), and
/// the deliberately wrong ζ that the chapter uses to show its check has teeth.
@Suite("Chunkwise form")
struct ChunkwiseTests {
    @Test("agrees with the parallel form for B = 1, divisors, non-divisors and B > n (Double, 1e-12)",
          arguments: [1.0, 0.96875, 0.7])
    func chunkSizeGrid(gamma: Double) throws {
        let n = 48  // divisors 1, 2, 3, 4, 6, 8, 12, 16, 24, 48
        let p = Problem<Double>(length: n, keyDimension: 6, valueDimension: 5, seed: 31)
        let decay = Decay.valid(gamma)
        let parallel = try ParallelRetention.outputs(q: p.q, k: p.k, v: p.v, decay: decay)
        let recurrent = try RecurrentRetention.outputs(q: p.q, k: p.k, v: p.v, decay: decay)
        for b in [1, 2, 3, 4, 6, 8, 12, 16, 24, 48, 5, 7, 10, 13, 25, 47, 49, 96] {
            let chunkwise = try ChunkwiseRetention.outputs(q: p.q, k: p.k, v: p.v, decay: decay, chunkSize: b)
            expectClose(chunkwise.outputs, parallel, relative: 1e-12, "[γ=\(gamma) B=\(b)] chunkwise vs parallel")
            // R of the last chunk is the recurrent S after the last row.
            expectClose(chunkwise.state.s, recurrent.state.s, relative: 1e-12,
                        "[γ=\(gamma) B=\(b)] final chunk state R vs recurrent S")
        }
    }

    /// With ζ_j = γ^{b−j} instead of γ^{b−j−1}, R_i is γ times too small, so every chunk after
    /// the first sees a past that decayed one step too far: an O(1 − γ) relative error, far
    /// above rounding.
    @Test("zetaOffset = 1 makes chunkwise disagree with parallel when there are ≥ 2 chunks and γ < 1")
    func wrongZetaIsCaught() throws {
        let p = Problem<Double>(length: 40, keyDimension: 4, valueDimension: 3, seed: 32)
        for gamma in [0.5, 0.9, 0.99] {
            let decay = Decay.valid(gamma)
            let parallel = try ParallelRetention.outputs(q: p.q, k: p.k, v: p.v, decay: decay)
            for b in [1, 7, 20, 39] {
                let wrong = try ChunkwiseRetention.outputs(q: p.q, k: p.k, v: p.v, decay: decay, chunkSize: b,
                                                           zetaOffset: 1)
                let error = relativeError(wrong.outputs, parallel)
                // The first chunk is still right (it does not use R): the error starts at row B.
                let firstChunk = relativeError(wrong.outputs.rowRange(0..<b), parallel.rowRange(0..<b))
                let floor = (1 - gamma) / 100
                #expect(error > floor,
                        "[γ=\(gamma) B=\(b)] wrong ζ gave relative error \(error), expected > \(floor): the check would miss it")
                #expect(firstChunk <= 1e-12,
                        "[γ=\(gamma) B=\(b)] wrong ζ changed the first chunk (error \(firstChunk)), which never reads R")
            }
        }
    }

    @Test("zetaOffset is invisible with one chunk (B ≥ n) or γ = 1, as the algebra says")
    func wrongZetaInvisibleCases() throws {
        let p = Problem<Double>(length: 30, keyDimension: 3, valueDimension: 3, seed: 33)
        for (gamma, b) in [(0.9, 30), (0.9, 64), (1.0, 1), (1.0, 7)] {
            let decay = Decay.valid(gamma)
            let parallel = try ParallelRetention.outputs(q: p.q, k: p.k, v: p.v, decay: decay)
            let wrong = try ChunkwiseRetention.outputs(q: p.q, k: p.k, v: p.v, decay: decay, chunkSize: b,
                                                       zetaOffset: 1)
            expectClose(wrong.outputs, parallel, relative: 1e-12, "[γ=\(gamma) B=\(b)] zetaOffset 1 with nothing to break")
        }
    }

    @Test("a negative zetaOffset is also caught and stays finite")
    func negativeZetaOffset() throws {
        let p = Problem<Double>(length: 25, keyDimension: 2, valueDimension: 2, seed: 34)
        let decay = Decay.valid(0.8)
        let parallel = try ParallelRetention.outputs(q: p.q, k: p.k, v: p.v, decay: decay)
        let wrong = try ChunkwiseRetention.outputs(q: p.q, k: p.k, v: p.v, decay: decay, chunkSize: 5, zetaOffset: -2)
        #expect(wrong.outputs.isFinite, "zetaOffset −2 produced NaN or ∞")
        #expect(relativeError(wrong.outputs, parallel) > 0.01,
                "zetaOffset −2 error \(relativeError(wrong.outputs, parallel)) should be O(1)")
    }
}
