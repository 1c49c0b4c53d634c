import Foundation
import Matrices
import SafeTensors
import TestSupport
import Testing

/// `retnet logits` and `gradients` at scale and on hostile files: long sequences from a file or
/// standard input, the default form chosen by the length, chunk sizes that cost the sequence and
/// not B, non-finite weights refused naming the tensor, and a gradient file that never replaces
/// what it should not.
@Suite struct RetNetCommandBoundsTests {
    static let fixture = "two-heads-swish-wide-values"
    static var directory: String { Fixtures.directory(fixture).path }

    /// A scratch copy of the fixture's checkpoint directory.
    static func copy() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("retnet-bounds-\(UUID().uuidString)")
        try FileManager.default.copyItem(at: Fixtures.directory(fixture), to: url)
        return url
    }

    /// `count` token ids below the fixture's vocabulary of 48, seeded.
    static func ids(_ count: Int) -> [Int] {
        var rng = SplitMix64(seed: 11)
        return (0..<count).map { _ in Int(rng.next() % 48) }
    }

    static func logits(_ run: ProductRunner.Run) throws -> [[Double]] {
        let json = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: [[Double]]])
        return try #require(json["logits"])
    }

    /// m-chunk-B, l-chunkhuge, gr-chunkmax: a chunk size of 2⁶³ − 1 on 3 tokens once hung; now it
    /// is refused above 65,536, and 65,536 gives the logits of one chunk of the sequence.
    @Test func aHugeChunkSizeIsRefusedAndALargeOneCostsTheSequence() throws {
        let refused = try RetNetCommand.run(["logits", "--checkpoint", Self.directory, "--tokens", "1,2,3", "--mode", "chunkwise",
                                             "--chunk-size", "9223372036854775807"])
        #expect(refused.status == 64 && refused.stderr.contains("--chunk-size must be at most 65536"), "\(refused.stderr)")
        let large = try RetNetCommand.run(["logits", "--checkpoint", Self.directory, "--tokens", "1,2,3", "--mode", "chunkwise",
                                           "--chunk-size", "65536"])
        let whole = try RetNetCommand.run(["logits", "--checkpoint", Self.directory, "--tokens", "1,2,3", "--mode", "chunkwise",
                                           "--chunk-size", "3"])
        #expect(large.status == 0 && whole.status == 0, "\(large.stderr) \(whole.stderr)")
        #expect(large.stdout == whole.stdout)
        let gradients = FileManager.default.temporaryDirectory.appendingPathComponent("g-\(UUID().uuidString).safetensors")
        defer { try? FileManager.default.removeItem(at: gradients) }
        let g = try RetNetCommand.run(["gradients", "--checkpoint", Self.directory, "--tokens", "1,2,3", "--mode", "chunkwise",
                                       "--chunk-size", "65536", "--out", gradients.path])
        #expect(g.status == 0, "\(g.stderr)")
    }

    /// c-chunk1e15-logits: a config.json with recurrent_chunk_size 10¹⁵ is refused at load.
    @Test func aHostileChunkSizeInConfigIsRefusedAtLoad() throws {
        let copy = try Self.copy()
        defer { try? FileManager.default.removeItem(at: copy) }
        let config = copy.appendingPathComponent("config.json")
        var json = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: config)) as? [String: Any])
        json["recurrent_chunk_size"] = 1_000_000_000_000_000
        try JSONSerialization.data(withJSONObject: json).write(to: config)
        for arguments in [["logits", "--tokens", "1,2,3", "--mode", "chunkwise"], ["inspect"]] {
            let run = try RetNetCommand.run(arguments + ["--checkpoint", copy.path])
            #expect(run.status == 1 && run.stderr.contains("recurrent_chunk_size: expected at most 65536"), "\(arguments): \(run.stderr)")
        }
    }

    /// M7 (l-100k-*): 100,000 ids cannot be one argument; from a file, or from standard input,
    /// they are read, and the default form above 512 tokens is the chunkwise one.
    @Test func longSequencesComeFromAFileOrStandardInput() throws {
        let ids = Self.ids(600)
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("ids-\(UUID().uuidString).txt")
        defer { try? FileManager.default.removeItem(at: file) }
        try Data(ids.map(String.init).joined(separator: "\n").utf8).write(to: file)
        let fromFile = try RetNetCommand.run(["logits", "--checkpoint", Self.directory, "--tokens-file", file.path])
        #expect(fromFile.status == 0, "\(fromFile.stderr)")
        #expect(try Self.logits(fromFile).count == 600)
        let chunkwise = try RetNetCommand.run(["logits", "--checkpoint", Self.directory, "--tokens-file", file.path,
                                               "--mode", "chunkwise"])
        #expect(fromFile.stdout == chunkwise.stdout, "above 512 tokens the default form is the chunkwise one")
        let short = try RetNetCommand.run(["logits", "--checkpoint", Self.directory, "--tokens", "1,2,3"])
        let parallel = try RetNetCommand.run(["logits", "--checkpoint", Self.directory, "--tokens", "1,2,3", "--mode", "parallel"])
        #expect(short.status == 0 && short.stdout == parallel.stdout, "up to 512 tokens the default form is the parallel one")
        // Standard input: the same ids, comma-separated.
        let process = Process()
        process.executableURL = ProductRunner.productsDirectory.appendingPathComponent("retnet")
        process.arguments = ["logits", "--checkpoint", Self.directory, "--tokens-file", "-"]
        let input = Pipe(), output = Pipe()
        (process.standardInput, process.standardOutput) = (input, output)
        try process.run()
        input.fileHandleForWriting.write(Data(ids.map(String.init).joined(separator: ",").utf8))
        try input.fileHandleForWriting.close()
        let printed = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        #expect(String(decoding: printed, as: UTF8.self) == fromFile.stdout)
    }

    @Test(arguments: [
        (["--tokens", "1,2", "--tokens-file", "-"], "exactly one of --tokens"),
        ([String](), "exactly one of --tokens"),
        (["--tokens-file", "/nonexistent/ids.txt"], "does not exist"),
        (["--tokens-file", "/tmp"], "is a directory"),
    ])
    func badTokenInputIsAUsageError(arguments: [String], message: String) throws {
        let run = try RetNetCommand.run(["logits", "--checkpoint", Self.directory] + arguments)
        #expect(run.status == 64 && run.stderr.contains(message), "\(arguments): exit \(run.status), \(run.stderr)")
    }

    /// S5 (m-logits-n): the parallel reference by name is bounded; what it refuses runs chunkwise.
    @Test func theParallelReferenceIsBounded() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("ids-\(UUID().uuidString).txt")
        defer { try? FileManager.default.removeItem(at: file) }
        try Data(Self.ids(4_097).map(String.init).joined(separator: " ").utf8).write(to: file)
        let run = try RetNetCommand.run(["logits", "--checkpoint", Self.directory, "--tokens-file", file.path, "--mode", "parallel"])
        #expect(run.status == 64 && run.stderr.contains("--mode parallel takes at most 4096 tokens"), "\(run.stderr)")
    }

    /// M1 (c-nan-logits, c-inf-logits, c-nan-generate, c-nan-gradients, c-st-nan-weight): a NaN or
    /// an infinity in a weight is refused at load, naming the tensor and the index; nothing prints `nan`.
    @Test(arguments: [Float.nan, -.infinity])
    func nonFiniteWeightsAreRefusedAtLoad(value: Float) throws {
        let copy = try Self.copy()
        defer { try? FileManager.default.removeItem(at: copy) }
        let weights = copy.appendingPathComponent("model.safetensors")
        var bytes = try Data(contentsOf: weights)
        let file = try SafeTensors(data: bytes)
        let tensor = try file.tensor("embed_tokens.weight")
        try #require(tensor.dtype == .f32 && tensor.shape.count == 2)
        let headerLength = bytes.prefix(8).enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
        let columns = tensor.shape[1]
        let offset = 8 + headerLength + tensor.byteRange.lowerBound + 4 * (2 * columns + 5)
        withUnsafeBytes(of: value.bitPattern.littleEndian) { bytes.replaceSubrange(offset..<(offset + 4), with: $0) }
        try bytes.write(to: weights)
        let gradients = FileManager.default.temporaryDirectory.appendingPathComponent("g-\(UUID().uuidString).safetensors")
        let commands = [["logits", "--tokens", "0,1"], ["inspect"], ["generate", "--prompt", "0", "--max-new-tokens", "3"],
                        ["gradients", "--tokens", "0,1,2", "--out", gradients.path]]
        for arguments in commands {
            let run = try RetNetCommand.run(arguments + ["--checkpoint", copy.path])
            #expect(run.status == 1, "\(arguments): exit \(run.status)")
            #expect(run.stderr.contains("tensor 'embed_tokens.weight' holds") && run.stderr.contains("at index [2, 5]"),
                    "\(arguments): \(run.stderr)")
            #expect(!run.stdout.contains("nan"), "\(arguments): \(run.stdout)")
        }
        #expect(!FileManager.default.fileExists(atPath: gradients.path))
    }

    /// M5 (gr-out-existing, m-gr-self): --out never replaces the checkpoint's own files, and an
    /// existing file only when this command wrote it or with --force.
    @Test func gradientsNeverOverwriteWhatTheyDidNotWrite() throws {
        let copy = try Self.copy()
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("g-out-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { for url in [copy, folder] { try? FileManager.default.removeItem(at: url) } }
        let weights = copy.appendingPathComponent("model.safetensors")
        let before = try Data(contentsOf: weights)
        func gradients(_ out: URL, _ extra: [String] = []) throws -> ProductRunner.Run {
            try RetNetCommand.run(["gradients", "--checkpoint", copy.path, "--tokens", "1,2,3", "--out", out.path] + extra)
        }
        for extra in [[], ["--force"]] {
            let run = try gradients(weights, extra)
            #expect(run.status == 1 && run.stderr.contains("checkpoint's own directory"), "\(extra): \(run.stderr)")
        }
        #expect(try Data(contentsOf: weights) == before)
        let precious = folder.appendingPathComponent("precious.txt")
        try Data("keep me".utf8).write(to: precious)
        let refused = try gradients(precious)
        #expect(refused.status == 1 && refused.stderr.contains("--force"), "\(refused.stderr)")
        #expect(try String(contentsOf: precious, encoding: .utf8) == "keep me")
        #expect(try gradients(precious, ["--force"]).status == 0)
        // A file this command wrote is replaced without --force.
        let ours = folder.appendingPathComponent("g.safetensors")
        #expect(try gradients(ours).status == 0)
        #expect(try gradients(ours).status == 0)
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted() == ["g.safetensors", "precious.txt"],
                "no temporary file is left")
    }
}

