import Matrices
import Testing

/// The generator behind every `--seed`. Statistical bounds below are 5 standard errors of the
/// estimate: a correct generator fails one with probability < 6e-7, and since the seeds are fixed
/// the outcome is deterministic anyway; a wrong transform (e.g. Box–Muller with the wrong
/// constant or a biased unit draw) misses them by many standard errors.
@Suite("SplitMix64")
struct SplitMix64Tests {
    static let sampleCount = 100_000

    @Test("seed 0 reproduces the published SplitMix64 reference outputs")
    func referenceValues() {
        // Vigna's splitmix64.c with x = 0; the same values appear in the Java SplittableRandom tests.
        var generator = SplitMix64(seed: 0)
        let expected: [UInt64] = [0xE220_A839_7B1D_CDAF, 0x6E78_9E6A_A1B9_65F4, 0x06C4_5D18_8009_454F]
        for (index, value) in expected.enumerated() {
            let got = generator.next()
            #expect(got == value, "output \(index) for seed 0: got 0x\(String(got, radix: 16)), expected 0x\(String(value, radix: 16))")
        }
    }

    @Test("the same seed gives the same sequence; different seeds differ")
    func determinism() {
        var a = SplitMix64(seed: 12345), b = SplitMix64(seed: 12345), c = SplitMix64(seed: 12346)
        var differences = 0
        for step in 0..<1_000 {
            let x = a.next(), y = b.next(), z = c.next()
            #expect(x == y, "step \(step): two generators with seed 12345 disagree")
            if x != z { differences += 1 }
        }
        #expect(differences == 1_000, "seeds 12345 and 12346 agreed at \(1_000 - differences) of 1000 steps")
        // Copies are independent values: advancing one does not advance the other.
        var original = SplitMix64(seed: 9)
        var copy = original
        _ = copy.next()
        var fresh = SplitMix64(seed: 9)
        #expect(original.next() == fresh.next())
    }

    @Test("nextUnit is the top 53 bits of next(), scaled by 2⁻⁵³")
    func unitFromBits() {
        var bits = SplitMix64(seed: 3), units = SplitMix64(seed: 3)
        for _ in 0..<100 {
            let raw = bits.next()
            #expect(units.nextUnit() == Double(raw >> 11) / 9_007_199_254_740_992)  // 2⁵³
        }
    }

