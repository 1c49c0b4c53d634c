/// What turns a head's raw scores S = Q Kᵀ (T×T) into the weights A that multiply V — the one
/// per-head difference between retention and attention — with its backward pass beside it:
///
///     forward    A = map(S)                 in place
///     backward   dS = map′ᵀ(dA), given A    in place
///
/// Both act on a whole T×T matrix, row t the query at position t, column m the key at m; A is
/// zero above the diagonal (causal). Both must write those zeros without reading what lies above
/// the diagonal: the products that fill S and dA leave it as it was (`GEMM.Structure.lowerOutput`).
protocol ScoreMap {
    /// S → A in place, for head `head`.
    func forward(_ s: UnsafeMutablePointer<Float>, length: Int, head: Int)
    /// dA → dS in place, for head `head`, given the weights A of the forward pass.
    func backward(_ dA: UnsafeMutablePointer<Float>, weights: UnsafePointer<Float>, length: Int, head: Int)
}