/// `retnet generate` as nanoGPT's sample.py: sampling (T = 0.8, top-k 200) by default, greedy by a
/// flag, several samples, every token printed as it is chosen, and a bound on the count.
@Suite struct GenerateCommandTests {
    static var directory: String { Fixtures.directory("one-head-gelu").path }

    /// g-max1e9, g-max1e18: refused at once rather than running out of memory without a word.
    @Test(arguments: ["1000001", "1000000000", "1000000000000000000"])
    func aHugeCountIsRefused(count: String) throws {
        let run = try RetNetCommand.run(["generate", "--checkpoint", Self.directory, "--prompt", "1", "--max-new-tokens", count])
        #expect(run.status == 64 && run.stderr.contains("--max-new-tokens must be in 0...1000000"), "\(run.stderr)")
    }

    @Test func samplingIsTheDefaultAndSamplesAreSeededBySeedPlusIndex() throws {
        func generate(_ extra: [String]) throws -> String {
            let run = try RetNetCommand.run(["generate", "--checkpoint", Self.directory, "--prompt", "3,1,4", "--max-new-tokens", "12"] + extra)
            #expect(run.status == 0, "\(run.stderr)")
            return run.stdout
        }
        let byDefault = try generate(["--seed", "5"])
        #expect(byDefault == (try generate(["--seed", "5", "--temperature", "0.8", "--top-k", "200"])))
        #expect(byDefault != (try generate(["--greedy"])), "the default samples; --greedy takes the argmax")
        let three = try generate(["--seed", "5", "--num-samples", "3"]).split(separator: "\n").map(String.init)
        #expect(three.count == 5 && three[1] == "---------------" && three[3] == "---------------", "\(three)")
        #expect(three[0] + "\n" == byDefault)
        #expect(three[2] + "\n" == (try generate(["--seed", "6"])))
        // Top-1 is greedy whatever the temperature.
        #expect(try generate(["--top-k", "1", "--temperature", "5"]) == generate(["--greedy"]))
    }

    /// S4: the first tokens are printed while the rest are still being generated, not at the end.
    @Test func tokensArePrintedAsTheyAreChosen() throws {
        let process = Process()
        process.executableURL = ProductRunner.productsDirectory.appendingPathComponent("retnet")
        process.arguments = ["generate", "--checkpoint", Self.directory, "--prompt", "1", "--max-new-tokens", "1000000"]
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        // SIGKILL: a child started from a test thread may inherit a mask that blocks SIGTERM.
        defer { if process.isRunning { kill(process.processIdentifier, SIGKILL) }; process.waitUntilExit() }
        // A pipe is not a terminal: before the change nothing arrived until the last token.
        let first = output.fileHandleForReading.availableData
        #expect(!first.isEmpty && process.isRunning, "tokens arrive while generation goes on")
        let id = String(decoding: first, as: UTF8.self).split(separator: ",").first.map(String.init) ?? ""
        #expect(Int(id) != nil, "\(id)")
    }
}
