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
    /// The trained model's logits in its three forms against the Double parallel form. Returns the
    /// trained model.
    func oneModelThreeForms(_ nb: Notebook, corpus: Corpus, settings: TrainingConfiguration, trainer: Trainer<RetNet<Float>>)
        throws -> RetNet<Float> {
        nb.section("One model, three forms")
        let trained = trainer.model
        let config = trained.config
        let longestSum = max(config.ffnEmbedDim, 2 * config.embedDim + 2 * config.valueEmbedDim, settings.context)
        let epsilon = (10 * Double(config.layers + 1) * Double(longestSum).squareRoot() + Double(settings.context)) * 0x1p-24
        nb.prose("""
            The model was trained in the parallel form, but with exact retention it is one function
            in three forms: the recurrent and chunkwise forms must give its logits too. Compute the
            logits of the trained model on 8 of the validation windows in each form, in Float, and in
            Double in the parallel form as the reference. In Float each form rounds differently —
            sums in another order, the recurrent state rounded at every step — so the tolerance is
            the error estimate of the section above for a forward pass alone (L + 1 passes instead
            of 2L + 2): ε = (10 (L + 1) √K + T) u = \(Format.scientific(epsilon, 1)), relative to the
            largest logit. A wrong decay or a missing term at a single position would be off by
            1e-2 or more.
            """)
        let validation = try BatchSampler(tokens: corpus.validation, context: settings.context, batchSize: 8, seed: seed).batch(0)
        func logits<E: RealScalar>(_ model: RetNet<E>, _ form: RetentionForm) throws -> Matrix<Double> {
            var rows: [Double] = [], count = 0, columns = 0
            for window in validation {
                let l = try model.logits(Array(window.dropLast()), form: form)
                rows += l.storage.map { Double($0) }
                count += l.rows
                columns = l.columns
            }
            return Matrix(rows: count, columns: columns, entries: rows)
        }
        let reference = try logits(try trained.converted(to: Double.self), .parallel)
        var forms: [(String, Matrix<Double>)] = []
        for (name, form) in [("parallel", RetentionForm.parallel), ("recurrent", .recurrent), ("chunkwise (chunks of 5)", .chunkwise(chunkSize: 5))] {
            forms.append((name, try logits(trained, form)))
        }
        let largest = reference.storage.map(abs).max() ?? 1
        nb.table(["form", "logits (Float)", "max |Δ| / max |logit| against Double"],
                 forms.map { name, l in
                     [name, "\(l.rows)×\(l.columns)",
                      Format.scientific((zip(l.storage, reference.storage).map { abs($0 - $1) }.max() ?? 0) / largest, 1)]
                 })
        for (name, l) in forms {
            nb.check("\(name): the Float logits agree with the Double parallel logits within ε", l, reference, tolerance: .relative(epsilon))
        }
        return trained
    }
}
