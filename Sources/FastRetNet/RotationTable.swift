import Matrices
import MultiScaleRetention

/// cos(nθ_j) and sin(nθ_j) for the positions of one call, computed once and shared by every
/// layer's Q and K: the same numbers `Rotation.apply` computes for each row, in its precision
/// (`.double`: Double angle, cos, sin, rounded to Float; `.float32`: Float throughout).
struct RotationTable {
    let pairs: Int
    let cos: [Float]
    let sin: [Float]

    init(_ rotation: Rotation, positions: Range<Int>) {
        pairs = rotation.angles.count
        var cos = [Float](), sin = [Float]()
        cos.reserveCapacity(positions.count * pairs)
        sin.reserveCapacity(positions.count * pairs)
        for position in positions {
            for theta in rotation.angles {
                switch rotation.precision {
                case .double:
                    let phi = Double(position) * theta
                    cos.append(Float(Double.cos(phi)))
                    sin.append(Float(Double.sin(phi)))
                case .float32:
                    let phi = Float(position) * Float(theta)
                    cos.append(Float.cos(phi))
                    sin.append(Float.sin(phi))
                }
            }
        }
        self.cos = cos
        self.sin = sin
    }

    /// Rotates the d_k = 2·pairs floats at `x` as the token at row `row` of the table's positions.
    @inline(__always)
    func rotate(_ x: UnsafeMutablePointer<Float>, row: Int) {
        let base = row * pairs
        cos.withUnsafeBufferPointer { cos in
            sin.withUnsafeBufferPointer { sin in
                for j in 0..<pairs {
                    let c = cos[base + j], s = sin[base + j]
                    let a = x[2 * j], b = x[2 * j + 1]
                    x[2 * j] = a * c - b * s
                    x[2 * j + 1] = a * s + b * c
                }
            }
        }
    }
}
