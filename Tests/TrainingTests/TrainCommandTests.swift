import FastTransformer
import Foundation
import Generation
import TestSupport
import Testing
import Training
import Transformer

/// `retnet train` and `retnet generate --prompt-text`, run as a user would, on a model small
/// enough for a debug build.
@Suite struct TrainCommandTests {
    static let tiny = ["--layers", "1", "--heads", "2", "--width", "8", "--context", "8", "--batch-size", "2",
                       "--eval-interval", "2", "--eval-iterations", "1", "--learning-rate", "1e-2", "--warmup", "1"]

    static func train(_ arguments: [String]) throws -> ProductRunner.Run {
        try ProductRunner.run("retnet", ["train"] + arguments)
    }

    /// A small text file in a fresh folder.
    static func textFile(_ text: String) throws -> URL {
        let url = TinyModel.scratch("text").appendingPathExtension("txt")
        try Data(text.utf8).write(to: url)
        return url
    }

    @Test func trainsResumesBitIdenticallyAndGeneratesText() throws {
        let whole = TinyModel.scratch("cli-whole"), parts = TinyModel.scratch("cli-parts")
        defer { for url in [whole, parts] { try? FileManager.default.removeItem(at: url) } }
        let run = try Self.train(Self.tiny + ["--iterations", "4", "--out", whole.path])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.contains("step 4: train loss"), "\(run.stdout)")
        #expect(run.stderr.contains("step 4/4"), "a progress line: \(run.stderr)")
        // Stopped after 2 steps, then resumed on 2 threads: the same files, byte for byte.
        let first = try Self.train(Self.tiny + ["--iterations", "4", "--stop-after", "2", "--out", parts.path])
        #expect(first.status == 0, "\(first.stderr)")
        let second = try Self.train(["--resume", "--threads", "2", "--out", parts.path])
        #expect(second.status == 0, "\(second.stderr)")
        #expect(second.stdout.contains("resuming") && second.stdout.contains("at step 2 of 4"), "\(second.stdout)")
        for file in ["model.safetensors", "optimizer.safetensors", "training.json", "config.json", "tokenizer.json"] {
            #expect(try Data(contentsOf: whole.appendingPathComponent(file)) == Data(contentsOf: parts.appendingPathComponent(file)),
                    "\(file) differs between the whole run and the resumed one")
        }
        let text = try ProductRunner.run("retnet", ["generate", "--checkpoint", whole.path, "--prompt-text", "ROMEO:",
                                                    "--max-new-tokens", "20", "--temperature", "0.8", "--seed", "3"])
        #expect(text.status == 0, "\(text.stderr)")
        #expect(text.stdout.hasPrefix("ROMEO:") && text.stdout.unicodeScalars.count == "ROMEO:".count + 20 + 1, "\(text.stdout)")
    }

    /// Off a terminal a progress line is printed every evaluation interval: the line of an
    /// evaluated step shows that step's validation loss, not the previous evaluation's.
    @Test func theProgressLineOfAnEvaluatedStepShowsItsEvaluation() throws {
        let out = TinyModel.scratch("cli-progress")
        defer { try? FileManager.default.removeItem(at: out) }
        let run = try Self.train(Self.tiny + ["--iterations", "4", "--out", out.path])
        #expect(run.status == 0, "\(run.stderr)")
        func validation(at step: Int) -> String? {
            run.stdout.split(separator: "\n").first { $0.hasPrefix("step \(step): ") }?.components(separatedBy: "val loss ").last
        }
        for step in [2, 4] {
            let line = run.stderr.split(separator: "\n").first { $0.hasPrefix("step \(step)/4 ") }
            let evaluated = try #require(validation(at: step), "no evaluation at step \(step): \(run.stdout)")
            #expect(line?.contains("  val \(evaluated)  ") == true, "step \(step)'s evaluation \(evaluated), progress line: \(line ?? "none")")
            // The evaluations differ, so the line could not show the previous one by accident.
            #expect(validation(at: step - 2) != evaluated, "validation loss unchanged from step \(step - 2)")
        }
    }

    @Test func badInputIsAClearErrorAndANonZeroExit() throws {
        let foreign = TinyModel.scratch("cli-foreign")
        try FileManager.default.createDirectory(at: foreign, withIntermediateDirectories: true)
        try Data("keep me".utf8).write(to: foreign.appendingPathComponent("notes.txt"))
        let empty = try Self.textFile("")
        let short = try Self.textFile("To be, or not")
        let out = TinyModel.scratch("cli-out")
        defer { for url in [foreign, empty, short, out] { try? FileManager.default.removeItem(at: url) } }
        let cases: [([String], Int32, String)] = [
            (["--data", "/nonexistent/text.txt", "--out", out.path], 1, "/nonexistent/text.txt"),
            (["--data", empty.path, "--out", out.path], 1, "holds no characters"),
            (["--data", short.path, "--context", "64", "--out", out.path], 1, "context"),
            (["--batch-size", "0", "--out", out.path], 64, "--batch-size"),
            (["--learning-rate", "0", "--out", out.path], 64, "--learning-rate"),
            (["--learning-rate", "-1e-3", "--out", out.path], 64, "--learning-rate"),
            (["--heads", "3", "--out", out.path], 64, "--width"),
            (["--threads", "0", "--out", out.path], 64, "--threads must be at least 1, got 0"),
            (["--threads", "257", "--out", out.path], 64, "--threads must be at most 256, got 257"),
            (["--width", "1000000", "--out", out.path], 64, "--width must be at most 65536, got 1000000"),
            (["--ffn-width", "1000000000", "--out", out.path], 64, "--ffn-width must be at most 65536"),
            (["--value-width", "1000000000", "--out", out.path], 64, "--value-width must be at most 65536"),
            (["--heads", "1000000", "--out", out.path], 64, "--heads must be at most 65536"),
            (["--batch-size", "9223372036854775807", "--out", out.path], 64, "--batch-size must be at most 65536"),
            (["--context", "1000000", "--out", out.path], 64, "--context must be at most 65536"),
            (["--form", "chunkwise", "--chunk-size", "0", "--out", out.path], 64, "--chunk-size must be at least 1, got 0"),
            // The parallel form keeps every head's 65,536² scores: terabytes, beyond any machine this runs on.
            (["--context", "65536", "--out", out.path], 1, "an estimated"),
            (["--form", "chunkwise", "--chunk-size", "9", "--out", out.path], 64, "--chunk-size 9 is longer than --context 8"),
            (["--form", "chunkwise", "--out", out.path], 64, "--form chunkwise needs --chunk-size"),
            (["--chunk-size", "4", "--out", out.path], 64, "--chunk-size 4 is for --form chunkwise or tiled"),
            (["--form", "tiled", "--chunk-size", "4", "--out", out.path], 64, "--form tiled is softmax attention's form"),
            (["--form", "chunkwise", "--chunk-size", "4", "--model", "transformer", "--out", out.path], 64,
             "--form chunkwise is retention's form"),
            (["--out", foreign.path], 1, "is not a training checkpoint"),
            (["--resume", "--out", out.path], 1, "not a training checkpoint"),
        ]
        for (arguments, status, message) in cases {
            let run = try Self.train(Self.tiny + ["--iterations", "1"] + arguments)
            #expect(run.status == status, "\(arguments): exit \(run.status), stderr \(run.stderr)")
            #expect(run.stderr.contains(message), "\(arguments): stderr \(run.stderr)")
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: foreign.path) == ["notes.txt"])
        #expect(!FileManager.default.fileExists(atPath: out.path))
    }

    /// The long-sequence forms: a RetNet in chunks, a Transformer in tiles, each stopped, resumed
    /// on two threads without the flags (the checkpoint keeps its form) and equal byte for byte to a
    /// run that never stopped; the form is in training.json.
    @Test(arguments: [["--form", "chunkwise", "--chunk-size", "3"], ["--model", "transformer", "--form", "tiled", "--chunk-size", "3"]])
    func longSequenceFormsResumeBitIdentically(form: [String]) throws {
        let whole = TinyModel.scratch("cli-form-whole"), parts = TinyModel.scratch("cli-form-parts")
        defer { for url in [whole, parts] { try? FileManager.default.removeItem(at: url) } }
        let run = try Self.train(Self.tiny + form + ["--iterations", "4", "--out", whole.path])
        #expect(run.status == 0, "\(run.stderr)")
        let first = try Self.train(Self.tiny + form + ["--iterations", "4", "--stop-after", "2", "--out", parts.path])
        #expect(first.status == 0, "\(first.stderr)")
        let second = try Self.train(["--resume", "--threads", "2", "--out", parts.path])
        #expect(second.status == 0, "\(second.stderr)")
        for file in ["model.safetensors", "optimizer.safetensors", "training.json"] {
            #expect(try Data(contentsOf: whole.appendingPathComponent(file)) == Data(contentsOf: parts.appendingPathComponent(file)),
                    "\(form): \(file)")
        }
        let record = try String(contentsOf: whole.appendingPathComponent("training.json"), encoding: .utf8)
        #expect(record.contains("\"chunk_size\" : 3"), "\(record)")
    }

    @Test func resumingOnATextWithOtherCharactersIsRefused() throws {
        let out = TinyModel.scratch("cli-chars")
        let other = try Self.textFile(String(repeating: "Zebra € and more text. ", count: 40))
        defer { for url in [out, other] { try? FileManager.default.removeItem(at: url) } }
        let first = try Self.train(Self.tiny + ["--iterations", "2", "--stop-after", "1", "--out", out.path])
        #expect(first.status == 0, "\(first.stderr)")
        let resumed = try Self.train(["--resume", "--data", other.path, "--out", out.path])
        #expect(resumed.status == 1)
        #expect(resumed.stderr.contains("is not in the tokenizer's vocabulary"), "\(resumed.stderr)")
        let again = try Self.train(Self.tiny + ["--iterations", "2", "--out", out.path])
        #expect(again.status == 1)
        #expect(again.stderr.contains("--resume"), "a second run into a checkpoint asks for --resume: \(again.stderr)")
    }
}

