import Diagonalisation
import Matrices
import Testing

@Suite("XPos")
struct XPosTests {
    static let gammas: [Double] = [0.5, 0.25, 0.9, 0.99, 1 - 1.0 / 32, 1 - 1.0 / 512, 0.999, 1 - 0x1p-20]

    /// The documented semantics, checked directly: γ^{−(m−1)} is finite, γ^{−m} is not.
    func expectBoundary<E: RealScalar>(_ gamma: E, sourceLocation: SourceLocation = #_sourceLocation) {
        guard let m = XPos.firstOverflow(gamma) else {
            Issue.record("\(E.name) γ = \(gamma): no overflow found", sourceLocation: sourceLocation)
            return
        }
        #expect(m >= 1, sourceLocation: sourceLocation)
        #expect(E.pow(gamma, -(m - 1)).isFinite, "\(E.name) γ = \(gamma): γ^−\(m - 1) = \(E.pow(gamma, -(m - 1))) should be finite",
                sourceLocation: sourceLocation)
        #expect(!E.pow(gamma, -m).isFinite, "\(E.name) γ = \(gamma): γ^−\(m) = \(E.pow(gamma, -m)) should overflow",
                sourceLocation: sourceLocation)
    }

    @Test("firstOverflow: finite at m − 1, infinite at m, in Float and Double", arguments: gammas)
    func boundary(gamma: Double) {
        expectBoundary(gamma)
        expectBoundary(Float(gamma))
    }

    @Test("firstOverflow on powers of two, where the answer is exact")
    func powersOfTwo() {
        // (2^−k)^−m = 2^{km} overflows once km ≥ 128 (Float) or ≥ 1024 (Double): m = ⌈128/k⌉, ⌈1024/k⌉.
        #expect(XPos.firstOverflow(Float(0.5)) == 128)
        #expect(XPos.firstOverflow(0.5) == 1_024)
        #expect(XPos.firstOverflow(Float(0.25)) == 64)
        #expect(XPos.firstOverflow(0.25) == 512)
        #expect(XPos.firstOverflow(Float(0x1p-10)) == 13)
        #expect(XPos.firstOverflow(0x1p-10) == 103)
        // So small that 1/γ already overflows: m = 1.
        #expect(XPos.firstOverflow(Float.leastNonzeroMagnitude) == 1)
        #expect(XPos.firstOverflow(Double.leastNonzeroMagnitude) == 1)
    }

    @Test("the paper's slowest head, γ = 1 − 2⁻⁵: Float overflows at m = 2795, Double at m = 22357")
    func slowestHead() {
        // ln(max)/ln(1/γ) = 2794.53 (Float) and 22356.28 (Double): far from an integer, so libm's
        // rounding cannot move the boundary.
        #expect(XPos.firstOverflow(Float(1 - 1.0 / 32)) == 2_795)
        #expect(XPos.firstOverflow(1 - 1.0 / 32) == 22_357)
    }

    @Test("predictedOverflow is within ±1 of firstOverflow", arguments: gammas)
    func prediction(gamma: Double) throws {
        let double = try #require(XPos.firstOverflow(gamma))
        let float = try #require(XPos.firstOverflow(Float(gamma)))
        let predictedDouble = try #require(XPos.predictedOverflow(gamma))
        let predictedFloat = try #require(XPos.predictedOverflow(Float(gamma)))
        #expect(abs(predictedDouble - double) <= 1, "Double γ = \(gamma): predicted \(predictedDouble), found \(double)")
        #expect(abs(predictedFloat - float) <= 1, "Float γ = \(gamma): predicted \(predictedFloat), found \(float)")
    }

    @Test("no overflow outside 0 < γ < 1", arguments: [1, 1.5, 0, -0.5, .nan, .infinity] as [Double])
    func noOverflow(gamma: Double) {
        #expect(XPos.firstOverflow(gamma) == nil, "Double γ = \(gamma)")
        #expect(XPos.firstOverflow(Float(gamma)) == nil, "Float γ = \(gamma)")
    }

    @Test("predictedOverflow is nil outside 0 < γ < 1", arguments: [1, 1.5, 0, -0.5, .nan, .infinity] as [Double])
    func predictionOutsideRange(gamma: Double) {
        #expect(XPos.predictedOverflow(gamma) == nil, "Double γ = \(gamma)")
        #expect(XPos.predictedOverflow(Float(gamma)) == nil, "Float γ = \(gamma)")
    }

    @Test("split and direct decay agree wherever γ^n and γ^−m are normal numbers")
    func splitAgreesWhenFinite() {
        let gamma = 1 - 1.0 / 32
        // n, m < 2000 keeps γ^n ≥ 3e-28 and γ^−m ≤ 4e27: normal in Float and Double.
        var worstDouble = 0.0, worstFloat = 0.0, pairs = 0
        for n in stride(from: 0, to: 2_000, by: 37) {
            for m in stride(from: 0, through: n, by: 41) {
                let d = XPos.directDecay(gamma, n: n, m: m), s = XPos.splitDecay(gamma, n: n, m: m)
                worstDouble = max(worstDouble, abs(s - d) / d)
                let df = XPos.directDecay(Float(gamma), n: n, m: m), sf = XPos.splitDecay(Float(gamma), n: n, m: m)
                worstFloat = max(worstFloat, Double(abs(sf - df) / df))
                pairs += 1
            }
        }
        #expect(pairs > 500)
        // Three pow calls (each < 1 ulp in glibc) and one product: ≤ ~3 ulps apart. Allow 8 ulps.
        #expect(worstDouble <= 8 * Double.ulpOfOne, "Double: split vs direct differ by \(worstDouble) relative")
        #expect(worstFloat <= 8 * Double(Float.ulpOfOne), "Float: split vs direct differ by \(worstFloat) relative")
    }

    @Test("past the overflow the split decay is not finite while the direct one is exact")
    func splitDivergesPastOverflow() throws {
        func check<E: RealScalar>(_ gamma: E, subnormalTolerance: E) throws {
            let m = try #require(XPos.firstOverflow(gamma))
            // n = m: the true value is γ⁰ = 1.
            let split = XPos.splitDecay(gamma, n: m, m: m), direct = XPos.directDecay(gamma, n: m, m: m)
            #expect(!split.isFinite, "\(E.name): γ^\(m)·γ^−\(m) = \(split) should not be finite")
            #expect(direct == 1, "\(E.name): γ^0 = \(direct)")
            // A few tokens later the key at m is still ∞, the direct decay a plain number.
            #expect(!XPos.splitDecay(gamma, n: m + 5, m: m).isFinite)
            #expect(XPos.directDecay(gamma, n: m + 5, m: m) == E.pow(gamma, 5))
            // One step earlier the split is finite, but γ^{m−1} ≈ 1/max is subnormal and has lost
            // bits: Float keeps ~21 of 24 (≈ 5e-7 relative), Double ~50 of 53 (≈ 1e-15).
            let before = XPos.splitDecay(gamma, n: m - 1, m: m - 1)
            #expect(before.isFinite && abs(before - 1) <= subnormalTolerance, "\(E.name): γ^\(m - 1)·γ^−\(m - 1) = \(before)")
        }
        for gamma in [0.5, 0.9, 1 - 1.0 / 32, 1 - 1.0 / 512] {
            try check(Float(gamma), subnormalTolerance: 1e-5)
            try check(gamma, subnormalTolerance: 1e-13)
        }
    }
}
