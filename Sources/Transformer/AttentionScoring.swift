/// What an attention head does to its scores S = Q Kᵀ/√d_k before they weigh the values.
public enum AttentionScoring: String, Codable, Sendable, CaseIterable {
    /// softmax(S), row by row over the past (`CausalAttention.softmax`): the Transformer. A
    /// decoder keeps every past key and value (a cache that grows with the text).
    case softmax
    /// S itself, masked to the past (`CausalAttention.linear`, scaled): linear attention —
    /// retention with every γ = 1 and no norm or gate. Its outputs are Σ_m (q·k_m/√d_k) v_m, so a
    /// decoder could keep the d_k × d_v sum Σ k_mᵀ v_m per head instead of the cache.
    case linear
}
