/// Linear attention's score map — softmax attention with the softmax removed (chapter 01's
/// `CausalAttention.linear`, scaled as attention is): A = (S/√d_k) ⊙ M, zero above the
/// diagonal, and its backward dS = (dA/√d_k) ⊙ M. It is retention's `DecayMask` with every γ = 1
/// and the scale on the scores rather than on K; with no norm and no gate after the heads, its
/// state S_n = Σ_{m≤n} k_mᵀ v_m (d_k × d_v per head) is all a decoder keeps, however long the text.
struct CausalLinear: ScoreMap {
    /// 1/√d_k.
    let scale: Float

    init(keyDimension: Int) {
        scale = 1 / Float(keyDimension).squareRoot()
    }

    func forward(_ s: UnsafeMutablePointer<Float>, length n: Int, head: Int) { scaleMasked(s, length: n) }

    func backward(_ dA: UnsafeMutablePointer<Float>, weights: UnsafePointer<Float>, length n: Int, head: Int) {
        scaleMasked(dA, length: n)
    }

    /// S ← (S/√d_k) ⊙ M.
    private func scaleMasked(_ s: UnsafeMutablePointer<Float>, length n: Int) {
        for t in 0..<n {
            let row = s + t * n
            for m in 0...t { row[m] *= scale }
            for m in (t + 1)..<n { row[m] = 0 }
        }
    }
}
