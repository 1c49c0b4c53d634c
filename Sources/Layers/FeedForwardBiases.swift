import Matrices

/// The biases of a feed-forward network's two linear maps, for implementations that keep them
/// (yet-another-retnet's `linear1` and `linear2`, as in `nn.TransformerDecoderLayer`; the paper
/// writes none and torchscale's GLU has none):
///
///     FFN(X) = act(X W₁ᵀ + b₁) W₂ᵀ + b₂
///
/// b₁ has F entries, b₂ has E. In a GLU they are fc1's and fc2's; its gate has none.
public struct FeedForwardBiases<E: RealScalar>: Sendable, Equatable {
    public let fc1: [E], fc2: [E]

    public init(fc1: [E], fc2: [E]) {
        (self.fc1, self.fc2) = (fc1, fc2)
    }

    /// The biases in another precision.
    public func converted<Other: RealScalar>(to _: Other.Type = Other.self) -> FeedForwardBiases<Other> {
        FeedForwardBiases<Other>(fc1: fc1.map { Other($0) }, fc2: fc2.map { Other($0) })
    }

    /// Throws naming the first bias whose length is not F (fc1) or E (fc2).
    package func validate(embed e: Int, hidden f: Int, field: String) throws(ShapeError) {
        guard fc1.count == f else { throw ShapeError(argument: "\(field).fc1.bias", expected: "\(f) entries (F)", got: "\(fc1.count)") }
        guard fc2.count == e else { throw ShapeError(argument: "\(field).fc2.bias", expected: "\(e) entries (E)", got: "\(fc2.count)") }
    }
}
