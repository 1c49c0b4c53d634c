import Foundation
import TestSupport
import Testing
import Training

/// `retnet train` and the files of its --out: one run at a time, no temporary file left by a
/// signal or by a run that died, every stdout line on time, and a resumed run that says when a
/// flag disagrees with what it keeps.
@Suite struct TrainRunSafetyTests {
    static func train(_ arguments: [String]) throws -> ProductRunner.Run {
        try ProductRunner.run("retnet", ["train"] + arguments)
    }

    /// A finished 4-step run in a fresh directory.
    static func finishedRun(_ name: String) throws -> URL {
        let out = TinyModel.scratch(name)
        let run = try train(TrainCommandTests.tiny + ["--iterations", "4", "--out", out.path])
        #expect(run.status == 0, "\(run.stderr)")
        return out
    }

    /// M3 (m-conc-diff, m-conc-poll): a directory another process writes into is refused, naming it.
    @Test func aDirectoryInUseIsRefusedNamingTheProcess() throws {
        let out = try Self.finishedRun("lock")
        defer { try? FileManager.default.removeItem(at: out) }
        let descriptor = open(out.appendingPathComponent(".lock").path, O_RDWR | O_CREAT, 0o644)
        try #require(descriptor >= 0)
        #expect(flock(descriptor, LOCK_EX | LOCK_NB) == 0)
        let pid = ProcessInfo.processInfo.processIdentifier
        _ = ftruncate(descriptor, 0)
        _ = Data("\(pid)\n".utf8).withUnsafeBytes { pwrite(descriptor, $0.baseAddress, $0.count, 0) }
        let refused = try Self.train(["--resume", "--extend-to", "5", "--out", out.path])
        #expect(refused.status == 1 && refused.stderr.contains("in use by pid \(pid)"), "\(refused.stderr)")
        let fresh = try Self.train(TrainCommandTests.tiny + ["--iterations", "4", "--out", out.path])
        #expect(fresh.status == 1, "\(fresh.stderr)")
        close(descriptor)
        let resumed = try Self.train(["--resume", "--extend-to", "5", "--out", out.path])
        #expect(resumed.status == 0 && resumed.stdout.contains("saved \(out.path) at step 5"), "\(resumed.stdout) \(resumed.stderr)")
    }

    /// M4 (m-sigint-write): the temporaries of a process no longer alive are removed when a run
    /// starts, those of a live one kept; a directory holding only such leftovers is a run's own.
    @Test func temporariesOfDeadProcessesAreRemovedAtStart() throws {
        let out = try Self.finishedRun("stale")
        defer { try? FileManager.default.removeItem(at: out) }
        let dead = ".model.safetensors.2147483000.tmp"  // above any pid_max: no such process
        let live = ".optimizer.safetensors.\(ProcessInfo.processInfo.processIdentifier).tmp"
        for name in [dead, live] { try Data("half".utf8).write(to: out.appendingPathComponent(name)) }
        let resumed = try Self.train(["--resume", "--extend-to", "5", "--out", out.path])
        #expect(resumed.status == 0, "\(resumed.stderr)")
        let names = try FileManager.default.contentsOfDirectory(atPath: out.path)
        #expect(!names.contains(dead) && names.contains(live), "\(names)")
        // A fresh --out that holds only a dead run's temporary is taken, and the temporary removed.
        let fresh = TinyModel.scratch("stale-fresh")
        defer { try? FileManager.default.removeItem(at: fresh) }
        try FileManager.default.createDirectory(at: fresh, withIntermediateDirectories: true)
        try Data("half".utf8).write(to: fresh.appendingPathComponent(dead))
        let run = try Self.train(TrainCommandTests.tiny + ["--iterations", "2", "--out", fresh.path])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(!(try FileManager.default.contentsOfDirectory(atPath: fresh.path)).contains(dead))
    }

