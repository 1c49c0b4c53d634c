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
    /// B·T weights of the rows' losses, summing to 1, when only some predictions count (a task's
    /// answer positions); nil for the mean over all rows.
    let weights: [Float]?

    /// B·T.
    var rows: Int { sequences * length }

    /// Throws `.argument` for no sequence, a first sequence of fewer than 2 tokens, or a sequence
    /// whose length differs from the first's; `.token` for an id outside 0..<vocabularySize.
    /// `positionWeights`, when given, holds for each sequence the weight of each of its T
    /// predictions (finite, ≥ 0, not all 0; `.argument` otherwise); they are scaled to sum to 1.
    init<Failure: BatchRefusal>(_ sequences: [[Int]], positionWeights: [[Float]]? = nil, vocabularySize: Int,
                                refusing: Failure.Type) throws(Failure) {
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
        if let positionWeights {
            weights = try Self.normalised(positionWeights, sequences: sequences.count, length: length, refusing: Failure.self)
        } else {
            weights = nil
        }
    }

    /// The B·T weights of `positionWeights`, scaled to sum to 1 (summed in Double, row order).
    private static func normalised<Failure: BatchRefusal>(_ positionWeights: [[Float]], sequences: Int, length: Int,
                                                          refusing: Failure.Type) throws(Failure) -> [Float]
    {
        guard positionWeights.count == sequences else {
            throw Failure.argument(name: "positionWeights", expected: "one row per sequence (\(sequences))", got: "\(positionWeights.count)")
        }
        var total: Double = 0
        for (index, row) in positionWeights.enumerated() {
            guard row.count == length else {
                throw Failure.argument(name: "positionWeights[\(index)]", expected: "\(length) weights (one per prediction)",
                                       got: "\(row.count)")
            }
            for w in row {
                guard w.isFinite && w >= 0 else {
                    throw Failure.argument(name: "positionWeights[\(index)]", expected: "finite weights ≥ 0", got: "\(w)")
                }
                total += Double(w)
            }
        }
        guard total > 0 else {
            throw Failure.argument(name: "positionWeights", expected: "at least one weight > 0", got: "all 0")
        }
        return positionWeights.flatMap { $0.map { Float(Double($0) / total) } }
    }
}
