import Layers
import Matrices

/// cos(nθ_j) and sin(nθ_j) for the positions of one call, computed once and shared by every
/// layer's Q and K: the same numbers `Rotation.apply` computes for each row, in its precision
/// (`.double`: Double angle, cos, sin, rounded to Float; `.float32`: Float throughout). The
/// floats live in the caller's memory (a `Workspace`, or a fast Transformer's scratch).
package struct RotationTable {
    let pairs: Int
    let cos: UnsafeMutablePointer<Float>
    let sin: UnsafeMutablePointer<Float>

    /// A table over `cos` and `sin`, each with room for `pairs` floats per row.
    package init(pairs: Int, cos: UnsafeMutablePointer<Float>, sin: UnsafeMutablePointer<Float>) {
        (self.pairs, self.cos, self.sin) = (pairs, cos, sin)
    }

    /// Writes the angles of `positions`, row after row from row `row` (as many rows as the table
    /// has room for): a batch of sequences writes each sequence's position into its own row.
    package func fill(_ rotation: Rotation, positions: Range<Int>, startingAt row: Int = 0) {
        // The angles by index: iterating the array itself calls the standard library's generic,
        // unspecialised code in debug builds, which allocates (decoding allocates nothing).
        let angles = rotation.angles
        var index = row * pairs
        for position in positions {
            for j in 0..<pairs {
                let theta = angles[j]
                switch rotation.precision {
                case .double:
                    let phi = Double(position) * theta
                    cos[index] = Float(Double.cos(phi))
                    sin[index] = Float(Double.sin(phi))
                case .float32:
                    let phi = Float(position) * Float(theta)
                    cos[index] = Float.cos(phi)
                    sin[index] = Float.sin(phi)
                }
                index += 1
            }
        }
    }

    /// Rotates the d_k = 2·pairs floats at `x` as the token at row `row` of the table's positions.
    @inline(__always)
    package func rotate(_ x: UnsafeMutablePointer<Float>, row: Int) {
        rotate(x, scaledBy: 1, into: x, row: row)
    }

    /// s·x rotated as the token at row `row`, written into `y` (which may be `x`): the pair
    /// (a, b) = (s·x_{2j}, s·x_{2j+1}) becomes (a c − b s′, a s′ + b c), the arithmetic of storing
    /// s·x and rotating it in place, without the copy. s = 1 multiplies nothing away: 1·a = a.
    @inline(__always)
    package func rotate(_ x: UnsafePointer<Float>, scaledBy scale: Float = 1, into y: UnsafeMutablePointer<Float>,
                        row: Int) {
        let (cos, sin) = (self.cos + row * pairs, self.sin + row * pairs)
        for j in 0..<pairs {
            let c = cos[j], s = sin[j]
            let a = scale * x[2 * j], b = scale * x[2 * j + 1]
            y[2 * j] = a * c - b * s
            y[2 * j + 1] = a * s + b * c
        }
    }

    /// The transpose of `rotate`: turns each pair back by −nθ_j, (a, b) ↦ (a c + b s, b c − a s),
    /// with the same cos and sin (`Rotation.backward`'s arithmetic). A backward pass takes the
    /// gradient of rotated rows through it.
    @inline(__always)
    package func rotateBack(_ x: UnsafeMutablePointer<Float>, row: Int) {
        let (cos, sin) = (self.cos + row * pairs, self.sin + row * pairs)
        for j in 0..<pairs {
            let c = cos[j], s = sin[j]
            let a = x[2 * j], b = x[2 * j + 1]
            x[2 * j] = a * c + b * s
            x[2 * j + 1] = b * c - a * s
        }
    }
}
