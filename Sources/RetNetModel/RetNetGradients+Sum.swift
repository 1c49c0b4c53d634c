import Layers
import Matrices

extension RetNetGradients {
    /// Adds `other` (gradients of the same model) entry by entry: the gradient of a sum of losses.
    package mutating func add(_ other: RetNetGradients) {
        let others = other.named
        var index = 0
        forEachTensor { _, _, values in
            let added = others[index].values
            for i in values.indices { values[i] += added[i] }
            index += 1
        }
    }

    /// Multiplies every entry by `factor` (1/B turns a sum over B sequences into a mean).
    package mutating func scale(by factor: E) {
        forEachTensor { _, _, values in
            for i in values.indices { values[i] = factor * values[i] }
        }
    }
}
