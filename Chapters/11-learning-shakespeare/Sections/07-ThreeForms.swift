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
    /// The trained model's validation loss in its three forms. Returns the trained model.
    func oneModelThreeForms(_ nb: Notebook, corpus: Corpus, settings: TrainingConfiguration, trainer: Trainer<RetNet<Float>>)
        throws -> RetNet<Float> {
        nb.section("One model, three forms")
        nb.prose("""
            The model was trained in the parallel form, but it is a RetNet: the recurrent and
            chunkwise forms compute the same function. Recompute the validation loss of the trained
            model on 8 of the evaluation windows in each form, in Float, and in Double as the
            reference. In Float each form rounds differently — sums in another order, the recurrent
            state rounded at every step — but the norms keep every value near 1, so each loss, a mean
            of 128 log-probabilities, stays within a few unit roundoffs (6e-8) of the Double one. The
            bound 1e-6, about 17 roundoffs, leaves room for other seeds and lengths; a wrong decay
            or a missing term would be off by 1e-2 or more.
            """)
        let validation = try BatchSampler(tokens: corpus.validation, context: settings.context, batchSize: 8, seed: seed).batch(0)
        func meanLoss<E: RealScalar>(_ model: RetNet<E>, _ form: RetentionForm) throws -> Double {
            try validation.reduce(0.0) { $0 + Double(try model.loss($1, form: form)) } / Double(validation.count)
        }
        let trained = trainer.model
        let reference = try meanLoss(try trained.converted(to: Double.self), .parallel)
        var formLosses: [(String, Double)] = []
        for (name, form) in [("parallel", RetentionForm.parallel), ("recurrent", .recurrent), ("chunkwise (B = 5)", .chunkwise(chunkSize: 5))] {
            formLosses.append((name, try meanLoss(trained, form)))
        }
        nb.table(["form", "validation loss (Float)", "relative to Double"],
                 formLosses.map { [$0.0, Format.fixed($0.1, 6), Format.scientific(abs($0.1 - reference) / reference, 1)] })
        nb.check("the three forms' validation losses agree with the Double parallel loss",
                 Matrix(rows: 1, columns: 3, entries: formLosses.map(\.1)),
                 Matrix(rows: 1, columns: 3, entries: [reference, reference, reference]), tolerance: .relative(1e-6))
        return trained
    }
}
