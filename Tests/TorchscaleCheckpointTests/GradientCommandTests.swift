import Foundation
import Matrices
import SafeTensors
import TestSupport
import Testing

/// `retnet gradients`, run as a user would: the file it writes holds torch autograd's gradients
/// (gradients.safetensors), the loss it prints is torch's, and bad input is a clear error.
@Suite struct GradientCommandTests {
    static let fixture = "two-heads-swish-wide-values"

    func temporaryFile(_ name: String) -> URL {
        FileManager.default.temporaryDirectory.appendingPathComponent("retnet-gradients-\(UUID().uuidString)-\(name)")
    }

    /// The command computes in Double and writes F32, so each tensor is our Double gradient
    /// (within 1e-6 of torch's float64 one: `AutogradParityTests`) rounded once to float32,
    /// 6e-8 relative: 1e-6 per tensor holds, as in AutogradParityTests, with the rounding
    /// inside the same factor 2 of margin.
    @Test("parallel: the file holds torch's gradients under the checkpoint's names; the loss is torch's")
    func parallelMatchesAutograd() throws {
        let recorded = try SafeTensors(contentsOf: Fixtures.gradients(Self.fixture))
        let record = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: Fixtures.gradientRecord(Self.fixture)))
            as? [String: Any])
        let tokens = try #require(record["tokens"] as? [Int])
        let out = temporaryFile("parallel.safetensors")
        defer { try? FileManager.default.removeItem(at: out) }
        let run = try RetNetCommand.run(["gradients", "--checkpoint", Fixtures.directory(Self.fixture).path,
                                         "--tokens", tokens.map(String.init).joined(separator: ","), "--out", out.path])
        #expect(run.status == 0, "\(run.stderr)")
        let last = try #require(run.stdout.split(separator: "\n").last.map(String.init))
        let json = try #require(try JSONSerialization.jsonObject(with: Data(last.utf8)) as? [String: Double], "last line: \(last)")
        let loss = try #require(json["loss"]), torchLoss = try #require(record["loss_float64"] as? Double)
        #expect(Swift.abs(loss - torchLoss) <= 1e-6 * torchLoss, "loss \(loss), torch \(torchLoss)")

        let written = try SafeTensors(contentsOf: out)
        let torchNames = recorded.names.filter { $0.hasPrefix("float64/") }.map { String($0.dropFirst("float64/".count)) }
        #expect(written.names == torchNames.sorted(), "one tensor per parameter, torch's names")
        for name in written.names {
            let tensor = try written.tensor(name)
            #expect(tensor.dtype == .f32, "\(name) is F32")
            let shape = tensor.shape
            func matrix(_ values: [Double]) -> Matrix<Double> {
                Matrix(rows: shape.count == 2 ? shape[0] : 1, columns: shape.last ?? 0, entries: values)
            }
            #expect(try recorded.tensor("float64/" + name).shape == shape, "\(name): torch's shape")
            expectClose(matrix(try written.doubles(name)), matrix(try recorded.doubles("float64/" + name)), relative: 1e-6,
                        "retnet gradients vs torch float64: \(name)")
        }
    }

    /// The other modes write the same tensors (their own torchscale factors change the values
    /// at ε = 1e-6, so only the names and shapes are compared), replacing an existing file.
    @Test(arguments: ["recurrent", "chunkwise"])
    func otherModesWriteEveryTensor(mode: String) throws {
        let out = temporaryFile("\(mode).safetensors")
        defer { try? FileManager.default.removeItem(at: out) }
        // A file this command did not write is replaced only with --force.
        try Data("stale".utf8).write(to: out)
        let run = try RetNetCommand.run(["gradients", "--checkpoint", Fixtures.directory(Self.fixture).path,
                                         "--tokens", "3,1,4,1,5,9,2", "--mode", mode, "--chunk-size", "3", "--out", out.path, "--force"])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.split(separator: "\n").last?.hasPrefix("{\"loss\": ") == true, "\(run.stdout)")
        let written = try SafeTensors(contentsOf: out)
        let parallel = try SafeTensors(contentsOf: Fixtures.gradients(Self.fixture))
        #expect(written.names.count * 2 == parallel.names.count)
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: out.deletingLastPathComponent().path)
            .filter { $0.hasPrefix(".\(out.lastPathComponent)") }
        #expect(leftovers.isEmpty, "no temporary file left: \(leftovers)")
    }

    @Test(arguments: [
        (["--tokens", "1,99"], Int32(1), "vocab_size"),
        (["--tokens", "3"], 64, "at least 2 token ids"),
        (["--tokens", "3,x"], 64, "--tokens must be"),
        (["--tokens", "3,1", "--mode", "chunkwise", "--chunk-size", "0"], 64, "--chunk-size"),
        (["--tokens", "3,1", "--out", "/nonexistent-folder/g.safetensors"], 1, "cannot write /nonexistent-folder/g.safetensors"),
    ])
    func badInput(arguments: [String], status: Int32, message: String) throws {
        let out = temporaryFile("bad.safetensors")
        let outArguments = arguments.contains("--out") ? [] : ["--out", out.path]
        let run = try RetNetCommand.run(["gradients", "--checkpoint", Fixtures.directory("one-head-gelu").path]
                                        + arguments + outArguments)
        #expect(run.status == status, "\(arguments): exit \(run.status), stderr \(run.stderr)")
        #expect(run.stderr.contains(message), "\(arguments): stderr \(run.stderr)")
        #expect(run.stdout.isEmpty, "\(arguments): stdout \(run.stdout)")
        #expect(!FileManager.default.fileExists(atPath: out.path), "\(arguments): nothing written")
    }
}
