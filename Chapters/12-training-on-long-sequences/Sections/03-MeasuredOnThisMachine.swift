import Matrices
import Notebook

extension Chapter12 {
    /// The paper's Table 4 quoted, and what a clock says here (`--measure`, release builds, terminal only).
    func measuredOnThisMachine(_ nb: Notebook) throws {
        nb.section("Measured, here and in the paper")
        nb.prose("""
            The paper measures a training step at 8,192 tokens (its Table 4, arXiv 2307.08621v4:
            8 Nvidia A100-80GB GPUs, RetNet in the chunkwise form with chunks of 512; memory in GB and
            throughput in words per second):
            """)
        nb.table(["model size", "memory: Trm", "Trm+FlashAttn", "RetNet", "throughput: Trm", "Trm+FlashAttn", "RetNet"],
                 Self.paperTable4.map { [$0.size] + $0.memory.map { String($0) } + $0.throughput.map { String($0) } })
        let memory = Self.paperTable4.map { 100 * (1 - $0.memory[2] / $0.memory[1]) }
        let speed = Self.paperTable4.map { 100 * ($0.throughput[2] / $0.throughput[1] - 1) }
        func span(_ values: [Double]) -> String { "\(Format.fixed(values.min()!, 1))–\(Format.fixed(values.max()!, 1))%" }
        nb.prose("""
            FlashAttention already takes most of the Transformer's memory and time back; by the table,
            the RetNet's advantage over it is \(span(memory)) less memory and \(span(speed)) more
            throughput. On a CPU the same comparison
            is `swift run -c release chapter12 --measure`: one training step (forward and backward, loss
            and every gradient) of each form at batch 1 for n = 256 … 16,384 (the parallel and naive
            forms to 4,096, the tiled to 8,192: the scratch and the work above grow as n²), printed as a
            table, drawn into `Figures/training-throughput-measured.svg` and
            `Figures/training-memory-measured.svg` (memory: the head buffers the step allocated, kept
            and scratch), and written as a dated record naming the machine into `benchmarks/` beside
            this page. The timings stay off the page: they differ from run to run and machine to machine.
            """)
        if measure {
            try TrainingMeasurement.run(nb, threads: threads, seed: seed)
        } else {
            nb.measured("(not measured: add --measure to a release build)", onPage: "(timings: measured with --measure, in a terminal)")
        }
    }

    /// The paper's Table 4, as printed: memory (GB) and throughput (wps) of Trm, Trm+FlashAttn and RetNet.
    static let paperTable4: [(size: String, memory: [Double], throughput: [Double])] = [
        ("1.3B", [74.8, 38.8, 34.5], [10_832.4, 63_965.2, 73_344.8]),
        ("2.7B", [69.6, 42.1, 42.0], [5_186.0, 34_990.2, 38_921.2]),
        ("6.7B", [69.0, 51.4, 48.0], [2_754.4, 16_230.1, 17_458.6]),
        ("13B", [61.4, 46.3, 45.9], [1_208.9, 7_945.1, 8_642.2]),
    ]
}