@Suite struct GeneratePromptTextTests {
    @Test(arguments: [
        (["--prompt", "1,2", "--prompt-text", "RO"], Int32(64), "exactly one of --prompt"),
        ([String](), 64, "exactly one of --prompt"),
        (["--prompt-text", ""], 64, "--prompt-text must hold"),
        (["--prompt-text", "RO"], 1, "no tokenizer.json"),
    ])
    func promptFlagsAreCheckedAndATokenizerIsNeeded(arguments: [String], status: Int32, message: String) throws {
        let run = try ProductRunner.run("retnet", ["generate", "--checkpoint", Fixtures.directory("one-head-gelu").path,
                                                   "--max-new-tokens", "3"] + arguments)
        #expect(run.status == status, "\(arguments): exit \(run.status), \(run.stderr)")
        #expect(run.stderr.contains(message), "\(arguments): \(run.stderr)")
        #expect(run.stdout.isEmpty)
    }
}

/// `retnet train --model transformer`: the baseline trained by the same command.
@Suite struct TrainTransformerCommandTests {
    @Test func trainsTheTransformerAndWritesItsCheckpoint() throws {
        let out = TinyModel.scratch("cli-transformer")
        defer { try? FileManager.default.removeItem(at: out) }
        let run = try TrainCommandTests.train(TrainCommandTests.tiny + ["--model", "transformer", "--iterations", "4", "--out", out.path])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.contains("of the Transformer baseline") && run.stdout.contains("step 4: train loss"), "\(run.stdout)")
        for file in ["model.safetensors", "transformer.json", "optimizer.safetensors", "tokenizer.json", "training.json"] {
            #expect(FileManager.default.fileExists(atPath: out.appendingPathComponent(file).path), "\(file)")
        }
    }

    @Test func whatTheTransformerCannotDoIsAUsageError() throws {
        let out = TinyModel.scratch("cli-transformer-bad")
        defer { try? FileManager.default.removeItem(at: out) }
        for (arguments, message) in [(["--gradients", "reference"], "--gradients reference"), (["--model", "gpt"], "--model")] {
            let run = try TrainCommandTests.train(
                (arguments.first == "--model" ? [] : ["--model", "transformer"]) + arguments + ["--out", out.path])
            #expect(run.status == 64, "\(arguments): \(run.stderr)")
            #expect(run.stderr.contains(message), "\(arguments): \(run.stderr)")
        }
    }

    /// Stopped after 2 of 4 steps, then resumed on 2 threads (the model told by the directory's
    /// files): the same files, byte for byte, as the run that never stopped.
    @Test func resumesBitIdentically() throws {
        let whole = TinyModel.scratch("cli-transformer-whole"), parts = TinyModel.scratch("cli-transformer-parts")
        defer { for url in [whole, parts] { try? FileManager.default.removeItem(at: url) } }
        let settings = TrainCommandTests.tiny + ["--model", "transformer", "--iterations", "4"]
        let run = try TrainCommandTests.train(settings + ["--out", whole.path])
        #expect(run.status == 0, "\(run.stderr)")
        let first = try TrainCommandTests.train(settings + ["--stop-after", "2", "--out", parts.path])
        #expect(first.status == 0, "\(first.stderr)")
        let second = try TrainCommandTests.train(["--resume", "--threads", "2", "--out", parts.path])
        #expect(second.status == 0, "\(second.stderr)")
        #expect(second.stdout.contains("(the Transformer baseline) at step 2 of 4"), "\(second.stdout)")
        #expect(second.stdout.contains("step 4: train loss"), "\(second.stdout)")
        for file in ["model.safetensors", "optimizer.safetensors", "training.json", "transformer.json", "tokenizer.json"] {
            #expect(try Data(contentsOf: whole.appendingPathComponent(file)) == Data(contentsOf: parts.appendingPathComponent(file)),
                    "\(file) differs between the whole run and the resumed one")
        }
        #expect(!FileManager.default.fileExists(atPath: parts.appendingPathComponent("config.json").path))
        try Self.generatesWithTheTrainingContext(whole)
    }

    /// `retnet generate` on the checkpoint: the text `FastTransformer.generate` (module
    /// `Generation`) gives with the checkpoint's model, tokenizer and training context (8, so 20
    /// new tokens after "ROMEO:" go past it).
    static func generatesWithTheTrainingContext(_ directory: URL) throws {
        let run = try ProductRunner.run("retnet", ["generate", "--checkpoint", directory.path, "--prompt-text", "ROMEO:",
                                                   "--max-new-tokens", "20", "--temperature", "0.8", "--seed", "3"])
        #expect(run.status == 0, "\(run.stderr)")
        let contents = try TrainingCheckpoint.load(Transformer<Float>.self, from: directory)
        #expect(contents.configuration.context == 8)
        let prompt = try contents.tokenizer.encode("ROMEO:")
        let fast = try FastTransformer(contents.model)
        let tokens = try fast.generate(prompt: prompt, count: 20, sampler: .temperature(0.8, seed: 3), context: 8).tokens
        #expect(run.stdout == (try contents.tokenizer.decode(prompt + tokens)) + "\n", "\(run.stdout)")
        let ids = try ProductRunner.run("retnet", ["generate", "--checkpoint", directory.path, "--prompt", "1,2,3", "--max-new-tokens", "10",
                                                   "--greedy"])
        let greedy = try fast.generate(prompt: [1, 2, 3], count: 10, context: 8).tokens
        #expect(ids.status == 0 && ids.stdout == greedy.map(String.init).joined(separator: ",") + "\n", "\(ids.stdout) \(ids.stderr)")
        let chunked = try ProductRunner.run("retnet", ["generate", "--checkpoint", directory.path, "--prompt", "1", "--max-new-tokens", "2",
                                                       "--chunk-size", "4"])
        #expect(chunked.status == 64 && chunked.stderr.contains("--chunk-size"), "\(chunked.stderr)")
    }

    /// `--resume` takes the directory's model: a `--model` naming the other one is an error that
    /// leaves the checkpoint as it was; naming the same one is allowed.
    @Test func aModelThatDisagreesWithTheCheckpointIsRefused() throws {
        let transformer = TinyModel.scratch("cli-transformer-kind"), retnet = TinyModel.scratch("cli-retnet-kind")
        defer { for url in [transformer, retnet] { try? FileManager.default.removeItem(at: url) } }
        for (model, out) in [("transformer", transformer), ("retnet", retnet)] {
            let run = try TrainCommandTests.train(TrainCommandTests.tiny + ["--model", model, "--iterations", "2", "--stop-after", "1",
                                                                            "--out", out.path])
            #expect(run.status == 0, "\(run.stderr)")
        }
        let before = try TransformerCheckpointTests.files(transformer)
        let cases: [(URL, [String], Int32, String)] = [
            (transformer, ["--model", "retnet"], 1, "--model: expected transformer (\(transformer.path) holds a Transformer's checkpoint)"),
            (retnet, ["--model", "transformer"], 1, "--model: expected retnet (\(retnet.path) holds a RetNet's checkpoint)"),
            (transformer, ["--gradients", "reference"], 64, "the Transformer is trained on the kernels only"),
        ]
        for (out, arguments, status, message) in cases {
            let run = try TrainCommandTests.train(["--resume", "--out", out.path] + arguments)
            #expect(run.status == status, "\(arguments): exit \(run.status), \(run.stderr)")
            #expect(run.stderr.contains(message), "\(arguments): \(run.stderr)")
            #expect(!run.stdout.contains("resuming"), "\(arguments): \(run.stdout)")
        }
        #expect(try TransformerCheckpointTests.files(transformer) == before)
        let agreeing = try TrainCommandTests.train(["--resume", "--model", "transformer", "--out", transformer.path])
        #expect(agreeing.status == 0, "\(agreeing.stderr)")
        #expect(agreeing.stdout.contains("at step 1 of 2") && agreeing.stdout.contains("saved \(transformer.path) at step 2"),
                "\(agreeing.stdout)")
        // Both configuration files: which model it is cannot be told; with neither, the loader of
        // the --model says which file is missing.
        try FileManager.default.copyItem(at: retnet.appendingPathComponent("config.json"), to: transformer.appendingPathComponent("config.json"))
        let both = try TrainCommandTests.train(["--resume", "--out", transformer.path])
        #expect(both.status == 1 && both.stderr.contains("which model it is cannot be told"), "\(both.stderr)")
        for file in ["config.json", "transformer.json"] {
            try FileManager.default.removeItem(at: transformer.appendingPathComponent(file))
        }
        let neither = try TrainCommandTests.train(["--resume", "--model", "transformer", "--out", transformer.path])
        #expect(neither.status == 1 && neither.stderr.contains("cannot read transformer.json"), "\(neither.stderr)")
    }
}

