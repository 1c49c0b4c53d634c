import Matrices

/// Each retention head has its own decay γ (paper Sec. 2.2): heads with γ near 1 remember long,
/// heads with smaller γ look only at the recent past. Two schedules for h heads:
///
///     Eq. 8 (the paper's formula, torchscale's code):  γ_i = 1 − 2^{−5−i},                  i = 0 … h−1
///     the paper's experiments:                         γ_i = 1 − e^{linspace(log 1/32, log 1/512, h)_i}
///
/// Eq. 8 gives memories 1/(1 − γ_i) = 32, 64, 128, … tokens, doubling per head; the experiments'
/// schedule spreads the same kind of range, 32 to 512 tokens, evenly in log-memory whatever h.
///
/// torchscale keeps log γ in a float32 buffer, `log(1 − 2^(−5−arange(h)))` computed in float32,
/// and uses exp(·) of it. In float32, 1 − 2^{−5−i} rounds to exactly 1 for i ≥ 20 (2^{−25} is half
/// an ulp below 1 and rounds to even): such a head never forgets. `float32LogGammas` reproduces
/// that buffer.
public enum DecaySchedule: String, Codable, CaseIterable, Sendable {
    /// γ_i = 1 − 2^{−5−i} (Eq. 8).
    case eq8
    /// γ_i = 1 − e^{linspace(log 1/32, log 1/512, h)_i} (the paper's experiments).
    case linspace

    /// γ for each of `heads` heads, in Double. Eq. 8's values are exact (1 − 2^{−5−i} is a
    /// Double for i ≤ 47); the linspace schedule's are within a few ulps of the real numbers.
    /// `heads` must be ≥ 0.
    public func gammas(heads: Int) -> [Double] {
        precondition(heads >= 0, "DecaySchedule needs heads ≥ 0, got \(heads)")
        switch self {
        case .eq8:
            return (0..<heads).map { 1 - Double(sign: .plus, exponent: -5 - $0, significand: 1) }
        case .linspace:
            let a = Double.log(1.0 / 32), b = Double.log(1.0 / 512)
            return (0..<heads).map { i in
                // linspace(a, b, h): a + i (b − a)/(h − 1), with the last point exactly b (as numpy does).
                let t = heads == 1 ? a : i == heads - 1 ? b : a + Double(i) * (b - a) / Double(heads - 1)
                return 1 - Double.exp(t)
            }
        }
    }

    /// torchscale's `decay` buffer: log γ_i computed in float32, i.e. log of γ_i rounded to Float
    /// (for Eq. 8, 2^{−5−i} is exact and 1 − 2^{−5−i} rounds once, as torch does it), then the log
    /// rounded to Float.
    public func float32LogGammas(heads: Int) -> [Float] {
        gammas(heads: heads).map { Float.log(Float($0)) }
    }

    /// γ_i = exp(log γ_i) from the float32 buffer, the exp taken in Double. torchscale applies the
    /// buffer as `decay.exp()` in the model's dtype: in float32 that rounds γ once more (by at most
    /// half an ulp of Float, ~6e-8 relative), in float64 it is this value.
    public func float32Gammas(heads: Int) -> [Double] {
        float32LogGammas(heads: heads).map { Double.exp(Double($0)) }
    }
}
