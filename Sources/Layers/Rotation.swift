import Diagonalisation
import Matrices

/// The position rotation of queries and keys: each pair (x_{2j}, x_{2j+1}) of a head's row at
/// position n is turned by the angle n·θ_j (chapter 02's e^{inθ} on real pairs, torchscale's
/// `theta_shift` with `rotate_every_two`). The same rotation acts on Q and on K; the conjugate
/// of Eq. 5 is the transpose in Q Kᵀ.
///
/// The angles follow torchscale: θ_j = 1 / 10000^{linspace(0, 1, d_k/2)_j}, one per pair, so the
/// first pair turns by a radian per token and the last by 10⁻⁴.
///
/// Two precisions:
/// - `.double`: θ and cos/sin of nθ in Double (chapter 02's `PairRotation.rotate`);
/// - `.float32`: as torchscale computes its buffers — linspace, 10000^t and 1/· in float32,
///   the angle n·θ_j rounded to float32, then cos and sin in float32. A Double model built this
///   way rotates exactly as a float32 torchscale model does, up to the last bit of `sinf`.
public struct Rotation: Sendable, Equatable {
    public enum Precision: String, Sendable, Codable {
        case double
        case float32
    }

    /// θ_j, one per pair (Float values widened to Double for `.float32`).
    public let angles: [Double]
    public let precision: Precision

    /// The rotation for heads of `keyDimension` columns, which must be even and ≥ 2.
    public init(keyDimension: Int, precision: Precision = .double) throws(ShapeError) {
        guard keyDimension >= 2 && keyDimension % 2 == 0 else {
            throw ShapeError(argument: "key_dim",
                             expected: "an even number ≥ 2 (the rotation acts on pairs)", got: "\(keyDimension)")
        }
        let pairs = keyDimension / 2
        self.precision = precision
        switch precision {
        case .double:
            angles = PairRotation.torchscaleAngles(pairs: pairs)
        case .float32:
            angles = Self.float32Angles(pairs: pairs).map(Double.init)
        }
    }

    /// The rotation with angles θ_j given as float32 values — one per pair, as a checkpoint
    /// stores them — applied as `.float32` applies its own. `angles` must not be empty.
    public init(float32Angles angles: [Float]) throws(ShapeError) {
        guard !angles.isEmpty else {
            throw ShapeError(argument: "angles", expected: "at least one angle (d_k ≥ 2)", got: "none")
        }
        self.angles = angles.map(Double.init)
        precision = .float32
    }

    /// The rotation with angles θ_j given in Double — one per pair, as a checkpoint built in
    /// float64 stores them — applied as `.double` applies its own. `angles` must not be empty.
    public init(angles: [Double]) throws(ShapeError) {
        guard !angles.isEmpty else {
            throw ShapeError(argument: "angles", expected: "at least one angle (d_k ≥ 2)", got: "none")
        }
        self.angles = angles
        precision = .double
    }

    /// d_k, the number of columns this rotation acts on.
    public var keyDimension: Int { 2 * angles.count }

    /// torchscale's `1.0 / (10000 ** torch.linspace(0, 1, pairs))` in float32. torch's linspace
    /// computes start + i·step for the first half and end − (steps − 1 − i)·step for the second,
    /// with step = (end − start)/(steps − 1) in float32 — the second half as one fused
    /// multiply–add, rounded once (rounding the product first differs from torch by an ulp of t
    /// for most sizes from 10 pairs on, e.g. key_dim = 128).
    public static func float32Angles(pairs: Int) -> [Float] {
        guard pairs > 1 else { return pairs == 1 ? [1] : [] }
        let step = Float(1) / Float(pairs - 1)
        return (0..<pairs).map { i in
            let t = i < pairs / 2 ? Float(i) * step : Float(1).addingProduct(-Float(pairs - 1 - i), step)
            return 1 / Float.pow(10000, t)
        }
    }

    /// Rotates row r of `x` (n×d_k, one head) as the token at position r + offset.
    public func apply<E: RealScalar>(_ x: Matrix<E>, offset: Int) throws(ShapeError) -> Matrix<E> {
        guard x.columns == keyDimension else {
            throw ShapeError(argument: "rotated rows", expected: "\(keyDimension) columns (d_k)", got: "\(x.shape)")
        }
        switch precision {
        case .double:
            return try PairRotation.rotate(x, theta: angles, offset: offset)
        case .float32:
            var out = x
            for n in 0..<x.rows {
                let position = Float(n + offset)
                for j in 0..<angles.count {
                    let phi = position * Float(angles[j])
                    let c = E(Float.cos(phi)), s = E(Float.sin(phi))
                    let a = x[n, 2 * j], b = x[n, 2 * j + 1]
                    out[n, 2 * j] = a * c - b * s
                    out[n, 2 * j + 1] = a * s + b * c
                }
            }
            return out
        }
    }
}
