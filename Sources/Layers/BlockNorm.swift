import Matrices

/// The norm before each half of a block, and after the last block (over all E features of a row):
///
///     paper (LayerNorm):         y = (x − μ) / √(σ² + ε) ⊙ w + b
///     torchscale (RMSNorm):      y = x · rsqrt(mean(x²) + ε) ⊙ w
///
/// Weights and biases start at 1 and 0; checkpoints store them as `….weight` (and `….bias`), [E].
public enum BlockNorm<E: RealScalar>: Sendable, Equatable {
    case layerNorm(weight: [E], bias: [E], eps: E)
    case rms(weight: [E], eps: E)

    /// The width E the norm expects.
    public var width: Int {
        switch self {
        case .layerNorm(let w, _, _), .rms(let w, _): w.count
        }
    }

    /// "LayerNorm" or "RMSNorm", for labels.
    public var name: String {
        switch self {
        case .layerNorm: "LayerNorm"
        case .rms: "RMSNorm"
        }
    }

    /// Normalises every row of x (n×E).
    public func apply(_ x: Matrix<E>) -> Matrix<E> {
        precondition(x.columns == width, "norm of width \(width) applied to \(x.shape)")
        let e = x.columns
        var out = x.storage
        for n in 0..<x.rows {
            let row = x.storage[(n * e)..<((n + 1) * e)]
            switch self {
            case .layerNorm(let weight, let bias, let eps):
                let mean = row.reduce(0, +) / E(e)
                let variance = row.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / E(e)
                let scale = 1 / E.sqrt(variance + eps)
                for c in 0..<e { out[n * e + c] = (x.storage[n * e + c] - mean) * scale * weight[c] + bias[c] }
            case .rms(let weight, let eps):
                let meanSquare = row.reduce(0) { $0 + $1 * $1 } / E(e)
                let scale = 1 / E.sqrt(meanSquare + eps)
                for c in 0..<e { out[n * e + c] = x.storage[n * e + c] * scale * weight[c] }
            }
        }
        return Matrix(rows: x.rows, columns: e, entries: out)
    }

    /// The norm in another precision.
    public func converted<Other: RealScalar>(to _: Other.Type = Other.self) -> BlockNorm<Other> {
        switch self {
        case .layerNorm(let w, let b, let eps):
            .layerNorm(weight: w.map { Other($0) }, bias: b.map { Other($0) }, eps: Other(eps))
        case .rms(let w, let eps):
            .rms(weight: w.map { Other($0) }, eps: Other(eps))
        }
    }

    package func validate(width e: Int, field: String) throws(ShapeError) {
        switch self {
        case .layerNorm(let w, let b, _) where w.count != e || b.count != e:
            throw ShapeError(argument: "\(field).weight/bias", expected: "\(e) entries each (decoder_embed_dim)",
                             got: "\(w.count) and \(b.count)")
        case .rms(let w, _) where w.count != e:
            throw ShapeError(argument: "\(field).weight", expected: "\(e) entries (decoder_embed_dim)", got: "\(w.count)")
        default:
            return
        }
    }
}
