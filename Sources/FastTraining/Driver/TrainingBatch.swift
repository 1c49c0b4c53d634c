/// The sequences of one training step, checked and flattened: B sequences of T + 1 tokens give
/// B·T rows, row b·T + t holding token t of sequence b as input and token t + 1 as its target.
///
/// The last token of a sequence is only ever a target: the model is causal, so the row it
/// would be the input of changes no other row, and its logits have no next token to predict.
/// The forward pass therefore runs on T tokens per sequence, not T + 1, and computes the same
/// loss and the same gradients as the reference's pass over all T + 1.
struct TrainingBatch {
    /// B.
    let sequences: Int
    /// T: tokens read (and predictions made) per sequence.
    let length: Int
    /// B·T input tokens, sequence after sequence.
    let inputs: [Int]
    /// B·T targets: the token after each input.
    let targets: [Int]

    /// B·T.
    var rows: Int { sequences * length }

    /// Throws `.argument` for no sequence, a first sequence of fewer than 2 tokens, or a sequence
    /// whose length differs from the first's; `.token` for an id outside 0..<vocabularySize.
    init<Failure: BatchRefusal>(_ sequences: [[Int]], vocabularySize: Int, refusing: Failure.Type) throws(Failure) {
        guard let first = sequences.first else {
            throw Failure.argument(name: "sequences", expected: "at least one sequence", got: "none")
        }
        guard first.count >= 2 else {
            throw Failure.argument(name: "sequences[0]", expected: "at least 2 tokens (the loss predicts each next token)",
                            got: "\(first.count)")
        }
        for (index, sequence) in sequences.enumerated() {
            guard sequence.count == first.count else {
                throw Failure.argument(name: "sequences[\(index)]", expected: "\(first.count) tokens (the length of sequences[0])",
                                got: "\(sequence.count)")
            }
            for (position, id) in sequence.enumerated() where id < 0 || id >= vocabularySize {
                throw Failure.token(position: position, id: id, vocabularySize: vocabularySize)
            }
        }
        self.sequences = sequences.count
        length = first.count - 1
        // One allocation each, whatever B and T (flatMap's would grow geometrically).
        var (inputs, targets) = ([Int](), [Int]())
        inputs.reserveCapacity(sequences.count * length)
        targets.reserveCapacity(sequences.count * length)
        for sequence in sequences {
            for t in 0..<length {
                inputs.append(sequence[t])
                targets.append(sequence[t + 1])
            }
        }
        (self.inputs, self.targets) = (inputs, targets)
    }
}