/// `retnet train --model linear-attention`: the third mixer trained through the same trainer and
/// driver, its checkpoint a Transformer's that says `"attention": "linear"`, resumed bit for bit,
/// told apart from a softmax Transformer's, and generating on the reference model.
@Suite struct TrainLinearAttentionCommandTests {
    @Test func trainsResumesAndGenerates() throws {
        let whole = TinyModel.scratch("cli-linear-whole"), parts = TinyModel.scratch("cli-linear-parts")
        defer { for url in [whole, parts] { try? FileManager.default.removeItem(at: url) } }
        let settings = TrainCommandTests.tiny + ["--model", "linear-attention", "--iterations", "12", "--learning-rate", "0.01",
                                                 "--warmup", "0"]
        let run = try TrainCommandTests.train(settings + ["--out", whole.path])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.contains("of the linear-attention Transformer"), "\(run.stdout)")
        // It learns: the last step's training loss below the first's.
        let losses = run.stdout.split(separator: "\n").compactMap { line -> Double? in
            guard let range = line.range(of: "train loss ") else { return nil }
            return Double(line[range.upperBound...].prefix { !$0.isWhitespace && $0 != "," })
        }
        #expect(losses.count >= 2 && losses.last! < losses.first!, "losses \(losses)")
        let stored = try JSONDecoder().decode(TransformerConfig.self,
                                              from: Data(contentsOf: whole.appendingPathComponent("transformer.json")))
        #expect(stored.attention == .linear)

