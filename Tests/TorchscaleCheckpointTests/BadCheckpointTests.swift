import Foundation
import SafeTensors
import TestSupport
import Testing
import TorchscaleCheckpoint

/// A scratch copy of a fixture that a test may break.
struct ScratchCheckpoint {
    let url: URL

    init(from fixture: String = "one-head-gelu") throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("checkpoint-\(UUID().uuidString)")
        try FileManager.default.copyItem(at: Fixtures.directory(fixture), to: url)
    }

    var config: URL { url.appendingPathComponent("config.json") }
    var weights: URL { url.appendingPathComponent("model.safetensors") }

    func editConfig(_ edit: (inout [String: Any]) -> Void) throws {
        var object = try JSONSerialization.jsonObject(with: Data(contentsOf: config)) as! [String: Any]
        edit(&object)
        try JSONSerialization.data(withJSONObject: object).write(to: config)
    }

    /// Rewrites the weights with `edit` applied to the name → (shape, values) table.
    func editWeights(_ edit: (inout [String: ([Int], [Float])]) -> Void) throws {
        let file = try SafeTensors(contentsOf: weights)
        var table: [String: ([Int], [Float])] = [:]
        for name in file.names { table[name] = (file.tensors[name]!.shape, try file.floats(name)) }
        edit(&table)
        try SafeTensors.write(table.keys.sorted().map { .init(name: $0, shape: table[$0]!.0, values: table[$0]!.1) }, to: weights)
    }

    func remove() { try? FileManager.default.removeItem(at: url) }

    func loadError() -> CheckpointError? {
        do {
            _ = try TorchscaleCheckpoint(directory: url).model(Float.self)
            return nil
        } catch {
            return error
        }
    }
}

@Suite struct BadCheckpoints {
    @Test func missingDirectoryOrConfig() throws {
        let scratch = try ScratchCheckpoint()
        defer { scratch.remove() }
        try FileManager.default.removeItem(at: scratch.config)
        #expect(scratch.loadError() == .missingFile(scratch.config.path))
        #expect(throws: CheckpointError.self) { try TorchscaleCheckpoint(directory: URL(fileURLWithPath: "/nonexistent")) }
    }

    /// Each key with a JSON value that turns its feature on.
    @Test(arguments: [("multiway", "true"), ("moe_freq", "2"), ("deepnorm", "true"), ("xpos_rel_pos", "true"),
                      ("share_decoder_input_output_embed", "true"), ("decoder_normalize_before", "false")])
    func unsupportedFeaturesAreNamed(key: String, json: String) throws {
        let scratch = try ScratchCheckpoint()
        defer { scratch.remove() }
        let value = try JSONSerialization.jsonObject(with: Data(json.utf8), options: .fragmentsAllowed)
        try scratch.editConfig { $0[key] = value }
        guard case .unsupportedFeature(let named, _, let reason)? = scratch.loadError() else {
            Issue.record("\(key) = \(json) was not rejected as unsupported")
            return
        }
        #expect(named == key && !reason.isEmpty)
    }

    @Test func defaultValuesOfUnsupportedKeysAreFine() throws {
        let scratch = try ScratchCheckpoint()
        defer { scratch.remove() }
        try scratch.editConfig { $0["multiway"] = false; $0["moe_freq"] = 0; $0["dropout"] = 0.1; $0["subln"] = true }
        #expect(scratch.loadError() == nil)
    }

    @Test func unknownKeysAreListed() throws {
        let scratch = try ScratchCheckpoint()
        defer { scratch.remove() }
        try scratch.editConfig { $0["flash_attention"] = true; $0["zeta"] = 1 }
        #expect(scratch.loadError() == .unknownConfigKeys(["flash_attention", "zeta"]))
    }

    @Test func invalidSizesNameTheField() throws {
        let scratch = try ScratchCheckpoint()
        defer { scratch.remove() }
        try scratch.editConfig { $0["decoder_retention_heads"] = 3 }
        guard case .config(let error)? = scratch.loadError() else { Issue.record("3 heads for E = 8 accepted"); return }
        #expect("\(error)".contains("decoder_embed_dim") || "\(error)".contains("decoder_retention_heads"), "\(error)")
    }

    @Test func missingExtraAndMisshapenTensors() throws {
        let scratch = try ScratchCheckpoint()
        defer { scratch.remove() }
        try scratch.editWeights { $0["layers.0.ffn.gate.weight"] = nil }
        #expect(scratch.loadError() == .missingTensor("layers.0.ffn.gate.weight"))

        let extra = try ScratchCheckpoint()
        defer { extra.remove() }
        try extra.editWeights { $0["layers.1.ffn.gate.weight"] = ([1], [0]) }
        #expect(extra.loadError() == .unexpectedTensors(["layers.1.ffn.gate.weight"]))

        let misshapen = try ScratchCheckpoint()
        defer { misshapen.remove() }
        try misshapen.editWeights { $0["layers.0.retention.v_proj.weight"] = ([4, 16], [Float](repeating: 0, count: 64)) }
        #expect(misshapen.loadError() == .tensorShape(name: "layers.0.retention.v_proj.weight", expected: [8, 8], got: [4, 16]))
    }

    @Test func aBufferFromAnotherModelIsCaught() throws {
        let scratch = try ScratchCheckpoint()
        defer { scratch.remove() }
        try scratch.editWeights { $0["retnet_rel_pos.decay"] = ([1], [-0.5]) }
        guard case .bufferMismatch(let name, 0, _, -0.5)? = scratch.loadError() else {
            Issue.record("a wrong decay buffer was accepted: \(String(describing: scratch.loadError()))")
            return
        }
        #expect(name == "retnet_rel_pos.decay")
    }

    @Test func truncatedWeightsAreAWeightsError() throws {
        let scratch = try ScratchCheckpoint()
        defer { scratch.remove() }
        let bytes = try Data(contentsOf: scratch.weights)
        try bytes.prefix(bytes.count - 10).write(to: scratch.weights)
        guard case .weights? = scratch.loadError() else { Issue.record("a truncated file loaded"); return }
    }

    @Test func thousandsOfMutatedHeadersNeverCrash() throws {
        // Mutate the JSON header of a real checkpoint: each result must be a clean error or a
        // valid file, never a crash; valid ones must still load or fail with a CheckpointError.
        let original = try Data(contentsOf: Fixtures.weights("one-head-gelu"))
        let headerLength = Int(original.withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) })
        var state: UInt64 = 42
        func next() -> Int {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Int(truncatingIfNeeded: state >> 33)
        }
        let alphabet = Array("0123456789[]{}\",: -.eE\\abcdefghijklmnopqrstuvwxyzF".utf8)
        var errors = 0, valid = 0
        for _ in 0..<3_000 {
            var bytes = [UInt8](original)
            for _ in 0..<(1 + next() % 3) {
                let index = 8 + next() % headerLength
                bytes[index] = next() % 5 == 0 ? UInt8(truncatingIfNeeded: next()) : alphabet[next() % alphabet.count]
            }
            do {
                let file = try SafeTensors(data: Data(bytes))
                valid += 1
                for name in file.names { _ = try? file.floats(name) }
            } catch {
                errors += 1
            }
        }
        #expect(errors > 0 && valid + errors == 3_000)
    }
}
