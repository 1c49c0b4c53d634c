import FastTraining
import Matrices
import RetNetModel
import Testing
import Transformer

/// A task's loss counts some positions only (`positionWeights`): checked against the Double
/// reference's logits, against the mean over all positions, and by linearity in the weights.
@Suite("Position weights: the loss and predictions at chosen positions")
struct PositionWeightsTests {
    static let sequences = batch(3, length: 9, vocabulary: 37, seed: 71)

    /// Weights of 0 everywhere but 1 at the given (sequence, position) pairs.
    static func weights(at positions: [(Int, Int)]) -> [[Float]] {
        var w = [[Float]](repeating: [Float](repeating: 0, count: 8), count: 3)
        for (b, t) in positions { w[b][t] = 1 }
        return w
    }

    /// −log softmax(logits)[target] of the Double reference at position t of sequence b.
    static func referenceLoss(_ model: Transformer<Float>, _ b: Int, _ t: Int) throws -> (loss: Double, logits: [Double]) {
        let double = try Transformer<Double>.random(config: model.config, seed: 0)
            .with(named: model.named.map { ($0.name, $0.values.map(Double.init)) })
        let logits = try double.forward(sequences[b]).row(t).storage
        let largest = logits.max()!
        let logSum = largest + Double.log(logits.reduce(0) { $0 + Double.exp($1 - largest) })
        return (logSum - logits[sequences[b][t + 1]], logits)
    }

    @Test("One position's weight: the loss is that position's −log p of its target, the prediction its largest logit")
    func onePosition() throws {
        let model = try floatTransformer(raggedConfig(.torchscale), seed: 5)
        let fast = try FastTransformerGradients(threads: 2)
        for (b, t) in [(0, 0), (1, 4), (2, 7)] {
            let (loss, predictions) = try fast.lossAndPredictions(model, sequences: Self.sequences,
                                                                  positionWeights: Self.weights(at: [(b, t)]))
            let expected = try Self.referenceLoss(model, b, t)
            // The Transformer's Float bound on the whole pass (as the gradient tests take it), on a loss of order 1.
            let bound = transformerBound(model, sequences: 3, length: 8)
            #expect(abs(Double(loss) - expected.loss) <= bound * max(1, expected.loss), "(\(b), \(t)): \(loss) vs \(expected.loss)")
            let sorted = expected.logits.sorted(by: >)
            if sorted[0] - sorted[1] > 1e-3 {
                #expect(predictions[b][t] == expected.logits.firstIndex(of: sorted[0]), "(\(b), \(t)): the largest logit")
            }
            #expect(predictions.map(\.count) == [8, 8, 8])
        }
    }

    @Test("Weights of 1 everywhere give the mean loss and its gradients")
    func uniformWeightsAreTheMean() throws {
        let model = try floatModel(raggedConfig(.paper), seed: 9)
        let fast = try FastGradients(threads: 1)
        let plain = try fast.lossAndGradients(model, sequences: Self.sequences)
        let ones = [[Float]](repeating: [Float](repeating: 1, count: 8), count: 3)
        let weighted = try fast.lossAndGradients(model, sequences: Self.sequences, positionWeights: ones)
        // 1/24 rounded once either way, the sum in Double: equal to a few ulp of the loss.
        #expect(abs(weighted.loss - plain.loss) <= 4 * plain.loss.ulp)
        for (a, b) in zip(weighted.gradients.named, plain.gradients.named) {
            #expect(normwiseError(a.values, b.values.map(Double.init)) <= 1e-6, "\(a.name)")
        }
    }

    @Test("The loss of two positions is the mean of each one's, its gradients alike")
    func linearInTheWeights() throws {
        let model = try floatModel(raggedConfig(.torchscale), seed: 13)
        let fast = try FastGradients(threads: 2)
        let a = try fast.lossAndGradients(model, sequences: Self.sequences, positionWeights: Self.weights(at: [(0, 2)]))
        let b = try fast.lossAndGradients(model, sequences: Self.sequences, positionWeights: Self.weights(at: [(2, 6)]))
        let both = try fast.lossAndGradients(model, sequences: Self.sequences, positionWeights: Self.weights(at: [(0, 2), (2, 6)]))
        #expect(abs(Double(both.loss) - (Double(a.loss) + Double(b.loss)) / 2) <= 1e-6 * Double(both.loss))
        for ((g, ga), gb) in zip(zip(both.gradients.named, a.gradients.named), b.gradients.named) {
            let expected = zip(ga.values, gb.values).map { (Double($0) + Double($1)) / 2 }
            // Each backward product's Float rounding (the gradient tests' bound is ~1e-5 at this size).
            if expected.contains(where: { $0 != 0 }) { #expect(normwiseError(g.values, expected) <= 1e-4, "\(g.name)") }
        }
    }

    @Test("Weights of the wrong shape or value are refused, naming what is wrong")
    func badWeights() throws {
        let model = try floatModel(raggedConfig(.paper), seed: 1)
        let fast = try FastGradients(threads: 1)
        var short = Self.weights(at: [(0, 0)])
        short[1].removeLast()
        var negative = Self.weights(at: [(0, 0)])
        negative[2][3] = -1
        var notANumber = Self.weights(at: [(0, 0)])
        notANumber[0][1] = .nan
        for (weights, says) in [(short, "7"), (negative, "-1.0"), (notANumber, "nan"), (Self.weights(at: []), "all 0"),
                                (Array(Self.weights(at: [(0, 0)]).prefix(2)), "2")] {
            #expect {
                _ = try fast.lossAndGradients(model, sequences: Self.sequences, positionWeights: weights)
            } throws: { error in
                guard case RetNetError.argument(_, _, let got) = error else { return false }
                return got == says
            }
        }
    }
}
