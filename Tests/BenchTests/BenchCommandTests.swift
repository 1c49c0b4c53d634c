import Benchmarks
import Foundation
import TestSupport
import Testing

enum BenchCommand {
    /// The keys README documents: those every line has, and those it has where they apply.
    static let required: Set<String> = ["benchmark", "parameters", "cpu", "build", "threads", "repetitions", "median_seconds"]
    static let optional: Set<String> = ["gflops", "tokens_per_second", "ms_per_token"]

    static let fixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/torchscale/one-head-gelu").path

    /// Runs `bench arguments`, expects success, and decodes every line of standard output,
    /// checking that each has the documented keys and no others (decoding then checks their types).
    static func results(_ arguments: [String]) throws -> [BenchmarkResult] {
        let run = try ProductRunner.run("bench", arguments)
        #expect(run.status == 0, "\(arguments): exit \(run.status), stderr \(run.stderr)")
        return try run.stdout.split(separator: "\n").map { line in
            let data = Data(line.utf8)
            let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any], "\(line)")
            let keys = Set(object.keys)
            #expect(keys.isSuperset(of: required) && keys.subtracting(required).isSubset(of: optional),
                    "unexpected keys \(keys.sorted()) in \(line)")
            let result = try JSONDecoder().decode(BenchmarkResult.self, from: data)
            #expect(result.medianSeconds > 0, "\(line)")
            #expect(!result.cpu.isEmpty)
            #if DEBUG
            #expect(result.build == "debug")
            #else
            #expect(result.build == "release")
            #endif
            return result
        }
    }

    /// |a − b| ≤ 1e-9 |b|: a rate and the median it derives from must agree to rounding.
    static func agrees(_ a: Double?, _ b: Double) -> Bool {
        guard let a else { return false }
        return abs(a - b) <= 1e-9 * abs(b)
    }
}

extension BenchCommand {
    /// Whether /proc/cpuinfo's flags name avx512f: the CPUs the 12×32 tile is chosen for.
    static var cpuReportsAVX512F: Bool {
        let info = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? ""
        return info.split(separator: "\n").contains { $0.hasPrefix("flags") && $0.split(separator: " ").contains("avx512f") }
    }
}

