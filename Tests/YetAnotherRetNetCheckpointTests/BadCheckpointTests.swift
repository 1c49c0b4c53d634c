import FastRetNet
import FastTraining
import Foundation
import Matrices
import RetNetModel
import SafeTensors
import TestSupport
import Testing
import YetAnotherRetNetCheckpoint

/// Every setting yet-another-retnet has and this package does not implement is refused by name,
/// and so is every malformed file; a model of its layout is refused where only the plain layout
/// is implemented (the backward pass, the fast models).
@Suite struct YetAnotherRetNetRefusals {
    static let fixture = "two-heads-two-layers"

    /// A copy of the fixture in a fresh temporary directory, with config.json's keys changed
    /// (nil removes a key) and, when given, the tensors rewritten as F32 by `tensors`.
    func copy(config changes: [String: Any?] = [:],
              tensors: (([SafeTensors.Entry]) -> [SafeTensors.Entry])? = nil) throws -> URL {
        let source = YetAnotherRetNetFixtures.directory(Self.fixture)
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("yar-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        var config = try JSONSerialization.jsonObject(with: Data(contentsOf: source.appendingPathComponent("config.json")))
            as! [String: Any]
        for (key, value) in changes { config[key] = value }
        try JSONSerialization.data(withJSONObject: config).write(to: directory.appendingPathComponent("config.json"))
        let weights = source.appendingPathComponent("model.safetensors")
        if let tensors {
            let file = try SafeTensors(contentsOf: weights)
            let entries = try file.names.sorted().map { name in
                SafeTensors.Entry(name: name, shape: file.tensors[name]!.shape, values: try file.floats(name))
            }
            try SafeTensors.write(tensors(entries), to: directory.appendingPathComponent("model.safetensors"))
        } else {
            try FileManager.default.copyItem(at: weights, to: directory.appendingPathComponent("model.safetensors"))
        }
        return directory
    }

    func message(_ directory: URL) -> String {
        defer { try? FileManager.default.removeItem(at: directory) }
        do {
            _ = try YetAnotherRetNetCheckpoint(directory: directory).model(Double.self)
            return "loaded"
        } catch {
            return "\(error)"
        }
    }

    @Test("unsupported settings are refused, naming the key and the reason")
    func unsupportedSettings() throws {
        for (key, value, words) in [("activation", "gelu" as Any, "gate"), ("activation", "relu", "gate"),
                                    ("norm_first", false, "post-norm"), ("layer_norm_eps", 1e-5, "GroupNorm")] {
            let text = message(try copy(config: [key: value]))
            #expect(text.contains("sets \(key) = ") && text.contains(words), "\(key) = \(value): \(text)")
        }
    }

    @Test("unknown, missing and mistyped keys are refused by name")
    func badKeys() throws {
        let unknown = message(try copy(config: ["decoder_embed_dim": 32]))
        #expect(unknown.contains("not keyword arguments") && unknown.contains("decoder_embed_dim"), "\(unknown)")
        let missing = message(try copy(config: ["nhead": nil]))
        #expect(missing.contains("missing key 'nhead'"), "\(missing)")
        let fractional = message(try copy(config: ["d_model": 32.5]))
        #expect(fractional.contains("'d_model' is not an integer"), "\(fractional)")
        let indivisible = message(try copy(config: ["nhead": 3]))
        #expect(indivisible.contains("d_model"), "\(indivisible)")
    }

    @Test("a tensor missing, of the wrong shape, unused or not finite is refused by name")
    func badTensors() throws {
        let bias = "decoder.layers.1.linear2.bias"
        let missing = message(try copy(tensors: { $0.filter { $0.name != bias } }))
        #expect(missing.contains("no tensor '\(bias)'"), "\(missing)")
        let extra = message(try copy(tensors: { $0 + [SafeTensors.Entry(name: "decoder.layers.2.norm1.weight", shape: [1], values: [1])] }))
        #expect(extra.contains("does not use: decoder.layers.2.norm1.weight"), "\(extra)")
        let reshaped = message(try copy(tensors: { entries in
            entries.map { $0.name == "out.bias" ? SafeTensors.Entry(name: "out.bias", shape: [1, $0.values.count], values: $0.values) : $0 }
        }))
        #expect(reshaped.contains("'out.bias' has shape [1, 40]"), "\(reshaped)")
        let infinite = message(try copy(tensors: { entries in
            entries.map { e in
                e.name == bias ? SafeTensors.Entry(name: e.name, shape: e.shape, values: [Float.infinity] + e.values.dropFirst()) : e
            }
        }))
        #expect(infinite.contains("'\(bias)'[0] is not finite"), "\(infinite)")
    }

    /// Saved as F32, θ is the float64 value rounded once: within the stored type's rounding, so
    /// it loads and the logits move by float32 rounding only. Another model's θ does not load.
    @Test("a θ buffer saved in float32 loads; one that is not the config's θ is refused")
    func thetas() throws {
        let directory = try copy(tensors: { $0 })
        let model = try YetAnotherRetNetCheckpoint(directory: directory).model(Double.self)
        let record = try RecordedForms(contentsOf: YetAnotherRetNetFixtures.logits(Self.fixture))
        expectClose(try model.logits(record.tokens), record.parallel, relative: 1e-5, "F32-saved weights")
        try? FileManager.default.removeItem(at: directory)
        let name = "decoder.layers.0.retention.thetas"
        let shifted = message(try copy(tensors: { entries in
            entries.map { e in e.name == name ? SafeTensors.Entry(name: name, shape: e.shape, values: e.values.map { $0 * 1.001 }) : e }
        }))
        #expect(shifted.contains("buffer '\(name)'[0]"), "\(shifted)")
        let unpaired = message(try copy(tensors: { entries in
            entries.map { e in
                e.name == name ? SafeTensors.Entry(name: name, shape: e.shape, values: [e.values[0], e.values[0].nextDown] + e.values.dropFirst(2)) : e
            }
        }))
        #expect(unpaired.contains("buffer '\(name)'[1]"), "\(unpaired)")
    }

    @Test("the backward pass and the fast models refuse biases and a missing final norm by name")
    func plainLayoutOnly() throws {
        let model = try YetAnotherRetNetCheckpoint(directory: YetAnotherRetNetFixtures.directory(Self.fixture)).model(Float.self)
        let tokens = [1, 2, 3, 4]
        #expect(throws: RetNetError.config(field: "biases", expected: "false: FastRetNet covers models without biases", got: "true")) {
            _ = try FastRetNet(model)
        }
        #expect(throws: RetNetError.config(field: "biases", expected: "false: FastGradients covers models without biases", got: "true")) {
            _ = try FastGradients().lossAndGradients(model, sequences: [tokens])
        }
        #expect(throws: RetNetError.config(field: "biases", expected: "false: the backward pass covers models without biases",
                                           got: "true")) {
            _ = try model.gradients(tokens)
        }
        var config = model.config
        config.biases = true
        config.finalNorm = false
        let random = try RetNet<Float>.random(config: { var c = config; c.biases = false; return c }(), seed: 1)
        #expect(throws: RetNetError.config(field: "final_norm", expected: "true: FastRetNet covers models with a norm before the head",
                                           got: "false")) {
            _ = try FastRetNet(random)
        }
    }
}
