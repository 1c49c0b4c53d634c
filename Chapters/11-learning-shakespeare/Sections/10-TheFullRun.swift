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
    /// nanoGPT's budget on the kernels (`--full-run`, release builds, terminal only; see `FullRun`).
    func theFullRun(_ nb: Notebook) throws {
        nb.section("The full run")
        nb.prose("""
            The run above is sized for a debug build. nanoGPT's CPU example — 4 layers, 4 heads,
            width 128, context 64, batch 12, 2,000 steps, `retnet train`'s defaults — takes minutes in
            a release build, and one command trains that RetNet and its Transformer baseline of the
            same width, layers and heads identically (the same seed, batches, schedule and
            evaluations), both on the kernels (`FastGradients`, `FastTransformerGradients`) on
            `--threads` threads: `swift run -c release chapter11 --full-run`. It prints each run's
            progress as `retnet train` does (step, loss, the latest validation loss, tokens/s, time
            left), then the final losses and a sample of each model after "ROMEO:" — the RetNet's
            decoded recurrently from its state, the Transformer's with nanoGPT's sliding window over its
            64-token training context, as `retnet generate` runs it — and draws both
            models' loss curves into `Figures/training-full-measured.svg`, with the machine, the
            date, the threads, the wall times, the final validation losses and the parameter counts
            in its caption. nanoGPT reports a validation loss of 1.88 for its Transformer at this
            budget. Those numbers are this machine's measurement: they stay off this page, and
            neither `swift run figures` nor CI writes or compares that figure.
            """)
        if fullRun {
            try FullRun.run(nb, iterations: fullRunIterations, threads: threads, root: Self.root)
        } else {
            nb.measured("(not run: add --full-run to a release build)", onPage: "(the full run: in a terminal, with --full-run)")
        }
    }
}
