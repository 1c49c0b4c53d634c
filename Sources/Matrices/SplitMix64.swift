import ComplexModule
import RealModule

/// SplitMix64 (Steele, Lea & Flood 2014): a tiny, fast, seedable generator, so every chapter
/// run with the same `--seed` prints the same numbers on every machine.
///
/// Not for cryptography. Each output is the 64-bit finaliser applied to a Weyl sequence.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    private var state: UInt64

    public init(seed: UInt64) {
        state = seed
    }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A uniform Double in [0, 1) built from the top 53 bits (exact, platform independent).
    public mutating func nextUnit() -> Double {
        Double(next() >> 11) * 0x1.0p-53
    }

    /// A standard normal sample by the Box–Muller transform. Deterministic across platforms
    /// as far as `log`, `sqrt` and `cos` are correctly rounded by the C library.
    public mutating func nextGaussian() -> Double {
        let u1 = 1.0 - nextUnit()  // (0, 1]: log stays finite
        let u2 = nextUnit()
        return (-2.0 * Double.log(u1)).squareRoot() * Double.cos(2.0 * Double.pi * u2)
    }
}