@Suite struct BenchCommandTests {
    @Test func cpuIsTheModelNameFromProcCPUInfo() throws {
        let results = try BenchCommand.results(["gemm", "--size", "2", "--repetitions", "1"])
        let cpu = try #require(results.first?.cpu)
        if let info = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8), info.contains("model name") {
            #expect(info.split(separator: "\n").contains { $0.hasPrefix("model name") && $0.hasSuffix(": " + cpu) }, "\(cpu)")
        }
    }

    @Test func gemmReportsEveryRungAskedFor() throws {
        let rungs = ["naive", "loop-order", "simd", "blocked", "blocked-wide", "threaded"]
        let n = 8
        let results = try BenchCommand.results(["gemm", "--size", String(n), "--threads", "2", "--repetitions", "2"]
                                               + rungs.flatMap { ["--rung", $0] })
        #expect(results.map { $0.parameters["rung"]?.text } == rungs)
        for result in results {
            #expect(result.benchmark == "gemm")
            #expect(result.parameters["size"] == .integer(n) && result.parameters["seed"] == .integer(1))
            #expect(result.threads == (result.parameters["rung"] == .text("threaded") ? 2 : 1))
            #expect(result.repetitions == 2)
            #expect(BenchCommand.agrees(result.gflops, 2 * Double(n * n * n) / result.medianSeconds / 1e9))
            #expect(result.tokensPerSecond == nil && result.msPerToken == nil)
            // The packed rungs name their register tile and block sizes.
            let tile = result.parameters["tile"]?.text
            switch result.parameters["rung"]?.text {
            case "blocked": #expect(tile == "6x16")
            case "blocked-wide": #expect(tile == "12x32")
            case "threaded": #expect(tile == (BenchCommand.cpuReportsAVX512F ? "12x32" : "6x16"))
            default: #expect(tile == nil && result.parameters["kc"] == nil)
            }
            if tile != nil {
                #expect(["kc", "nc", "mc"].allSatisfy { (result.parameters[$0]?.integer ?? 0) >= 1 })
            }
        }
    }

    @Test func gemmRunsTheTileAndBlocksAskedFor() throws {
        let results = try BenchCommand.results(["gemm", "--size", "9", "--repetitions", "1", "--tile", "6x16",
                                                "--kc", "5", "--nc", "40", "--mc", "13"])
        let parameters = try #require(results.first?.parameters)
        // n_c and m_c rounded down to whole tiles: 32 columns, 12 rows.
        #expect(parameters["tile"] == .text("6x16") && parameters["kc"] == .integer(5)
                && parameters["nc"] == .integer(32) && parameters["mc"] == .integer(12))
    }

    @Test func peakCountsItsFlopsOnEveryThread() throws {
        let results = try BenchCommand.results(["peak", "--threads", "2", "--repetitions", "1"])
        let result = try #require(results.count == 1 ? results[0] : nil, "\(results.count) lines")
        #expect(result.benchmark == "peak" && result.threads == 2 && result.repetitions == 1)
        let steps = try #require(result.parameters["steps"]?.integer)
        #expect(steps >= 1_000)
        #expect(BenchCommand.agrees(result.gflops, 2 * Double(steps) * 6 * 16 * 2 / result.medianSeconds / 1e9))
    }

    @Test func retentionRunsEveryKernelByDefault() throws {
        let results = try BenchCommand.results(["retention", "--length", "9", "--key-dim", "4", "--value-dim", "5",
                                                "--gamma", "0.5", "--chunk-size", "4", "--repetitions", "1"])
        #expect(results.map { $0.parameters["kernel"]?.text } == ["parallel", "tiled-parallel", "chunkwise", "recurrent"])
        for result in results {
            #expect(result.benchmark == "retention" && result.threads == 1 && result.repetitions == 1)
            #expect(result.parameters["length"] == .integer(9) && result.parameters["key_dim"] == .integer(4)
                    && result.parameters["value_dim"] == .integer(5) && result.parameters["gamma"] == .number(0.5))
            #expect((result.parameters["chunk_size"] != nil) == (result.parameters["kernel"] == .text("chunkwise")))
            #expect(BenchCommand.agrees(result.tokensPerSecond, 9 / result.medianSeconds))
            #expect(BenchCommand.agrees(result.msPerToken, 1000 * result.medianSeconds / 9))
            #expect((result.gflops ?? 0) > 0)
        }
    }

    @Test func modelTimesForwardPassesAndDecodingSteps() throws {
        let results = try BenchCommand.results(["model", "--checkpoint", BenchCommand.fixture, "--length", "9",
                                                "--chunk-size", "4", "--threads", "2", "--repetitions", "2"])
        #expect(results.map { $0.parameters["mode"]?.text } == ["parallel", "chunkwise", "recurrent"])
        for result in results {
            #expect(result.benchmark == "model" && result.threads == 2 && result.gflops == nil)
            #expect(result.parameters["length"] == .integer(9))
            #expect((result.parameters["weight_bytes"]?.integer ?? 0) > 0)
            #expect(result.parameters["tile"] == .text(BenchCommand.cpuReportsAVX512F ? "12x32" : "6x16"))
            #expect(result.parameters["chunk_size"] == (result.parameters["mode"] == .text("chunkwise") ? .integer(4) : nil))
            if result.parameters["mode"] == .text("recurrent") {
                // Every decoding step is timed; the median is one step, one token.
                #expect(result.repetitions == 9)
                #expect(BenchCommand.agrees(result.msPerToken, 1000 * result.medianSeconds))
                #expect(BenchCommand.agrees(result.tokensPerSecond, 1 / result.medianSeconds))
            } else {
                #expect(result.repetitions == 2)
                #expect(BenchCommand.agrees(result.tokensPerSecond, 9 / result.medianSeconds))
                #expect(BenchCommand.agrees(result.msPerToken, 1000 * result.medianSeconds / 9))
            }
        }
    }

    @Test func oneModeAsked() throws {
        let results = try BenchCommand.results(["model", "--checkpoint", BenchCommand.fixture, "--length", "3",
                                                "--mode", "chunkwise", "--repetitions", "1"])
        #expect(results.map { $0.parameters["mode"]?.text } == ["chunkwise"])
        // Without --chunk-size, the checkpoint's recurrent_chunk_size.
        #expect(results.first?.parameters["chunk_size"]?.integer != nil)
    }

    /// A tiny shape (1 layer, E = 16, V = 32, 2 heads, vocabulary 20): both sweeps for both
    /// models, every line's parameters, the bytes a step writes back counted by hand from the
    /// shape (the RetNet's whole state, the Transformer's one cache row), and the prediction
    /// recomputed from the given bandwidth and peak and the bytes moved (read + written) and
    /// multiply–adds the line reports.
    @Test func decodeSweepsContextAndBatchForBothModels() throws {
        let results = try BenchCommand.results(["decode", "--contexts", "5,20", "--batches", "1,3", "--batch-context", "7",
                                                "--steps", "2", "--layers", "1", "--embed-dim", "16", "--value-dim", "32",
                                                "--heads", "2", "--ffn-dim", "24", "--vocab", "20", "--threads", "2",
                                                "--bandwidth-gbps", "10", "--peak-gflops", "100"])
        #expect(results.map { $0.parameters["model"]?.text } == ["retnet", "retnet", "retnet", "retnet",
                                                                  "transformer", "transformer", "transformer", "transformer"])
        #expect(results.map { $0.parameters["context"]?.integer } == [5, 20, 7, 7, 5, 20, 7, 7])
        #expect(results.map { $0.parameters["batch"]?.integer } == [1, 1, 1, 3, 1, 1, 1, 3])
        #expect(results.map { $0.parameters["sweep"]?.text } == ["context", "context", "batch", "batch",
                                                                  "context", "context", "batch", "batch"])
        for result in results {
            let batch = try #require(result.parameters["batch"]?.integer)
            #expect(result.benchmark == "decode" && result.threads == 2 && result.repetitions == 2 && result.gflops == nil)
            // The median is one step of B tokens.
            #expect(BenchCommand.agrees(result.tokensPerSecond, Double(batch) / result.medianSeconds))
            #expect(BenchCommand.agrees(result.msPerToken, 1000 * result.medianSeconds / Double(batch)))
            let read = try #require(result.parameters["bytes_read_per_step"]?.integer)
            let written = try #require(result.parameters["bytes_written_per_step"]?.integer)
            // Float (4 bytes): the RetNet rewrites its L·h·d_k·d_v = 1·2·8·16 state, the
            // Transformer appends one row of L·(E + V) = 1·(16 + 32) keys and values.
            let perSequence = result.parameters["model"]?.text == "retnet" ? 2 * 8 * 16 * 4 : (16 + 32) * 4
            #expect(written == batch * perSequence)
            let bytes = Double(try #require(result.parameters["bytes_per_step"]?.integer))
            #expect(Int(bytes) == read + written)
            let multiplyAdds = Double(try #require(result.parameters["multiply_adds_per_step"]?.integer))
            guard case .number(let predicted) = result.parameters["predicted_seconds"],
                  case .number(let ratio) = result.parameters["measured_over_predicted"]
            else {
                Issue.record("no prediction in \(result.parameters)")
                continue
            }
            #expect(abs(predicted - max(bytes / 10e9, 2 * multiplyAdds / 100e9)) <= 1e-12 * predicted)
            // At 10 GB/s against 100 GFLOP/s this shape is bound by its bytes, so the prediction is
            // the bytes moved — the write-back included — over the bandwidth, not the bytes read.
            #expect(abs(predicted - Double(read + written) / 10e9) <= 1e-12 * predicted)
            #expect(abs(ratio - result.medianSeconds / predicted) <= 1e-9 * ratio)
        }
        // The Transformer's cache grows with the context, the RetNet's state does not.
        let state = results.map { $0.parameters["state_bytes"]?.integer ?? -1 }
        #expect(state[0] == state[1] && state[4] < state[5])
    }

    /// `bench training` at a tiny size, both models: the flags are `retnet train`'s (--width,
    /// --ffn-width, --context, --batch-size), V and the FFN default to 2·width as there, and a
    /// sequence is --context + 1 tokens (--context predictions).
    @Test func trainingTakesRetnetTrainsModelFlags() throws {
        let results = try BenchCommand.results(["training", "--model", "retnet", "--model", "transformer", "--layers", "1",
                                                "--heads", "2", "--width", "8", "--context", "4", "--batch-size", "2",
                                                "--vocabulary", "5", "--repetitions", "1"])
        #expect(results.map { $0.parameters["model"]?.text } == ["retnet", "transformer"])
        for result in results {
            #expect(result.benchmark == "training")
            #expect(result.parameters["width"] == .integer(8) && result.parameters["value_width"] == .integer(16))
            #expect(result.parameters["context"] == .integer(4) && result.parameters["batch_size"] == .integer(2))
            #expect(BenchCommand.agrees(result.tokensPerSecond, 2 * 4 / result.medianSeconds))
        }
        #expect(results[0].parameters["ffn_width"] == .integer(16), "the RetNet's FFN defaults to 2·width")
        // The weights, written out: the embedding and the output projection (vocab×E each), the final
        // norm (E); per layer W_Q, W_K (E×E), two norms (E each), and the RetNet's W_V, W_G, W_O (E×V)
        // and GLU (3·E×F) against the Transformer's W_V, W_O and GLU of F′ = F + ⌈V/3⌉ = 21 (3·E×F′).
        let outer = 2 * 5 * 8 + 8, common = 2 * 8 * 8 + 2 * 8
        #expect(results[0].parameters["parameter_count"] == .integer(outer + common + 3 * 8 * 16 + 3 * 8 * 16))
        #expect(results[1].parameters["ffn_width"] == .integer(21))
        #expect(results[1].parameters["parameter_count"] == .integer(outer + common + 2 * 8 * 16 + 3 * 8 * 21))
        // The model flops of a step, written out from the torchscale-variant block: per layer W_Q, W_K
        // (E×E), W_V, W_G, W_O (E×V), the GLU's fc1, gate, fc2 (E×F); the output projection (vocab×E);
        // 2 flops per entry per token (8 tokens); per layer and sequence the causal half of QKᵀ and
        // AV, 4·5/2 scores × (E + V); the step is 3 × the forward.
        let (e, v, f, vocabulary, tokens) = (8.0, 16.0, 16.0, 5.0, 8.0)
        let projections = 2 * (2 * e * e + 3 * e * v + 3 * e * f + vocabulary * e) * tokens
        let mixing = 2 * (4 * 5 / 2) * (e + v) * 2
        guard case .number(let gflop)? = results[0].parameters["model_gflop"],
              case .number(let mfu)? = results[0].parameters["mfu"],
              case .number(let peak)? = results[0].parameters["peak_gflops"]
        else { Issue.record("bench training reports no model_gflop, mfu or peak_gflops: \(results[0].parameters)"); return }
        #expect(abs(gflop - 3 * (projections + mixing) / 1e9) <= 1e-15, "model_gflop \(gflop)")
        #expect(peak > 0 && mfu > 0 && mfu <= 1, "an MFU of \(mfu) at a peak of \(peak) GFLOP/s")
        #expect(BenchCommand.agrees(results[0].gflops, gflop / results[0].medianSeconds))
    }

    /// `bench training --breakdown`: every phase of the fast path, clipping and AdamW timed, in the
    /// parameters and as a table on standard error.
    @Test func trainingBreakdownTimesEveryPhase() throws {
        let arguments = ["training", "--model", "retnet", "--model", "transformer", "--layers", "1", "--heads", "2", "--width", "8",
                         "--context", "4", "--batch-size", "2", "--vocabulary", "5", "--repetitions", "1", "--breakdown"]
        let results = try BenchCommand.results(arguments)
        let phases = ["embedding", "norms", "projections", "heads", "ffn_products", "activations", "loss", "clipping", "AdamW"]
        for result in results {
            for phase in phases {
                guard case .number(let ms)? = result.parameters["ms_" + phase] else {
                    Issue.record("no ms_\(phase) in \(result.parameters)"); continue
                }
                #expect(ms > 0, "ms_\(phase) = \(ms)")
            }
        }
        let run = try ProductRunner.run("bench", arguments)
        #expect(run.stderr.contains("where a step's time goes (retnet") && run.stderr.contains("AdamW"), "\(run.stderr)")
    }

    /// `bench training --form`: the RetNet chunkwise and the Transformer tiled, each result naming
    /// its form and chunk size, with the model flops of the parallel form's run (the model's, not
    /// the form's), and no chunk size for the parallel form.
    @Test func trainingTimesEachFormWithTheModelsFlops() throws {
        let shape = ["training", "--layers", "1", "--heads", "2", "--width", "8", "--context", "12", "--batch-size", "2",
                     "--vocabulary", "5", "--repetitions", "1"]
        let parallel = try BenchCommand.results(shape + ["--model", "retnet", "--model", "transformer"])
        let chunkwise = try BenchCommand.results(shape + ["--model", "retnet", "--form", "chunkwise", "--chunk-size", "5"])
        let tiled = try BenchCommand.results(shape + ["--model", "transformer", "--form", "tiled", "--chunk-size", "4", "--optimizer"])
        try #require(parallel.count == 2 && chunkwise.count == 1 && tiled.count == 1)
        for result in parallel {
            #expect(result.parameters["form"] == .text("parallel") && result.parameters["chunk_size"] == nil, "\(result.parameters)")
        }
        #expect(chunkwise[0].parameters["form"] == .text("chunkwise") && chunkwise[0].parameters["chunk_size"] == .integer(5))
        #expect(tiled[0].parameters["form"] == .text("tiled") && tiled[0].parameters["chunk_size"] == .integer(4))
        #expect(tiled[0].parameters["step"] == .text("gradients, clipping, AdamW"))
        for (formed, model) in [(chunkwise[0], "retnet"), (tiled[0], "transformer")] {
            let same = try #require(parallel.first { $0.parameters["model"] == .text(model) })
            #expect(formed.parameters["model"] == .text(model))
            #expect(formed.parameters["model_gflop"] == same.parameters["model_gflop"],
                    "\(model): \(formed.parameters["model_gflop"].map { "\($0)" } ?? "none") against the parallel form's")
        }
    }

    /// One spelling and one default for each model-shape and batch flag: `bench training --help`
    /// and `retnet train --help` describe them in the same words with the same defaults.
    @Test func trainingAndRetnetTrainShareTheirModelFlags() throws {
        func help(_ product: String, _ arguments: [String]) throws -> String {
            let run = try ProductRunner.run(product, arguments)
            #expect(run.status == 0, "\(product) \(arguments): \(run.stderr)")
            return run.stdout.split(whereSeparator: \.isWhitespace).joined(separator: " ")
        }
        let bench = try help("bench", ["training", "--help"])
        let train = try help("retnet", ["train", "--help"])
        for entry in ["--layers <layers> Blocks (decoder_layers). (default: 4)",
                      "--heads <heads> Retention heads per block (decoder_retention_heads). (default: 4)",
                      "--width <width> Model width E (decoder_embed_dim). (default: 128)",
                      "--value-width <value-width> Value width V (decoder_value_embed_dim; default 2·width, the paper's).",
                      "--ffn-width <ffn-width> FFN hidden width (decoder_ffn_embed_dim; default 2·width, the paper's).",
                      "--context <context> Context: tokens each prediction may look back over (nanoGPT's block_size). (default: 64)",
                      "--batch-size <batch-size> Sequences per step. (default: 12)",
                      "--form <form> The heads' form for the gradients: parallel (T×T scores per head;",
                      "(values: parallel, chunkwise, tiled; default: parallel)",
                      "--chunk-size <chunk-size> Chunk (or block) size B for --form chunkwise or tiled, 1 … --context."] {
            #expect(bench.contains(entry), "bench training --help lacks \(entry): \(bench)")
            #expect(train.contains(entry), "retnet train --help lacks \(entry): \(train)")
        }
    }

    @Test(arguments: [
        (["gemm", "--size", "0"], Int32(64), "--size must be in 1...8192, got 0"),
        (["gemm", "--size", "8193"], 64, "--size must be in 1...8192, got 8193"),
        (["gemm", "--threads", "0"], 64, "--threads must be in 1...256, got 0"),
        (["gemm", "--rung", "fastest"], 64, "'fastest' is invalid for '--rung"),
        (["gemm", "--tile", "4x4"], 64, "'4x4' is invalid for '--tile"),
        (["gemm", "--kc", "0"], 64, "--kc must be in 1...1048576, got 0"),
        (["gemm", "--repetitions", "0"], 64, "--repetitions must be at least 1, got 0"),
        (["gemm", "--seed=-1"], 64, "--seed must be at least 0, got -1"),
        (["peak", "--threads", "0"], 64, "--threads must be in 1...256, got 0"),
        (["peak", "--threads", "257"], 64, "--threads must be in 1...256, got 257"),
        (["retention", "--length", "0"], 64, "--length must be in 1...65536, got 0"),
        (["retention", "--key-dim", "0"], 64, "--key-dim must be in 1...4096, got 0"),
        (["retention", "--value-dim", "4097"], 64, "--value-dim must be in 1...4096, got 4097"),
        (["retention", "--gamma", "0"], 64, "--gamma must be in (0, 1], got 0.0"),
        (["retention", "--gamma", "1.5"], 64, "--gamma must be in (0, 1], got 1.5"),
        (["retention", "--gamma", "nan"], 64, "--gamma must be in (0, 1], got nan"),
        (["retention", "--chunk-size", "0"], 64, "--chunk-size must be at least 1, got 0"),
        (["retention", "--kernel", "sideways"], 64, "'sideways' is invalid for '--kernel"),
        (["model"], 64, "Missing expected argument '--checkpoint <checkpoint>'"),
        (["model", "--checkpoint", "/nonexistent"], 1, "/nonexistent/config.json not found"),
        (["model", "--checkpoint", "FIXTURE", "--mode", "sideways"], 64, "'sideways' is invalid for '--mode"),
        (["model", "--checkpoint", "FIXTURE", "--length", "0"], 64, "--length must be in 1...65536, got 0"),
        (["model", "--checkpoint", "FIXTURE", "--chunk-size", "0"], 64, "--chunk-size must be at least 1, got 0"),
        (["model", "--checkpoint", "FIXTURE", "--threads", "0"], 64, "--threads must be in 1...256, got 0"),
        (["model", "--checkpoint", "FIXTURE", "--repetitions", "0"], 64, "--repetitions must be at least 1, got 0"),
        (["decode", "--contexts", "5,x"], 64, "--contexts must be comma-separated whole numbers, got '5,x'"),
        (["decode", "--contexts", "70000"], 64, "--contexts must be in 0...65536, got 70000"),
        (["decode", "--batches", "0"], 64, "--batches must be in 1...256, got 0"),
        (["decode", "--steps", "0"], 64, "--steps must be in 1...4096, got 0"),
        (["decode", "--heads", "3"], 64, "--heads must divide --embed-dim and --value-dim with an even E/h, got 3"),
        (["decode", "--model", "lstm"], 64, "'lstm' is invalid for '--model"),
        (["decode", "--bandwidth-gbps", "0"], 64, "--bandwidth-gbps must be a positive number, got 0.0"),
        (["decode", "--threads", "0"], 64, "--threads must be in 1...256, got 0"),
        (["training", "--context", "0"], 64, "--context must be at least 1, got 0"),
        (["training", "--batch-size", "0"], 64, "--batch-size must be at least 1, got 0"),
        (["training", "--heads", "3"], 64, "--width must be a multiple of --heads with an even width per head, got 128 and 3"),
        (["training", "--ffn", "256"], 64, "Unknown option '--ffn'"),
        (["training", "--vocabulary", "0"], 64, "--vocabulary must be in 1...65536, got 0"),
        (["training", "--form", "chunkwise", "--chunk-size", "0"], 64, "--chunk-size must be at least 1, got 0"),
        (["training", "--form", "chunkwise", "--chunk-size", "65"], 64,
         "--chunk-size 65 is longer than --context 64: a chunk is at most the context"),
        (["training", "--form", "chunkwise"], 64, "--form chunkwise needs --chunk-size (1 … --context 64)"),
        (["training", "--chunk-size", "8"], 64, "--chunk-size 8 is for --form chunkwise or tiled; the form is parallel"),
        (["training", "--form", "tiled", "--chunk-size", "8"], 64,
         "--form tiled is softmax attention's form: a Transformer's (--model transformer), not the RetNet's"),
        (["training", "--model", "transformer", "--form", "chunkwise", "--chunk-size", "8"], 64,
         "--form chunkwise is retention's form: a RetNet's (--model retnet), not the Transformer's"),
        (["training", "--model", "transformer", "--path", "reference", "--form", "tiled", "--chunk-size", "8"], 64,
         "--form tiled times the kernels only (--path fast)"),
        (["training", "--form", "flash"], 64, "'flash' is invalid for '--form"),
        (["training", "--width", "4096", "--context", "65536", "--batch-size", "64"], 1, "got an estimated 23.7 TB"),
        (["frobnicate"], 64, "Unexpected argument 'frobnicate'"),
    ])
    func badInputIsAClearErrorAndANonZeroExit(arguments: [String], status: Int32, message: String) throws {
        let run = try ProductRunner.run("bench", arguments.map { $0 == "FIXTURE" ? BenchCommand.fixture : $0 })
        #expect(run.status == status, "\(arguments): exit \(run.status), stderr \(run.stderr)")
        #expect(run.stderr.contains(message), "\(arguments): stderr \(run.stderr)")
        #expect(run.stdout.isEmpty, "\(arguments): stdout \(run.stdout)")
    }
}
