import Matrices
import Testing

import Retention

/// D_nm = γ^{n−m} for n ≥ m and 0 above the diagonal, with the powers taken directly.
@Suite("Decay and the mask D")
struct DecayTests {
    @Test("D for γ = 1/2, n = 4: exact powers of two below the diagonal, exact zeros above")
    func smallMaskExact() throws {
        let d = Decay.valid(0.5).mask(4)
        let expected = Matrix<Double>([
            [1, 0, 0, 0],
            [0.5, 1, 0, 0],
            [0.25, 0.5, 1, 0],
            [0.125, 0.25, 0.5, 1],
        ])
        for n in 0..<4 {
            for m in 0..<4 {
                #expect(d[n, m] == expected[n, m], "D[\(n), \(m)] = \(d[n, m]), expected \(expected[n, m]) exactly")
            }
        }
    }

    @Test("D_nm is exactly pow(γ, n − m) below the diagonal, 1 on it, 0 above (Float and Double)")
    func maskEntries() throws {
        func check<E: RealScalar>(_ gamma: E, _ n: Int) {
            let d = Decay.valid(gamma).mask(n)
            #expect(d.shape == Shape(rows: n, columns: n), "mask(\(n)) has shape \(d.shape)")
            for row in 0..<n {
                for column in 0..<n {
                    let expected: E = row >= column ? E.pow(gamma, row - column) : 0
                    #expect(d[row, column] == expected,
                            "\(E.name) γ=\(gamma): D[\(row), \(column)] = \(d[row, column]), expected \(expected)")
                }
                #expect(d[row, row] == 1, "\(E.name) γ=\(gamma): diagonal D[\(row), \(row)] = \(d[row, row])")
            }
        }
        for n in [0, 1, 2, 7] {
            check(0.9, n)
            check(Float(0.9), n)
            check(1.0, n)
            check(0.96875, n)
        }
    }

    @Test("power(p): γ⁰ = 1 and γ¹ = γ exactly, 1^p = 1 for huge p, matches pow")
    func powers() throws {
        for gamma in [0.3, 0.96875, 1 - 0x1p-40, 1e-300] {
            let decay = Decay.valid(gamma)
            #expect(decay.power(0) == 1, "γ=\(gamma): γ⁰ = \(decay.power(0))")
            #expect(decay.power(1) == gamma, "γ=\(gamma): γ¹ = \(decay.power(1))")
            for p in [2, 17, 1000, 123_456] {
                #expect(decay.power(p) == Double.pow(gamma, p), "γ=\(gamma): γ^\(p) = \(decay.power(p))")
            }
        }
        #expect(Decay.valid(1.0).power(1 << 50) == 1, "1^(2^50) must be exactly 1")
        #expect(Decay.valid(Float(1)).power(Int.max) == 1, "1^Int.max must be exactly 1 in Float")
    }

    /// The xPos split γ^n · γ^{−m} overflows (γ^{−m} = ∞) and then ∞ · 0 = NaN or ∞ · tiny = ∞;
    /// the direct power γ^{n−m} is a number in [0, 1]. Shown at the first (n, m) past the
    /// overflow (γ = 1 − 2⁻⁵: γ^{−m} overflows at m ≈ 2,795 in Float and ≈ 22,336 in Double).
    @Test("γ^{n−m} stays finite where γ^n · γ^{−m} overflows (Float and Double)")
    func directPowerWhereSplitOverflows() throws {
        func check<E: RealScalar>(_: E.Type, n: Int, m: Int) {
            let gamma: E = 0.96875  // 1 − 2⁻⁵, exact in both precisions
            let split = E.pow(gamma, n) * E.pow(gamma, -m)
            let direct = Decay.valid(gamma).power(n - m)
            let exponent = Double(n - m) * Double.log(0.96875)
            let exact = Double.exp(exponent)
            #expect(!split.isFinite || split == 0,
                    "\(E.name) n=\(n) m=\(m): the split γ^n·γ^−m = \(split) was expected to break (premise)")
            #expect(direct.isFinite && direct > 0, "\(E.name) n=\(n) m=\(m): direct γ^(n−m) = \(direct)")
            let error = Swift.abs(Double(direct) - exact) / exact
            // pow rounds once (a few ulps of E at most); the reference exp((n − m) ln γ) carries
            // ~|(n − m) ln γ| ulps of Double of its own, from rounding ln γ.
            let bound = 4 * Double(E.ulpOfOne) + 4 * Double.ulpOfOne * Swift.abs(exponent)
            #expect(error <= bound,
                    "\(E.name) n=\(n) m=\(m): γ^(n−m) = \(direct) vs \(exact): relative error \(error) > \(bound)")
        }
        check(Float.self, n: 5_000, m: 4_000)
        check(Float.self, n: 2_900, m: 2_890)
        check(Double.self, n: 30_000, m: 25_000)
        check(Double.self, n: 23_000, m: 22_990)

        // The whole mask at a length past the Float overflow: every entry finite, and the corner
        // γ^{2999} ≈ 4.6e-42 is a (subnormal) non-zero number, not 0 · ∞.
        let mask = Decay.valid(Float(0.96875)).mask(3_000)
        #expect(mask.isFinite, "Float mask(3000) for γ = 1 − 2⁻⁵ has a NaN or ∞")
        #expect(mask[2_999, 0] > 0 && mask[2_999, 0] == Float.pow(0.96875, 2_999),
                "D[2999, 0] = \(mask[2_999, 0]), expected γ^2999 = \(Float.pow(0.96875, 2_999))")
        #expect(mask[2_999, 2_990] == Float.pow(0.96875, 9), "D[2999, 2990] = \(mask[2_999, 2_990])")
    }

    @Test("Decay keeps γ and compares by value")
    func decayValue() throws {
        let a = try Decay(0.75), b = try Decay(0.75), c = try Decay(0.5)
        #expect(a.gamma == 0.75 && a == b && a != c)
        #expect(try Decay(Float(1)).gamma == 1)
        // The smallest positive Double (subnormal) is in (0, 1] and therefore valid.
        #expect(try Decay(Double.leastNonzeroMagnitude).gamma == Double.leastNonzeroMagnitude)
    }
}