    /// m-sigint, M2 and M4: SIGINT and SIGTERM stop the run between writes (exit 128 + signal),
    /// leaving a complete checkpoint and no temporary file, and the evaluation lines printed to a
    /// pipe before the signal are there.
    @Test(arguments: [SIGINT, SIGTERM])
    func aSignalStopsBetweenWritesAndKeepsEveryLine(signal: Int32) throws {
        let out = TinyModel.scratch("signal")
        defer { try? FileManager.default.removeItem(at: out) }
        let process = Process()
        process.executableURL = ProductRunner.productsDirectory.appendingPathComponent("retnet")
        process.arguments = ["train"] + TrainCommandTests.tiny + ["--iterations", "100000", "--eval-interval", "1", "--out", out.path]
        let output = Pipe(), errors = Pipe()
        (process.standardOutput, process.standardError) = (output, errors)
        try process.run()
        let marker = out.appendingPathComponent("training.json")
        let deadline = Date().addingTimeInterval(120)
        while !FileManager.default.fileExists(atPath: marker.path) && Date() < deadline { usleep(20_000) }
        usleep(300_000)
        kill(process.processIdentifier, signal)
        let printed = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let stderr = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 128 + signal, "exit \(process.terminationStatus): \(stderr.suffix(500))")
        #expect(stderr.contains("stopped by SIG"), "\(stderr.suffix(500))")
        #expect(printed.contains("step 0: train loss"), "the evaluation lines reached the pipe: \(printed)")
        let names = try FileManager.default.contentsOfDirectory(atPath: out.path)
        #expect(!names.contains { $0.hasSuffix(".tmp") }, "\(names)")
        let contents = try TrainingCheckpoint.load(from: out)
        #expect(contents.optimizer.step >= 1)
    }

    /// M6 (m-resume-iters, m-resume-flags, m-extend): a flag that disagrees with the resumed run is
    /// refused naming both values; the same value is allowed; --extend-to trains a finished run on.
    @Test func resumeRefusesDisagreeingFlagsAndExtendsOnRequest() throws {
        let out = try Self.finishedRun("agree")
        defer { try? FileManager.default.removeItem(at: out) }
        let cases: [([String], Int32, String)] = [
            (["--iterations", "600"], 1, "--iterations: expected 4, the checkpoint's"),
            (["--learning-rate", "5e-4"], 1, "--learning-rate: expected 0.01"),
            (["--width", "64"], 1, "--width: expected 8"),
            (["--extend-to", "3"], 1, "--extend-to: expected more than the run's 4 steps"),
        ]
        for (arguments, status, message) in cases {
            let run = try Self.train(["--resume", "--out", out.path] + arguments)
            #expect(run.status == status && run.stderr.contains(message), "\(arguments): exit \(run.status), \(run.stderr)")
        }
        let noResume = try Self.train(TrainCommandTests.tiny + ["--extend-to", "8", "--out", TinyModel.scratch("x").path])
        #expect(noResume.status == 64 && noResume.stderr.contains("--extend-to"), "\(noResume.stderr)")
        let same = try Self.train(["--resume", "--out", out.path, "--iterations", "4", "--width", "8"])
        #expect(same.status == 0 && same.stdout.contains("at step 4 of 4"), "\(same.stderr)")
        let extended = try Self.train(["--resume", "--out", out.path, "--extend-to", "6"])
        #expect(extended.status == 0 && extended.stdout.contains("saved \(out.path) at step 6"), "\(extended.stdout) \(extended.stderr)")
        let contents = try TrainingCheckpoint.load(from: out)
        #expect(contents.configuration.iterations == 6 && contents.optimizer.step == 6)
    }

    /// M8 (a-debug-train): a debug build says so, with the command for an optimised one.
    @Test func aDebugBuildSaysSo() throws {
        #if DEBUG
        let out = TinyModel.scratch("debug")
        defer { try? FileManager.default.removeItem(at: out) }
        let run = try Self.train(TrainCommandTests.tiny + ["--iterations", "1", "--out", out.path])
        #expect(run.stderr.contains("debug build") && run.stderr.contains("swift run -c release retnet train"), "\(run.stderr)")
        #endif
    }

    /// L1 (t-out-proc): an --out that cannot be made is refused before the model is built, and a
    /// failed run leaves no directory it created.
    @Test func anOutThatCannotBeMadeIsRefusedFirst() throws {
        let run = try Self.train(TrainCommandTests.tiny + ["--iterations", "1", "--out", "/proc/retnet-out"])
        #expect(run.status == 1 && !run.stdout.contains("training"), "\(run.stdout) \(run.stderr)")
        let out = TinyModel.scratch("failed")
        let failed = try Self.train(TrainCommandTests.tiny + ["--iterations", "1", "--context", "60000", "--out", out.path])
        #expect(failed.status != 0)
        #expect(!FileManager.default.fileExists(atPath: out.path))
    }
}

/// Low-list messages: what the file or folder is, not Foundation's error number.
@Suite struct TrainMessageTests {
    /// L3 (tt-inspect, tt-logits): a Transformer's checkpoint is named as such.
    @Test func inspectAndLogitsNameATransformersCheckpoint() throws {
        let out = TinyModel.scratch("l3")
        defer { try? FileManager.default.removeItem(at: out) }
        let trained = try TrainRunSafetyTests.train(TrainCommandTests.tiny + ["--model", "transformer", "--iterations", "1", "--out", out.path])
        #expect(trained.status == 0, "\(trained.stderr)")
        for arguments in [["inspect"], ["logits", "--tokens", "1,2"]] {
            let run = try ProductRunner.run("retnet", arguments + ["--checkpoint", out.path])
            #expect(run.status == 1 && run.stderr.contains("holds a Transformer's checkpoint"), "\(arguments): \(run.stderr)")
        }
    }

    /// L1 (t-dir-as-data): a folder given as --data is called a folder.
    @Test func aFolderAsDataIsNamed() throws {
        let run = try TrainRunSafetyTests.train(TrainCommandTests.tiny + ["--data", "/tmp", "--out", TinyModel.scratch("l1").path])
        #expect(run.status == 1 && run.stderr.contains("/tmp: is a directory, not a text file"), "\(run.stderr)")
        #expect(!run.stderr.contains("NSCocoaErrorDomain"))
    }

    /// L1 (r-j-float-step, r-trunc-json): a training.json with a fraction for the step names the
    /// field, not "not valid JSON"; a truncated one is called invalid JSON, without a dump.
    @Test func trainingJSONErrorsNameTheField() throws {
        do {
            _ = try TrainingCheckpoint.settings(fromTrainingJSON: Data(#"{"format": "retnet-training-checkpoint", "step": 40.5}"#.utf8))
            Issue.record("accepted")
        } catch {
            #expect("\(error)".contains("valid JSON, but a field holds a value of another type"), "\(error)")
            #expect(!"\(error)".contains("DecodingError"), "\(error)")
        }
        do {
            _ = try TrainingCheckpoint.settings(fromTrainingJSON: Data(#"{"step": 4"#.utf8))
            Issue.record("accepted")
        } catch {
            #expect("\(error)".contains("not valid JSON") && !"\(error)".contains("DecodingError"), "\(error)")
        }
    }
}
