import ChapterSupport
import FastRetNet
import FastTraining
import Foundation
import Matrices
import MultiScaleRetention
import Notebook
import Plots
import RetNetModel
import TorchscaleCheckpoint
import Training

extension Chapter11 {
    /// FastGradients (the SIMD kernels) against the reference gradients, within a stated bound.
    func sameGradientsOnTheKernels(_ nb: Notebook, corpus: Corpus, settings: TrainingConfiguration, config: RetNetConfig,
                                   initial: RetNet<Float>, trainer: Trainer<RetNet<Float>>, source: ReferenceGradients) throws {
        nb.section("The same gradients on the kernels")
        nb.prose("""
            Chapter 10's backward pass is written for reading: a loop over the sequences, each
            product a plain matrix product. `retnet train` and the full run below take their
            gradients from `FastGradients` instead: the same backward pass on chapter 08's SIMD
            kernels, the whole batch's rows in each product, and the same bits on any number of
            threads. Both compute in Float, summing in different orders with different exponentials,
            so they agree up to rounding; FastTrainingTests checks `FastGradients` tensor by tensor
            against the Double reference. The tolerance there, on each tensor's norm-wise relative
            error ‖g − g_exact‖/‖g_exact‖, is an error estimate, not a proven bound:
            ε = (10 (2L + 2) √K + T) u, with K the longest sum (here 2E + 2V = 96), whose rounding
            errors add as a random walk, √K u; 2L + 2 passes — forward and backward through the L
            blocks, plus the embedding and the head — each about ten stages that round; T u for γᵀ;
            u = 2⁻²⁴. Two Float results within ε of the exact one are within 2ε of each other.
            Compare them on the first batch of the run above, with the trained model (and the
            kernels on 1 thread against 2: the one-thread result is the test that threads do not
            change the bits):
            """)
        let firstBatch = try BatchSampler(tokens: corpus.train, context: settings.context, batchSize: settings.batchSize, seed: seed).batch(0)
        let slow = try source.lossAndGradients(trainer.model, sequences: firstBatch)
        let fast = try FastGradients(threads: threads).lossAndGradients(trainer.model, sequences: firstBatch)
        let bits = { (result: (loss: Float, gradients: RetNetGradients<Float>)) in
            [result.loss.bitPattern] + result.gradients.tensors.flatMap { $0.values.map(\.bitPattern) }
        }
        let onOne = try FastGradients(threads: 1).lossAndGradients(trainer.model, sequences: firstBatch)
        let onTwo = try FastGradients(threads: 2).lossAndGradients(trainer.model, sequences: firstBatch)
        nb.check("FastGradients gives the same bits on 1 and 2 threads", bits(onOne) == bits(onTwo) && bits(onOne) == bits(fast),
                 "the loss and \(Format.grouped(bits(onOne).count - 1)) gradient entries")
        let longestSum = max(settings.batchSize * settings.context, config.ffnEmbedDim, 2 * config.embedDim + 2 * config.valueEmbedDim,
                             settings.context)
        let epsilon = (10 * Double(2 * config.layers + 2) * Double(longestSum).squareRoot() + Double(settings.context)) * 0x1p-24
        let errors = zip(fast.gradients.tensors, slow.gradients.tensors).map { f, r in
            let difference = zip(f.values, r.values).reduce(0.0) { $0 + Double($1.0 - $1.1) * Double($1.0 - $1.1) }
            let norm = r.values.reduce(0.0) { $0 + Double($1) * Double($1) }
            let matched = f.name == r.name && f.values.count == r.values.count
            return (name: r.name, error: matched ? (difference / norm).squareRoot() : .infinity)
        }
        let worst = errors.max { $0.error < $1.error } ?? (name: "none", error: 0)
        nb.say("loss: reference \(Format.fixed(Double(slow.loss), 7)), kernels \(Format.fixed(Double(fast.loss), 7)); "
               + "largest ‖Δg‖/‖g‖ over the \(errors.count) tensors: \(Format.scientific(worst.error, 1)) (\(worst.name))")
        nb.check("every gradient of FastGradients is within 2ε = \(Format.scientific(2 * epsilon, 1)) of the reference's (norm-wise)",
                 errors.count == initial.parameters.count && worst.error <= 2 * epsilon,
                 "\(Format.scientific(worst.error, 1)) ≤ \(Format.scientific(2 * epsilon, 1)), \(errors.count) tensors")
        nb.check("the two losses agree within ε (a forward pass: half the passes)", Matrix(rows: 1, columns: 1, entries: [Double(fast.loss)]),
                 Matrix(rows: 1, columns: 1, entries: [Double(slow.loss)]), tolerance: .relative(epsilon))
    }
}
