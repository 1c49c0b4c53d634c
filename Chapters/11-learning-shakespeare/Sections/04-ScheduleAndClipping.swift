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
        let quarter = settings.warmupIterations + (iterations - settings.warmupIterations) / 4
        let marks = [0, settings.warmupIterations / 2, settings.warmupIterations, quarter,
                     (settings.warmupIterations + iterations) / 2, iterations]
        nb.table(["step t", "η(t)"], marks.map { [String($0), Format.scientific(schedule.rate(at: $0), 3)] })
        // nanoGPT's get_lr (train.py), transcribed: the reference the schedule is checked against.
        func nanoGPT(_ it: Int) -> Double {
            let (peak, low, warmup, decay) = (settings.learningRate, settings.minLearningRate, settings.warmupIterations, iterations)
            if it < warmup { return peak * Double(it + 1) / Double(warmup + 1) }
            if it > decay { return low }
            let ratio = Double(it - warmup) / Double(decay - warmup)
            let coeff = 0.5 * (1.0 + Double.cos(Double.pi * ratio))
            return low + coeff * (peak - low)
        }
        let worst = (0...iterations + 10).map { abs(schedule.rate(at: $0) - nanoGPT($0)) / nanoGPT($0) }.max() ?? .infinity
        nb.prose("""
            Two checks. Against nanoGPT's `get_lr`, transcribed as it is written (min + c (max − min),
            where `LearningRateSchedule` writes c max + (1 − c) min so that both ends are exact): the
            two differ only by rounding, a few units of 2⁻⁵³. And a point where the shape shows: a
            quarter of the way through the decay, a cosine is still at η_min + 0.854 (η_max − η_min),
            where a linear decay would be at 0.75 of the way:
            """)
        nb.check("η(t) equals nanoGPT's get_lr at every step 0 … \(iterations + 10) within 1e-15 relative", worst <= 1e-15,
                 "largest relative difference \(Format.scientific(worst, 1))")
        let (peak, low) = (settings.learningRate, settings.minLearningRate)
        let cosine = low + 0.5 * (1 + Double.cos(Double.pi * Double(quarter - settings.warmupIterations)
                                                 / Double(iterations - settings.warmupIterations))) * (peak - low)
        let linear = peak - Double(quarter - settings.warmupIterations) / Double(iterations - settings.warmupIterations) * (peak - low)
        nb.check("at t = \(quarter) η is the cosine's \(Format.scientific(cosine, 3)), not the linear \(Format.scientific(linear, 3))",
                 abs(schedule.rate(at: quarter) - cosine) < 1e-3 * abs(cosine - linear),
                 "η(\(quarter)) = \(Format.scientific(schedule.rate(at: quarter), 3))")
        let figurePath = "Figures/training-schedule.svg"
        if page.writePage {
            let plot = LinePlot(
                title: "The learning rate: linear warm-up, cosine decay (the run below)",
                x: try Axis("optimiser step", range: 0...Double(iterations)),
                y: try Axis("learning rate η", range: 0...(peak * 1.1)),
                series: [.init("η(t)", points: (0...iterations).map { (x: Double($0), y: schedule.rate(at: $0)) }, color: "#1f77b4"),
                         .init("a linear decay, for comparison",
                               points: [(Double(settings.warmupIterations), peak), (Double(iterations), low)], color: "#888888", dashed: true)])
            try plot.svg().write(to: Self.root.appendingPathComponent(figurePath), atomically: true, encoding: .utf8)
        }
        nb.figure(figurePath, caption: """
            The schedule of the run below: \(settings.warmupIterations) warm-up steps to \(Format.scientific(peak, 0)), a cosine to
            \(Format.scientific(low, 0)) at step \(iterations). Written by `chapter11 --write-page`.
            """)
    }
}