    @Test("nextUnit lies in [0, 1) with mean 1/2, variance 1/12 and flat deciles")
    func unitDistribution() {
        var generator = SplitMix64(seed: 2024)
        let n = Self.sampleCount
        var sum = 0.0, sumSquares = 0.0, low = 1.0, high = 0.0
        var deciles = [Int](repeating: 0, count: 10)
        for _ in 0..<n {
            let u = generator.nextUnit()
            sum += u
            sumSquares += u * u
            low = min(low, u)
            high = max(high, u)
            deciles[min(Int(u * 10), 9)] += 1
        }
        #expect(low >= 0 && high < 1, "nextUnit range [\(low), \(high)] leaves [0, 1)")
        let mean = sum / Double(n), variance = sumSquares / Double(n) - mean * mean
        // Standard error of the mean: √(1/12 / n) ≈ 9.1e-4; of the variance: √((1/80 − 1/144) / n) ≈ 2.4e-4.
        #expect(abs(mean - 0.5) <= 5 * (1.0 / 12 / Double(n)).squareRoot(), "mean of nextUnit = \(mean), expected 0.5")
        #expect(abs(variance - 1.0 / 12) <= 5 * ((1.0 / 80 - 1.0 / 144) / Double(n)).squareRoot(),
                "variance of nextUnit = \(variance), expected \(1.0 / 12)")
        // Each decile count is Binomial(n, 0.1): standard deviation √(n·0.09) ≈ 95.
        for (k, count) in deciles.enumerated() {
            #expect(abs(Double(count) - 0.1 * Double(n)) <= 5 * (0.09 * Double(n)).squareRoot(),
                    "decile \(k) holds \(count) of \(n) draws, expected ≈ \(n / 10)")
        }
    }

    @Test("nextGaussian has mean 0, variance 1, kurtosis 3 and 68.27% within one σ")
    func gaussianDistribution() {
        var generator = SplitMix64(seed: 77)
        let n = Double(Self.sampleCount)
        var s1 = 0.0, s2 = 0.0, s4 = 0.0, withinOne = 0.0, nonFinite = 0
        for _ in 0..<Self.sampleCount {
            let x = generator.nextGaussian()
            if !x.isFinite { nonFinite += 1 }
            s1 += x
            s2 += x * x
            s4 += x * x * x * x
            if abs(x) < 1 { withinOne += 1 }
        }
        #expect(nonFinite == 0, "\(nonFinite) of \(Self.sampleCount) Gaussian draws were not finite")
        let mean = s1 / n, secondMoment = s2 / n, fourthMoment = s4 / n, fraction = withinOne / n
        // Standard errors for N(0, 1): mean 1/√n ≈ 3.2e-3; E[x²] √(2/n) ≈ 4.5e-3;
        // E[x⁴] √((105 − 9)/n) ≈ 3.1e-2; P(|x| < 1) = 0.682689 with √(p(1−p)/n) ≈ 1.5e-3.
        #expect(abs(mean) <= 5 / n.squareRoot(), "mean = \(mean)")
        #expect(abs(secondMoment - 1) <= 5 * (2 / n).squareRoot(), "E[x²] = \(secondMoment), expected 1")
        #expect(abs(fourthMoment - 3) <= 5 * (96 / n).squareRoot(), "E[x⁴] = \(fourthMoment), expected 3 (a normal's kurtosis)")
        let p = 0.682_689_492_137
        #expect(abs(fraction - p) <= 5 * (p * (1 - p) / n).squareRoot(), "P(|x| < 1) = \(fraction), expected \(p)")
    }

    @Test("Matrix.gaussian: scale sets the standard deviation; Float and Double share the draws")
    func gaussianMatrices() {
        var g1 = SplitMix64(seed: 5), g2 = SplitMix64(seed: 5)
        let double = Matrix<Double>.gaussian(rows: 200, columns: 200, scale: 3, using: &g1)
        let float = Matrix<Float>.gaussian(rows: 200, columns: 200, scale: 3, using: &g2)
        // Float entries are the Double draws rounded once: exactly `converted(to: Float)`.
        #expect(float == double.converted(to: Float.self))
        let n = Double(double.storage.count)
        let meanSquare = double.storage.reduce(0) { $0 + $1 * $1 } / n
        // E[x²] = 9 with standard error 9·√(2/n) ≈ 0.064.
        #expect(abs(meanSquare - 9) <= 5 * 9 * (2 / n).squareRoot(), "E[x²] for scale 3 = \(meanSquare), expected 9")
        // Same seed, same matrix.
        var g3 = SplitMix64(seed: 5)
        #expect(Matrix<Double>.gaussian(rows: 200, columns: 200, scale: 3, using: &g3) == double)
    }

    @Test("complex Gaussian matrices have independent N(0, s²) parts")
    func complexGaussian() {
        var generator = SplitMix64(seed: 6)
        let z = Matrix<Complex<Double>>.gaussian(rows: 100, columns: 100, scale: 0.5, using: &generator)
        let n = Double(z.storage.count)
        let re2 = z.storage.reduce(0) { $0 + $1.real * $1.real } / n
        let im2 = z.storage.reduce(0) { $0 + $1.imaginary * $1.imaginary } / n
        let cross = z.storage.reduce(0) { $0 + $1.real * $1.imaginary } / n
        // E[re²] = E[im²] = 0.25 (s.e. 0.25·√(2/n) ≈ 3.5e-3); E[re·im] = 0 (s.e. 0.25/√n = 2.5e-3).
        #expect(abs(re2 - 0.25) <= 5 * 0.25 * (2 / n).squareRoot(), "E[Re²] = \(re2)")
        #expect(abs(im2 - 0.25) <= 5 * 0.25 * (2 / n).squareRoot(), "E[Im²] = \(im2)")
        #expect(abs(cross) <= 5 * 0.25 / n.squareRoot(), "E[Re·Im] = \(cross): parts look correlated")
    }
}
