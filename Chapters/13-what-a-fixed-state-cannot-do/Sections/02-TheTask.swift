import Matrices
import Notebook
import Recall

extension Chapter13 {
    func theTask(_ nb: Notebook) throws {
        nb.section("The task: multi-query associative recall")
        nb.prose("""
            Zoology (Arora et al. 2023) traced most of the quality gap between attention and
            gated or linear recurrent models at small scale to one skill, associative recall —
            answering with the value that followed a key seen earlier — and made it a synthetic
            task, MQAR: a sequence shows P key–value pairs, then asks for the keys again, and only
            the answers are scored. Based (Arora et al. 2024) framed what it measures as a
            trade-off: recall against the size of the state a model carries from token to token.
            `MQAR` (module `Recall`) generates Zoology's layout from a seed: keys from the lower
            half of the vocabulary, values from the upper half, each key asked once at a slot drawn
            from a power law that favours early slots, filler tokens elsewhere. The weight of each
            prediction is 1 at an answer and 0 elsewhere, and the trainer's loss is Σ w·ℓ / Σ w:
            the same kernels, block and optimiser as chapter 11, with the loss counted where the
            task says (`FastGradients.lossAndGradients(_:sequences:positionWeights:)`).
            """)
        let task = try MQAR(vocabulary: 32, length: 24, pairs: 4, seed: seed)
        let example = task.example(batch: 0, index: 0)
        nb.say("one example (V = 32, T = 24, P = 4; the answers, where the loss counts, in brackets):",
               example.tokens.enumerated().map { t, token in
                   example.answers.contains(t - 1) ? "[\(token)]" : "\(token)"
               }.joined(separator: " "))
        let keys = (0..<task.pairs).map { example.tokens[2 * $0] }, values = (0..<task.pairs).map { example.tokens[2 * $0 + 1] }
        let answered = example.answers.allSatisfy { t in
            keys.firstIndex(of: example.tokens[t]).map { values[$0] == example.tokens[t + 1] } ?? false
        }
        nb.check("every answer is the value its key was shown with, and every key is asked once",
                 answered && Set(example.answers.map { example.tokens[$0] }) == Set(keys),
                 "answers at \(example.answers), keys \(keys), values \(values)")
        nb.prose("""
            The number of pairs is the knob. Attention can look each key up in its KV cache
            whatever P; a fixed state must hold all P pairs in its d_k × d_v numbers per head at
            once, so past some P — the section above says about d_k per head — its answers must
            start to fail, unless the model is made wider.
            """)
    }
}
