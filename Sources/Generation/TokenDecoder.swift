import Matrices
import RetNetModel
import Transformer

/// A decoder that generates text one token at a time, as the generation loop
/// (``TokenDecoder/generate(prompt:count:sampler:context:)``) drives it: read a sequence from
/// position 0 into a fresh cache, then read one token after another into that cache.
///
/// For a sequence x₁ … x_n the logits ℓ_t (one per id, `vocabularySize` of them) are the
/// model's prediction of x_{t+1} from x₁ … x_t. `read(x₁ … x_n)` returns ℓ_n and a cache that
/// holds what the model keeps of x₁ … x_n (a RetNet's recurrent state, a Transformer's keys
/// and values); `step(x_{n+1}, cache:)` returns ℓ_{n+1} and moves the cache on by one token.
/// Each conformance keeps its model's own arithmetic: the logits are the numbers the model's
/// prefill and decoding step compute, bit for bit.
public protocol TokenDecoder {
    /// The precision of the logits (Double or Float).
    associatedtype Scalar: RealScalar
    /// What the model keeps of the tokens read so far.
    associatedtype Cache
    /// The model's error, which also reports the loop's argument checks.
    associatedtype Failure: GenerationFailure

    /// The number of token ids the model reads: every id is in 0..<vocabularySize, and every
    /// row of logits has vocabularySize entries.
    var vocabularySize: Int { get }

    /// Reads `tokens` (at least one, each in the vocabulary) from position 0: the logits ℓ_n of
    /// the last one and a fresh cache holding all of them, with room for `capacity` ≥ n tokens
    /// in all (a cache of fixed size allocates that much; the others ignore it).
    func read(_ tokens: [Int], capacity: Int) throws(Failure) -> (logits: [Scalar], cache: Cache)

    /// Reads `token` at the position after the tokens in `cache`: its logits, and `cache` moved
    /// on by one token.
    func step(_ token: Int, cache: inout Cache) throws(Failure) -> [Scalar]
}

/// An error a ``TokenDecoder`` throws, in which the generation loop also reports a bad argument
/// and a prompt token outside the vocabulary (`RetNetError` and `TransformerError` have both
/// cases, so the loop's messages are the models' own).
public protocol GenerationFailure: Error {
    /// An argument out of range: its name, what was expected, what was given.
    static func argument(name: String, expected: String, got: String) -> Self
    /// tokens[position] = id is not in 0..<vocabularySize.
    static func token(position: Int, id: Int, vocabularySize: Int) -> Self
}

extension RetNetError: GenerationFailure {}
extension TransformerError: GenerationFailure {}
