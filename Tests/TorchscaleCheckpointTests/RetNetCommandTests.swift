import Foundation
import TestSupport
import Testing

/// The `retnet` executable, run as a user would.
enum RetNetCommand {
    static func run(_ arguments: [String]) throws -> ProductRunner.Run {
        try ProductRunner.run("retnet", arguments)
    }
}

@Suite struct RetNetCommandTests {
    /// `retnet logits` in each mode prints torchscale's logits for that mode (Float, 1e-5 as in
    /// TorchscaleParity).
    @Test(arguments: ["parallel", "recurrent", "chunkwise"])
    func logitsReproduceTorchscale(mode: String) throws {
        let fixture = "two-heads-swish-wide-values"
        let record = try Fixtures.record(fixture)
        let run = try RetNetCommand.run(["logits", "--checkpoint", Fixtures.directory(fixture).path,
                                         "--tokens", record.tokens.map(String.init).joined(separator: ","),
                                         "--mode", mode, "--chunk-size", String(record.chunkSize)])
        #expect(run.status == 0, "\(run.stderr)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: [[Double]]])
        let ours = try #require(json["logits"])
        let theirs = mode == "parallel" ? record.parallel : mode == "recurrent" ? record.recurrent : try #require(record.chunkwise)
        #expect(ours.count == theirs.rows && ours.allSatisfy { $0.count == theirs.columns })
        var worst = 0.0
        for n in 0..<theirs.rows { for c in 0..<theirs.columns { worst = max(worst, abs(ours[n][c] - theirs[n, c])) } }
        #expect(worst <= 1e-5, "\(mode): max |Δ| = \(worst)")
    }

    @Test func generateIsDeterministicAndGreedyOnRequest() throws {
        let dir = Fixtures.directory("one-head-gelu").path
        let greedy = try RetNetCommand.run(["generate", "--checkpoint", dir, "--prompt", "3,1,4", "--max-new-tokens", "6", "--greedy"])
        #expect(greedy.status == 0)
        #expect(greedy.stdout.split(separator: ",").count == 6)
        let a = try RetNetCommand.run(["generate", "--checkpoint", dir, "--prompt", "3,1,4", "--max-new-tokens", "6",
                                       "--temperature", "0.7", "--seed", "9"])
        let b = try RetNetCommand.run(["generate", "--checkpoint", dir, "--prompt", "3,1,4", "--max-new-tokens", "6",
                                       "--temperature", "0.7", "--seed", "9"])
        #expect(a.status == 0 && a.stdout == b.stdout)
    }

    @Test func inspectListsTensorsAndParameters() throws {
        let run = try RetNetCommand.run(["inspect", "--checkpoint", Fixtures.directory("one-head-gelu").path])
        #expect(run.status == 0)
        #expect(run.stdout.contains("layers.0.retention.q_proj.weight  F32  [8, 8]"))
        #expect(run.stdout.contains("parameters: 1,240"))
        #expect(run.stdout.contains("\"decoder_embed_dim\" : 8"))
    }

    @Test(arguments: [
        (["logits", "--checkpoint", "/nonexistent", "--tokens", "1"], Int32(1), "config.json not found"),
        (["logits", "--checkpoint", "FIXTURE", "--tokens", "1,99"], 1, "vocab_size"),
        (["logits", "--checkpoint", "FIXTURE", "--tokens", "1,x"], 64, "--tokens must be"),
        (["logits", "--checkpoint", "FIXTURE", "--tokens", ""], 64, "--tokens must be"),
        (["logits", "--checkpoint", "FIXTURE", "--tokens", "1", "--mode", "chunkwise", "--chunk-size", "0"], 64, "--chunk-size"),
        (["logits", "--checkpoint", "FIXTURE", "--tokens", "1", "--mode", "sideways"], 64, "sideways"),
        (["generate", "--checkpoint", "FIXTURE", "--prompt", "1", "--max-new-tokens", "-1"], 64, "--max-new-tokens"),
        (["generate", "--checkpoint", "FIXTURE", "--prompt", "1", "--max-new-tokens", "2", "--temperature", "0"], 64, "--temperature"),
    ])
    func badInputIsAClearErrorAndANonZeroExit(arguments: [String], status: Int32, message: String) throws {
        let fixture = Fixtures.directory("one-head-gelu").path
        let run = try RetNetCommand.run(arguments.map { $0 == "FIXTURE" ? fixture : $0 })
        #expect(run.status == status, "\(arguments): exit \(run.status), stderr \(run.stderr)")
        #expect(run.stderr.contains(message), "\(arguments): stderr \(run.stderr)")
        #expect(run.stdout.isEmpty)
    }
}

/// Benchmarks have one home, the `bench` executable (`bench model` times this model).
@Suite struct RetNetHasNoBenchTests {
    @Test func benchIsNotARetNetSubcommand() throws {
        let run = try RetNetCommand.run(["bench"])
        #expect(run.status == 64, "exit \(run.status), \(run.stderr)")
        #expect(run.stderr.contains("Unexpected argument 'bench'"), "\(run.stderr)")
    }
}
