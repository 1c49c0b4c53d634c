import FastRetNet
import Foundation
import FastTransformer
import Matrices
import MultiScaleRetention
import RetNetModel
import Transformer

/// The next-token loss at every position of one long text, for measuring how a model does past
/// the context it was trained on: for a text of n + 1 tokens, position p = 1 … n is the
/// cross-entropy (nats) of the model's logits after reading tokens 0 … p − 1 against token p,
///
///     ℓ_p = logsumexp(logits[p−1]) − logits[p−1, tokens[p]],
///
/// in Double from the Float logits (the row's maximum subtracted first). The logits come from the
/// models' own fast forward passes over the whole text at once:
/// - the RetNet: `FastRetNet.forward` in the chunkwise form (any length, the same numbers as
///   decoding token by token from the recurrent state, up to rounding);
/// - the Transformer: `FastTransformer.prefill` with all its keys (RoPE's rotations extrapolated
///   to positions it never trained at), or with a `window` W: banded causal attention, every
///   query of every layer against the last W keys only (sliding-window attention).
public enum PositionLosses {
    /// ℓ_1 … ℓ_n for a text of n + 1 tokens read by the RetNet in the chunkwise form, chunks of
    /// `chunkSize`. Throws `.argument` for a text of fewer than 2 tokens or a chunk size below 1,
    /// `.token` for an id outside the vocabulary (the last,
    /// predicted only, included).
    public static func retnet(_ model: FastRetNet, text: [Int], chunkSize: Int) throws(RetNetError) -> [Double] {
        guard text.count >= 2 else {
            throw .argument(name: "text", expected: "at least 2 tokens (one to read, one to predict)", got: "\(text.count)")
        }
        if let (position, id) = outside(text, vocabulary: model.vocabularySize) {
            throw .token(position: position, id: id, vocabularySize: model.vocabularySize)
        }
        let (logits, _) = try model.forward(Array(text.dropLast()), form: .chunkwise(chunkSize: chunkSize))
        return crossEntropies(logits, next: text.dropFirst())
    }

    /// ℓ_1 … ℓ_n for a text of n + 1 tokens read by the Transformer, every query against the
    /// last `window` keys (nil: all of them). Throws `.argument` for a text of fewer than 2
    /// tokens or a window below 1, `.token` for an id outside the vocabulary (the last,
    /// predicted only, included).
    public static func transformer(_ model: FastTransformer, text: [Int], window: Int? = nil) throws(TransformerError) -> [Double] {
        guard text.count >= 2 else {
            throw .argument(name: "text", expected: "at least 2 tokens (one to read, one to predict)", got: "\(text.count)")
        }
        if let (position, id) = outside(text, vocabulary: model.vocabularySize) {
            throw .token(position: position, id: id, vocabularySize: model.vocabularySize)
        }
        var cache = try model.emptyCache(capacity: text.count - 1)
        let logits = try model.prefill(Array(text.dropLast()), cache: &cache, window: window)
        return crossEntropies(logits, next: text.dropFirst())
    }

    /// The first token of `text` (predicted ones included) outside 0 ..< vocabulary, and where.
    static func outside(_ text: [Int], vocabulary: Int) -> (position: Int, id: Int)? {
        text.enumerated().first { !(0..<vocabulary).contains($0.element) }.map { ($0.offset, $0.element) }
    }

    /// Row t's cross-entropy against next[t] (rows = next.count, ids in range: the forward
    /// passes above have checked them), in Double.
    static func crossEntropies(_ logits: Matrix<Float>, next: ArraySlice<Int>) -> [Double] {
        let columns = logits.columns
        return zip(0..<logits.rows, next).map { t, target in
            let row = logits.storage[(t * columns)..<((t + 1) * columns)].map(Double.init)
            let peak = row.max() ?? 0
            let logSum = peak + log(row.reduce(0) { $0 + exp($1 - peak) })
            return logSum - row[row.startIndex + target]
        }
    }
}
