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
    /// The learning-rate schedule (warm-up, cosine decay) and gradient clipping.
    func scheduleAndClipping(_ nb: Notebook, settings: TrainingConfiguration) throws {
        nb.section("The schedule and clipping")
        nb.prose("""
            The learning rate rises linearly over a warm-up — Adam's v is a poor estimate in the
            first steps, and large steps then can wreck the random initialisation — then falls along a
            cosine to a tenth of its peak (nanoGPT's `get_lr`). Before each step the gradients are
            clipped: when their norm over all weights together exceeds 1, all are scaled down to norm
            1, so one unlucky batch cannot throw the weights far.
            """)
        nb.equation("η(t) = η_max (t + 1)/(w + 1) for t < w;   η(t) = η_min + ½ (1 + cos(π (t − w)/(T − w))) (η_max − η_min) for t ≥ w",
                    latex: #"\eta(t) = \eta_{\max} \frac{t+1}{w+1} \ (t < w), \qquad \eta(t) = \eta_{\min} + \tfrac12\left(1 + \cos \frac{\pi (t-w)}{T-w}\right)(\eta_{\max} - \eta_{\min}) \ (t \ge w)"#)
        let schedule = try settings.schedule()
        let marks = [0, settings.warmupIterations / 2, settings.warmupIterations, (settings.warmupIterations + iterations) / 2, iterations]
        nb.table(["step t", "η(t)"], marks.map { [String($0), Format.scientific(schedule.rate(at: $0), 3)] })
        nb.check("η(w) = η_max and η(T) = η_min", schedule.rate(at: settings.warmupIterations) == settings.learningRate
                 && schedule.rate(at: iterations) == settings.minLearningRate,
                 "η(\(settings.warmupIterations)) = \(Format.scientific(schedule.rate(at: settings.warmupIterations), 3)), "
                 + "η(\(iterations)) = \(Format.scientific(schedule.rate(at: iterations), 3))")
    }
}
