import ChapterSupport
import DecodingCosts
import Matrices
import Notebook
import RetNetModel
import Transformer

extension Chapter09 {
    /// What a clock says (`--measure`, release builds, terminal only): `DecodeMeasurement` times
    /// both fast batch decoders.
    func measuredOnThisMachine(_ nb: Notebook) throws {
        nb.section("Measured on this machine")
        nb.prose("""
            Counting says what a step must read; a clock says what it takes. With
            `swift run -c release chapter09 --measure` the fast Float batch decoders (`FastRetNet.BatchDecoder`
            and `FastTransformer.Decoder`, each step one read of the weights for all B sequences) of
            the benchmark shape are timed at contexts 128 … 8,192 and
            batches 1 … 16, printed as tables and drawn into `Figures/decode-latency-measured.svg` and
            `Figures/decode-throughput-measured.svg` beside what these counts predict from the
            measured read bandwidth and FMA peak. The timings stay off this page: they differ from
            run to run and machine to machine.
            """)
        if measure {
            try DecodeMeasurement.run(nb, shape: DecodingCost.benchmarkShape, threads: threads, batchContext: measureContext, seed: seed)
        } else {
            nb.measured("(not measured: add --measure to a release build)", onPage: "(timings: measured with --measure, in a terminal)")
        }
    }
}
