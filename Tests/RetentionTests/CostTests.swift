import Matrices
import Testing

import Retention

/// The counted costs behind chapter 05's table: exact values for small sizes worked by hand from
/// the code, and the shapes the paper claims (parallel O(n²), recurrent O(n), chunkwise O(n B)).
@Suite("Cost model")
struct CostTests {
    @Test("hand-counted values for small sizes")
    func handCounted() throws {
        // Parallel, n = 4, d_k = 2, d_v = 3: Q Kᵀ 16·2, ⊙ D 16, lower triangle · V 10·3;
        // memory Kᵀ 8 + powers 4 + three 4×4 matrices 48.
        #expect(try RetentionCost.parallel(length: 4, keyDimension: 2, valueDimension: 3)
                == RetentionCost(multiplyAdds: 78, peakScalars: 60))
        // Recurrent: 3 per entry of the 2×3 state per token; S and its working copy.
        #expect(try RetentionCost.recurrent(length: 4, keyDimension: 2, valueDimension: 3)
                == RetentionCost(multiplyAdds: 72, peakScalars: 12))
        // Chunkwise, n = 5, B = 2: chunks of 2, 2, 1. A chunk of b = 2 costs
        // 8 + 4 + 9 + 12 + (6 + 6) + (6 + 12) + (6 + 6) = 75, of b = 1: 2 + 1 + 3 + 6 + 6 + 3 + 6 + 12 = 39;
        // memory 3·4 + (4·2 + 1) + 3·2·2 + 6·2·3 + 4·6 = 93.
        #expect(try RetentionCost.chunkwise(length: 5, keyDimension: 2, valueDimension: 3, chunkSize: 2)
                == RetentionCost(multiplyAdds: 2 * 75 + 39, peakScalars: 93))
        #expect(try RetentionCost.parallel(length: 0, keyDimension: 2, valueDimension: 3).multiplyAdds == 0)
        #expect(try RetentionCost.chunkwise(length: 0, keyDimension: 2, valueDimension: 3, chunkSize: 4).multiplyAdds == 0)
    }

    @Test("growth with n: parallel quadratic, recurrent and chunkwise linear, memory flat for recurrent and chunkwise")
    func growth() throws {
        let (dk, dv, b) = (16, 16, 64)
        for n in [1_024, 4_096, 16_384] {
            let p1 = try RetentionCost.parallel(length: n, keyDimension: dk, valueDimension: dv)
            let p2 = try RetentionCost.parallel(length: 2 * n, keyDimension: dk, valueDimension: dv)
            let r1 = try RetentionCost.recurrent(length: n, keyDimension: dk, valueDimension: dv)
            let r2 = try RetentionCost.recurrent(length: 2 * n, keyDimension: dk, valueDimension: dv)
            let c1 = try RetentionCost.chunkwise(length: n, keyDimension: dk, valueDimension: dv, chunkSize: b)
            let c2 = try RetentionCost.chunkwise(length: 2 * n, keyDimension: dk, valueDimension: dv, chunkSize: b)
            let ratio = Double(p2.multiplyAdds) / Double(p1.multiplyAdds)
            #expect(ratio > 3.9 && ratio < 4.1, "n=\(n): parallel work ×\(ratio) when n doubles, expected ≈ 4")
            #expect(Double(p2.peakScalars) / Double(p1.peakScalars) > 3.9, "n=\(n): parallel memory is not ~n²")
            #expect(r2.multiplyAdds == 2 * r1.multiplyAdds && r2.peakScalars == r1.peakScalars,
                    "n=\(n): recurrent work must double and memory stay put")
            // B divides n, so doubling n doubles the number of identical chunks.
            #expect(c2.multiplyAdds == 2 * c1.multiplyAdds && c2.peakScalars == c1.peakScalars,
                    "n=\(n): chunkwise work must double and memory stay put")
            #expect(c1.multiplyAdds < p1.multiplyAdds && c1.peakScalars < p1.peakScalars,
                    "n=\(n) ≫ B: chunkwise (\(c1)) must beat parallel (\(p1))")
        }
    }

    @Test("B ≥ n is the parallel form plus the cross term and one state update")
    func oneChunk() throws {
        let (n, dk, dv) = (100, 8, 4)
        let parallel = try RetentionCost.parallel(length: n, keyDimension: dk, valueDimension: dv)
        for b in [n, n + 1, 1 << 40] {
            let chunkwise = try RetentionCost.chunkwise(length: n, keyDimension: dk, valueDimension: dv, chunkSize: b)
            let extra = n * dk * dv + 3 * n * dv + n * dk * dv + 2 * dk * dv
            #expect(chunkwise.multiplyAdds == parallel.multiplyAdds + extra,
                    "B=\(b): \(chunkwise.multiplyAdds) vs parallel \(parallel.multiplyAdds) + \(extra)")
        }
    }
}