        let first = try TrainCommandTests.train(settings + ["--stop-after", "6", "--out", parts.path])
        #expect(first.status == 0, "\(first.stderr)")
        let refused = try TrainCommandTests.train(["--resume", "--model", "transformer", "--out", parts.path])
        #expect(refused.status == 1 && refused.stderr.contains("expected linear-attention"), "\(refused.stderr)")
        let second = try TrainCommandTests.train(["--resume", "--threads", "2", "--out", parts.path])
        #expect(second.status == 0, "\(second.stderr)")
        for file in ["model.safetensors", "optimizer.safetensors", "training.json", "transformer.json"] {
            #expect(try Data(contentsOf: whole.appendingPathComponent(file)) == Data(contentsOf: parts.appendingPathComponent(file)),
                    "\(file) differs between the whole run and the resumed one")
        }

        let generated = try ProductRunner.run("retnet", ["generate", "--checkpoint", whole.path, "--prompt", "1,2,3",
                                                         "--max-new-tokens", "10", "--greedy"])
        let contents = try TrainingCheckpoint.load(Transformer<Float>.self, from: whole)
        let expected = try contents.model.generate(prompt: [1, 2, 3], count: 10, context: 8).tokens
        #expect(generated.status == 0 && generated.stdout == expected.map(String.init).joined(separator: ",") + "\n",
                "\(generated.stdout) \(generated.stderr)")
    }
}
