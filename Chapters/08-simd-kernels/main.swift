import ArgumentParser
import ChapterSupport
import FastRetention
import Kernels
import Matrices
import Measuring
import Notebook
import Retention

struct Chapter08: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "chapter08",
        abstract: "08 — SIMD kernels: a ladder from naive loops to packed micro-kernels (a register tile per instruction set) on two threads, each rung checked, then timed.",
        discussion: "Speeds mean something only in a release build: swift run -c release chapter08 --size 1024")

    @Option(help: "n: the GEMM ladder multiplies n×n matrices (small by default, so that a debug build runs fast).")
    var size = 100

    @Option(help: "Threads for the last rung (1...64).")
    var threads = 2

    @Option(help: "Sequence length n of the retention kernels.")
    var length = 77

    @Option(help: "Width d = d_k = d_v of the retention kernels' queries, keys and values.")
    var dim = 40

    @Option(help: "Chunk size B of the chunkwise retention kernel.")
    var chunkSize = 16

    @Option(help: "Seed of the random inputs.")
    var seed: UInt64 = 8

    @OptionGroup var page: PageOptions

    func validate() throws {
        try FlagCheck.range(size, in: 1...4_096, flag: "--size")
        try FlagCheck.range(threads, in: 1...64, flag: "--threads")
        try FlagCheck.range(length, in: 1...4_096, flag: "--length")
        try FlagCheck.range(dim, in: 1...512, flag: "--dim")
        try FlagCheck.chunkSize(chunkSize)
    }

    func run() throws {
        let nb = Notebook(title: "08 — SIMD kernels", command: "chapter08", options: page)
        try narrate(nb)
        try nb.finish()
    }

    func narrate(_ nb: Notebook) throws {
        nb.prose("""
            Chapters 03–05 computed retention with clear loops over a reference matrix type. Speed comes
            from matrix products, so this chapter climbs a ladder of them, from the three textbook loops
            to a kernel that keeps the machine's fused multiply–add units busy — each rung first checked
            against the exact product, then timed. Timings appear only in the terminal, never on this
            page, and mean something only in a release build:
            `swift run -c release chapter08 --size 1024`.
            """)

        nb.section("The ceiling: the machine's FMA peak")
        nb.prose("""
            A fused multiply–add c ← c + a·b rounds once and counts as two flops. A core issues a few
            vector FMAs per cycle, each on 8 or 16 floats, with a latency of several cycles: only
            independent chains keep it busy. Six chains of `SIMD16<Float>` FMAs, timed on one thread and
            on all of them, are the ceiling no product can pass; every speed below is given as a share
            of it.
            """)
        let timing = !nb.writesPage  // measured in the terminal only: a page is a deterministic transcript
        let peakOne = timing ? try FMAPeak.measure(threads: 1) : 0
        let peakAll = timing ? try FMAPeak.measure(threads: threads) : 0
        #if DEBUG
        let build = "\n(a debug build: its speeds say nothing about the kernels; use swift run -c release chapter08)"
        #else
        let build = ""
        #endif
        nb.measured("FMA peak: \(Format.fixed(peakOne / 1e9, 1)) GFLOP/s on one thread, "
                    + "\(Format.fixed(peakAll / 1e9, 1)) GFLOP/s on \(threads)" + build,
                    onPage: "FMA peak: measured when run in a terminal.")

        nb.section("Six rungs, one product")
        nb.prose("""
            C = A B for n×n Float matrices, C_ij = Σ_p A_ip B_pj, six ways (each one function of the
            `Kernels` module, `GEMM.naive` … `GEMM.threaded`):

            1. **naive** (loops i, j, k): a dot product per entry; the inner loop walks down a column of B,
               a new cache line per step.
            2. **loop order** (i, k, j): the same products and sums in the same order — only the memory
               walk changes, along rows of B and C.
            3. **SIMD16**: the i-k-j loops, 16 columns of C per `SIMD16<Float>` fused multiply–add.
            4. **packed 6×16 micro-kernel**: blocks of A and B copied into strips laid out in the order
               they are read, and a 6×16 tile of C kept in six SIMD16 accumulators for a block of k_c
               terms at a time — the tile sized for AVX2's registers.
            5. **packed 12×32 micro-kernel**: the same packing, a 12×32 tile in 24 accumulators — the
               tile sized for AVX-512's.
            6. **threads**: the rows of C split between threads, each running the packed kernel with
               the tile this machine picks (below) on its band.
            """)
        nb.prose("""
            Every rung sums the same k terms, in some order, with some roundings. Whatever the order,
            each entry is within γ_k (|A||B|)_ij of the exact product, γ_k = k u/(1 − k u), u = 2⁻²⁴ —
            the classical bound, which cancellation cannot fool because it scales by |A||B|, not |C|.
            The exact product is the same sum in Double (each Float product is exact there).
            """)
        let n = size
        var rng = SplitMix64(seed: seed)
        let a = (0..<n * n).map { _ in Float(rng.nextGaussian()) }
        let b = (0..<n * n).map { _ in Float(rng.nextGaussian()) }
        let accuracy = try GEMMAccuracy(a, b, m: n, n: n, k: n)
        var products: [GEMM.Rung: [Float]] = [:]
        var rows: [[String]] = []
        for rung in GEMM.Rung.allCases {
            let c = try GEMM.product(rung, a, b, m: n, n: n, k: n, threads: threads)
            products[rung] = c
            let error = accuracy.error(of: c)
            rows.append([rung.title, Format.scientific(error.ratio, 2), Format.scientific(accuracy.bound, 2)])
            nb.check("\(rung.title) = A B within γ_k (|A||B|)", error.ratio <= accuracy.bound,
                     "max |Δ|/(|A||B|) \(Format.scientific(error.ratio)) ≤ \(Format.scientific(accuracy.bound))"
                        + (error.ratio <= accuracy.bound ? "" : " FAILS at C[\(error.index / n), \(error.index % n)]"))
        }
        nb.table(["rung (\(n)×\(n)×\(n))", "max |Δ|/(|A||B|)", "bound γ_k"], rows)
        nb.prose("""
            Three claims are stronger than the bound. The loop order performs the naive rung's very
            operations in the very order, so it is bit for bit the same. The SIMD rung and both packed
            kernels run each entry's fused chain from 0 through the terms in order, so they agree bit
            for bit as long as k fits one block of k_c terms (k_c is at least 128, and n here is
            smaller): the tile decides which entries are computed together, never in what order an
            entry's terms are added. And threads only split rows, never a sum: the threaded product is
            bit for bit the one-thread product with the same tile, for any thread count.
            """)
        let identical = { (x: [Float], y: [Float]) in x.count == y.count && zip(x, y).allSatisfy { $0.bitPattern == $1.bitPattern } }
        nb.check("loop order = naive, bit for bit", identical(products[.loopOrder]!, products[.naive]!), "all \(Format.grouped(n * n)) entries")
        let depths = GEMM.Rung.allCases.compactMap { $0.blocking?.depth }
        if depths.allSatisfy({ n <= $0 }) {
            for rung in [GEMM.Rung.blocked, .blockedWide] {
                nb.check("\(rung.title) = SIMD16, bit for bit (k within one block)", identical(products[rung]!, products[.simd]!),
                         "all \(Format.grouped(n * n)) entries")
            }
        }
        let oneThread = try GEMM.product(.threaded, a, b, m: n, n: n, k: n, threads: 1)
        nb.check("\(threads) threads = 1 thread, bit for bit", identical(products[.threaded]!, oneThread),
                 "all \(Format.grouped(n * n)) entries")

        nb.section("What a product asks of the machine")
        nb.prose("""
            Before the clock, the facts that do not change from run to run: the work, the data, and the
            tiles the packed kernels keep in registers. Every rung does the same 2n³ flops on the same
            3n² floats; what separates them is how often each float comes back from memory.
            """)
        let bytes = 3 * n * n * MemoryLayout<Float>.size
        nb.table(["", "value"], [
            ["flops per product, 2n³", Format.grouped(2 * n * n * n)],
            ["bytes of A, B and C, 3n²·4", Format.grouped(bytes)],
            ["flops per byte if each float were read once", Format.fixed(Double(2 * n * n * n) / Double(bytes), 1)],
        ])

        nb.section("A register tile per instruction set")
        nb.prose("""
            A micro-kernel step loads a row of the packed B strip (the tile's columns), broadcasts a
            column of the packed A strip (its rows), and adds their outer product to the tile with
            rows × columns/16 SIMD16 FMAs. Two constraints size the tile. Its accumulators, the B
            vectors and a broadcast must all stay in vector registers. And it must hold enough
            independent chains to keep the FMA units busy: an FMA's result is ready only some cycles
            after it issues (its latency, 4 on current x86-64 cores), and a core has two FMA units, so
            latency × units = 8 chains of the units' width must be in flight.

            AVX2 has 16 registers of 256 bits, and a SIMD16 of Float takes two: the 6×16 tile's six
            accumulators are 12 registers and 12 chains. AVX-512 has 32 registers of 512 bits, one
            SIMD16 each: there the 6×16 tile uses 8 of 32 registers and keeps 6 chains in flight — too
            few for two 512-bit FMA units (Intel's server cores), just enough where a 512-bit FMA runs
            on two 256-bit units (AMD Zen 4: 4 chains needed), and even there it spends a load or a
            broadcast on every FMA and a bit more. The 12×32 tile, two SIMD16s per row, keeps 24
            chains in flight in 27 registers, and every broadcast of A feeds two FMAs.
            """)
        nb.table(["tile", "SIMD16 accumulators", "flops per step / floats loaded", "AVX2 registers (of 16)",
                  "AVX-512 registers (of 32)", "chains in flight (AVX2 / AVX-512)"],
                 RegisterTile.allCases.map { tile in
            // Accumulators and B vectors, one broadcast register: a SIMD16 is two AVX2 registers.
            let avx2 = 2 * (tile.accumulators + tile.columns / 16) + 1, avx512 = tile.accumulators + tile.columns / 16 + 1
            return ["\(tile.rows)×\(tile.columns)", "\(tile.accumulators)",
                    "\(2 * tile.rows * tile.columns) / \(tile.rows + tile.columns)",
                    avx2 <= 16 ? "\(avx2)" : "\(avx2): spills", "\(avx512)",
                    (avx2 <= 16 ? "\(2 * tile.accumulators)" : "–") + " / \(tile.accumulators)"]
        })
        let (narrow, wide) = (RegisterTile.avx2, RegisterTile.avx512)
        let narrowRegisters = 2 * (narrow.accumulators + narrow.columns / 16) + 1
        let wideRegisters = wide.accumulators + wide.columns / 16 + 1
        nb.check("the 6×16 tile fits AVX2's 16 registers, with 8 or more chains in flight",
                 narrowRegisters <= 16 && 2 * narrow.accumulators >= 8,
                 "\(narrowRegisters) registers, \(2 * narrow.accumulators) chains")
        nb.check("the 12×32 tile fits AVX-512's 32 registers, with 8 or more chains in flight",
                 wideRegisters <= 32 && wide.accumulators >= 8, "\(wideRegisters) registers, \(wide.accumulators) chains")
        nb.prose("""
            Swift cannot compile conditionally on CPU features (there is `#if arch(x86_64)`, nothing
            like `#if avx512f`), so the package chooses when it runs, once: the 12×32 tile where the
            CPU reports AVX-512 Foundation (`avx512f` in Linux's /proc/cpuinfo), 6×16 everywhere else.
            Release builds target the building machine's CPU (`-march=native`), so the machine that runs
            them reports what they were compiled for. The block sizes follow the caches Linux reports in
            /sys/devices/system/cpu/cpu0/cache: k_c so that a strip of A for the tallest tile (12 rows)
            fills all but two ways of the L1 data cache, as BLIS sizes its L1 operand — one k_c for both
            tiles, so that the tile never changes a rounding — n_c so that a B panel takes half of L2,
            m_c so that a block of A takes half the core's share of L3; k_c = n_c = 384 where the caches
            cannot be read. Both depend on the machine, so they are shown only in a terminal:
            """)
        let blocking = GEMMBlocking.selected
        let features = CPUFeatures.current
        let reported = ["avx2", "fma", "avx512f"].map { "\($0) \(features.has($0) ? "yes" : "no")" }.joined(separator: ", ")
        let caches = CacheSizes.current.map { c in
            "L1d \(Format.grouped(c.level1 / 1024)) KiB (\(c.level1Ways)-way), L2 \(Format.grouped(c.level2 / 1024)) KiB"
                + (c.level3.map { ", L3 \(Format.grouped($0 / 1024)) KiB shared by \(c.level3Sharing) CPUs" } ?? ", no L3")
        } ?? "unreadable (the fallback sizes apply)"
        nb.measured("""
            this machine reports \(reported): the \(blocking.tile.rows)×\(blocking.tile.columns) tile \
            (\(blocking.tile.instructionSet)).
            caches: \(caches).
            blocks: k_c = \(blocking.depth) (A strip \(Format.grouped(blocking.tile.rows * blocking.depth * 4 / 1024)) KiB), \
            n_c = \(blocking.columns) (B panel \(Format.grouped(blocking.depth * blocking.columns * 4 / 1024)) KiB), \
            m_c = \(blocking.rows) rows.
            """, onPage: "This machine's tile, caches and block sizes: shown when run in a terminal.")

        nb.section("How fast each rung runs here")
        nb.prose("""
            Each rung's median time over a few runs, as GFLOP/s (2n³ flops per product) and as a share
            of the peak measured above (one thread's peak, or all threads' for the last rung). For a
            peer, `Sources/bench/compare_gemm.py` runs the packed kernel (`--tiles 6x16 12x32`: with
            each tile) and numpy's OpenBLAS side by side and prints their ratios beside the tile we ran
            and the kernel OpenBLAS chose; dated records of those ratios, and of the whole model against
            torchscale, each on one named machine, are kept beside this page in `benchmarks/` — the
            6×16 tile alone in `2026-12-01-amd-epyc-zen4.md`, both tiles in
            `2026-12-01-amd-epyc-zen4-register-tiles.md` (timings stay off the page itself: they change
            from run to run).
            """)
        try nb.measuredTable(["rung", "median time", "GFLOP/s", "% of peak"], try GEMM.Rung.allCases.map { rung in
            var c = [Float](repeating: 0, count: n * n)
            let seconds = try Stopwatch.median(repetitions: 3, budget: 0, maximum: 3) {
                try GEMM.multiply(rung, a, b, into: &c, m: n, n: n, k: n, threads: threads)
            }
            let rate = GEMM.flops(m: n, n: n, k: n) / seconds
            let peak = rung == .threaded ? peakAll : peakOne
            let tile = rung == .threaded ? ", \(GEMMBlocking.selected.tile.rawValue)" : ""
            return [rung.title + (rung == .threaded ? " (\(threads)\(tile))" : ""), Format.fixed(seconds * 1e3, 2) + " ms",
                    Format.fixed(rate / 1e9, 1), Format.fixed(100 * rate / peak, 1) + "%"]
        }, onPage: "(timings: measured when run in a terminal)")

        nb.section("Why the build needs a target CPU")
        nb.prose("""
            Compiled for the baseline x86-64 (SSE2, no FMA instruction), `SIMD16<Float>.addingProduct`
            becomes sixteen calls to the C library's `fmaf`, one per lane: two orders of magnitude slower.
            So Package.swift gives the `Kernels` target `-Xcc -march=native` in release builds (x86-64
            only): the clang importer's target features reach Swift's code generator, and the FMAs
            compile to `vfmadd231ps`. (`-target-cpu native` does the same; naming a CPU such as `znver4`
            instead may enable instructions the machine does not actually offer.) Debug builds stay
            portable, and get the same results: `fmaf` rounds exactly like the instruction. To see it:
            `objdump -d .build/release/chapter08 | grep -c vfmadd231ps`.
            """)

        nb.section("Retention kernels")
        nb.prose("""
            The same tools make the three forms of retention fast (`RetentionKernels`), each checked
            against the reference forms of chapters 03–05 run in Double:

            - **parallel**: for each query row, scores for 16 keys at a time (one SIMD16 chain over d_k),
              times 16 consecutive entries of one table [γ^{n−1}, …, γ, 1, 0, …, 0] — row t of D is a
              slice of it, so the decay and the causal mask come on the fly; key blocks past the
              diagonal are never computed, and no n×n matrix is stored.
            - **tiled parallel**: the same sum as GEMMs. Cut Q, K and V into tiles of 128 rows; for
              each tile pair on or below the diagonal, S = Q_i K_jᵀ on the packed GEMM, S times the
              slice of the same table (which also zeroes the masked half of a diagonal tile), then
              O_i += S V_j on the packed GEMM. Tiles above the diagonal are never computed; K_j and
              V_j are packed once for all the row tiles that meet them.
            - **chunkwise**: the tiled kernel inside each chunk; Q_[i] R_{i−1} and the state update
              K_[i]ᵀ (V_[i] ⊙ ζ) + γ^b R_{i−1} on the packed GEMM.
            - **recurrent**: one decoding step updates each row of S by a vectorised rank-1 step,
              S_i ← γ S_i + k_i v, and uses it at once for o ← o + q_i S_i.
            """)
        nb.prose("""
            Each term of an output passes through at most R = 4n + d + 8 roundings (d in an inner
            product, a few per power of γ and per chunk or step, n in the sum over rows), so each kernel
            must be within γ_R M of the exact outputs, componentwise, with M = (|Q| |K|ᵀ ⊙ D) |V| — the
            reference form run on absolute values.
            """)
        let decay = try Decay<Float>(1 - 1.0 / 32)
        let scale = 1 / Double(dim).squareRoot()
        let q = Matrix<Float>.gaussian(rows: length, columns: dim, scale: scale, using: &rng)
        let k = Matrix<Float>.gaussian(rows: length, columns: dim, scale: scale, using: &rng)
        let v = Matrix<Float>.gaussian(rows: length, columns: dim, using: &rng)
        let exact = try RetentionAccuracy(q: q, k: k, v: v, decay: decay)
        let parallel = try RetentionKernels.parallel(q: q, k: k, v: v, decay: decay)
        let tiled = try RetentionKernels.tiledParallel(q: q, k: k, v: v, decay: decay)
        let chunkwise = try RetentionKernels.chunkwise(q: q, k: k, v: v, decay: decay, chunkSize: chunkSize)
        let recurrent = try RetentionKernels.recurrent(q: q, k: k, v: v, decay: decay)
        for (name, outputs) in [("parallel", parallel), ("tiled parallel", tiled.outputs),
                                ("chunkwise (B = \(chunkSize))", chunkwise.outputs),
                                ("recurrent", recurrent.outputs)] {
            let error = exact.error(of: outputs)
            nb.check("\(name) kernel = retention (n = \(length), d = \(dim)) within γ_R M", error.ratio <= exact.bound,
                     "max |Δ|/M \(Format.scientific(error.ratio)) ≤ \(Format.scientific(exact.bound))"
                        + (error.ratio <= exact.bound ? "" : " FAILS at [\(error.row), \(error.column)]"))
        }
        nb.prose("""
            The chunkwise kernel leaves the recurrent state, so a prompt can be read in chunks and the
            rest decoded one token at a time with the step function: prefill two thirds, decode the rest.
            """)
        let split = max(1, length * 2 / 3)
        let prefill = try RetentionKernels.chunkwise(q: q.rowRange(0..<split), k: k.rowRange(0..<split),
                                                     v: v.rowRange(0..<split), decay: decay, chunkSize: chunkSize)
        var state = prefill.state
        var decoded = prefill.outputs.storage
        for t in split..<length {
            decoded += try state.step(q: q.row(t).storage, k: k.row(t).storage, v: v.row(t).storage, decay: decay)
        }
        let handOff = exact.error(of: Matrix(rows: length, columns: dim, entries: decoded))
        nb.check("chunkwise prefill of \(split), then \(length - split) decoding steps = retention within γ_R M",
                 handOff.ratio <= exact.bound,
                 "max |Δ|/M \(Format.scientific(handOff.ratio)) ≤ \(Format.scientific(exact.bound))")
        nb.check("the state after decoding has consumed every token", state.position == length,
                 "position \(state.position)")

        nb.prose("""
            And their speed against the reference forms in Float (same inputs, median of a few runs):
            """)
        func speedUp(_ form: String, reference: () throws -> Void, kernel: () throws -> Void) throws -> [String] {
            let slow = try Stopwatch.median(repetitions: 3, budget: 0, maximum: 3, reference)
            let fast = try Stopwatch.median(repetitions: 3, budget: 0, maximum: 3, kernel)
            return [form, Format.fixed(slow * 1e3, 3) + " ms", Format.fixed(fast * 1e3, 3) + " ms",
                    Format.fixed(slow / fast, 1) + "×"]
        }
        try nb.measuredTable(["form", "reference", "kernel", "speed-up"], [
            try speedUp("parallel", reference: { _ = try ParallelRetention.outputs(q: q, k: k, v: v, decay: decay) },
                        kernel: { _ = try RetentionKernels.parallel(q: q, k: k, v: v, decay: decay) }),
            try speedUp("tiled parallel", reference: { _ = try ParallelRetention.outputs(q: q, k: k, v: v, decay: decay) },
                        kernel: { _ = try RetentionKernels.tiledParallel(q: q, k: k, v: v, decay: decay) }),
            try speedUp("chunkwise", reference: {
                _ = try ChunkwiseRetention.outputs(q: q, k: k, v: v, decay: decay, chunkSize: chunkSize)
            }, kernel: { _ = try RetentionKernels.chunkwise(q: q, k: k, v: v, decay: decay, chunkSize: chunkSize) }),
            try speedUp("recurrent", reference: { _ = try RecurrentRetention.outputs(q: q, k: k, v: v, decay: decay) },
                        kernel: { _ = try RetentionKernels.recurrent(q: q, k: k, v: v, decay: decay) }),
        ], onPage: "(timings: measured when run in a terminal)")
        nb.prose("""
            Every rung agrees with the exact product within its rounding bound, and the threads change
            nothing but the time. The same kernels carry the whole model (`FastRetNet`, and
            `swift run -c release bench model` to time it against a checkpoint).
            """)
    }
}

Chapter08.main()
