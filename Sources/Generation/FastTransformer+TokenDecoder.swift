import FastTransformer
import Matrices
import Transformer

/// A `FastTransformer` as a ``TokenDecoder``: the Transformer's decoding on the kernels. A
/// sequence is read by the GEMM prefill (`FastTransformer.prefill(_:cache:window:)`) into a
/// `FastKVCache` allocated once with room for the tokens the loop will read; each token after it
/// is decoded against that cache (`FastTransformer.step(_:cache:)`, which is this protocol's
/// `step`). The same tokens as the reference model's, from its logits up to Float rounding.
extension FastTransformer: TokenDecoder {
    /// The last row of `prefill(tokens, cache:)` into an empty cache of room for `capacity`
    /// tokens, and that cache.
    public func read(_ tokens: [Int], capacity: Int) throws(TransformerError) -> (logits: [Float], cache: FastKVCache) {
        var cache = try emptyCache(capacity: capacity)
        let logits = try prefill(tokens, cache: &cache)
        return (logits.row(logits.rows - 1).storage, cache)
    }
}
