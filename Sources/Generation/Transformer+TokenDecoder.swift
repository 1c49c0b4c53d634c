import Matrices
import Transformer

/// The reference Transformer as a ``TokenDecoder``: a sequence read at once by
/// `Transformer.prefill` (every query against every key), each token after it decoded against
/// the KV cache by `Transformer.step`, its query against the cached keys K₁ … K_t,
///
///     o_t = softmax(q_t K_{1…t}ᵀ / √d_k) V_{1…t}   per head,
///
/// so the cache grows by one key and one value per layer and head for every token.
extension Transformer: TokenDecoder {
    /// The last row of `prefill(tokens)` and the KV cache after the tokens.
    public func read(_ tokens: [Int], capacity: Int) throws(TransformerError) -> (logits: [E], cache: TransformerCache<E>) {
        let (logits, cache) = try prefill(tokens)
        return (logits.row(logits.rows - 1).storage, cache)
    }

    /// `step(token, cache:)`: the token's logits; `cache` grows by its keys and values.
    public func step(_ token: Int, cache: inout TransformerCache<E>) throws(TransformerError) -> [E] {
        let stepped = try step(token, cache: cache)
        cache = stepped.cache
        return stepped.logits.storage
    }
}
