import Matrices

/// The token embedding every decoder starts with, X⁰_n = s · E[tokens[n]] (E [vocab, E], s the
/// model's embedding scale): what its backward pass does with ∂L/∂X⁰.
package enum Embedding {
    /// The backward pass of the embedding X⁰_n = s · E[tokens[n]]: row n of dX⁰, times s, is
    /// added into row tokens[n] of dE. The ids were checked by the forward pass.
    package static func backward<E: RealScalar>(tokens: [Int], outputGradient dX: Matrix<E>, scale: E,
                                                into dE: inout Matrix<E>) {
        for (n, token) in tokens.enumerated() {
            for c in 0..<dX.columns { dE[token, c] += scale * dX[n, c] }
        }
    }
}
