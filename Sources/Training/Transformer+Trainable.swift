import FastTraining
import Foundation
import Matrices
import SafeTensors
import Transformer

extension Transformer: TrainableModel where E == Float {
    /// Every weight under its name (`Transformer.named`, the names of `TransformerGradients.named`).
    public var parameters: [NamedTensor] {
        named.map { NamedTensor(name: $0.name, shape: $0.shape, values: $0.values) }
    }

    /// The same model with every weight replaced by the tensor of its name. Throws `.argument`
    /// for a name the model does not have, `.weight` for a missing name or a tensor of another
    /// shape (a transposed matrix has the right size, not the right shape).
    public func with(parameters: [NamedTensor]) throws(TransformerError) -> Transformer {
        let own = named
        let given = Set(parameters.map(\.name))
        if let missing = own.first(where: { !given.contains($0.name) }) {
            throw .weight(field: missing.name, expected: "a tensor of shape \(missing.shape)", got: "none")
        }
        let shapes = Dictionary(own.map { ($0.name, $0.shape) }, uniquingKeysWith: { first, _ in first })
        for parameter in parameters {
            if let shape = shapes[parameter.name], shape != parameter.shape {
                throw .weight(field: parameter.name, expected: "a tensor of shape \(shape)", got: "shape \(parameter.shape)")
            }
        }
        return try with(named: parameters.map { ($0.name, $0.values) })
    }

    /// The mean loss on the SIMD kernels (`FastTransformerGradients.loss`), `batch` sequences at a
    /// time, the batches' means averaged in Double in order (every batch but the last of the same size).
    public var trainingShape: TrainingShape { config.trainingShape }

    public func meanLoss<Sequences: Sequence<[Int]>>(_ sequences: Sequences) throws(TransformerError) -> Float {
        let fast = try FastTransformerGradients()
        let batch = 12
        var total = 0.0
        var count = 0
        var part: [[Int]] = []
        part.reserveCapacity(batch)
        var iterator = sequences.makeIterator()
        while true {
            let next = iterator.next()
            if let next { part.append(next) }
            if part.count == batch || (next == nil && !part.isEmpty) {
                total += Double(try fast.loss(self, sequences: part)) * Double(part.count)
                count += part.count
                part.removeAll(keepingCapacity: true)
            }
            if next == nil { break }
        }
        return Float(total / Double(count))
    }

    /// model.safetensors under the names of `parameters` (this project's, not torchscale's: a
    /// Transformer is not a torchscale model) and transformer.json, its `TransformerConfig`.
    public func checkpointFiles(metadata: [String: String]) throws(TrainingError) -> [(name: String, data: Data)] {
        let weights = parameters.map { SafeTensors.Entry(name: $0.name, shape: $0.shape, values: $0.values) }
        let json = JSONEncoder()
        json.outputFormatting = [.prettyPrinted, .sortedKeys]
        let encoded: Data, configuration: Data
        do { encoded = try SafeTensors.encode(weights, metadata: metadata) } catch {
            throw .file(path: "model.safetensors", reason: "cannot encode: \(error)")
        }
        do { configuration = try json.encode(config) } catch {
            throw .file(path: Self.configurationFile, reason: "cannot encode: \(error)")
        }
        return [("model.safetensors", encoded), ("transformer.json", configuration)]
    }
}

extension Transformer where E == Float {
    public static var configurationFile: String { "transformer.json" }

    /// The Transformer `checkpointFiles` wrote to `directory`: its configuration from
    /// transformer.json, then every weight `parameters` names from model.safetensors, of the
    /// shape the configuration gives it. Throws `.checkpoint` for a file missing or malformed and
    /// for a weight missing, of another shape, or one the model has not; `.transformer` for a
    /// configuration the model refuses.
    public static func loadCheckpoint(from directory: URL) throws(TrainingError) -> (model: Transformer, metadata: [String: String]) {
        func refuse(_ reason: String) -> TrainingError { .checkpoint(path: directory.path, reason: reason) }
        let config: TransformerConfig
        do {
            config = try JSONDecoder().decode(TransformerConfig.self, from: try CheckpointDirectory.read(configurationFile, in: directory))
        } catch let error as TrainingError {
            throw error
        } catch {
            throw refuse("\(configurationFile): \(error)")
        }
        do { try config.validate() } catch { throw .transformer(error) }
        let weights: SafeTensors
        do {
            weights = try SafeTensors(contentsOf: directory.appendingPathComponent("model.safetensors"))
        } catch {
            throw refuse("model.safetensors: \(error)")
        }
        // A configuration that implies more than twice the values the file holds cannot be the
        // file's model: refused before a model of its size is allocated. (Closer mismatches are
        // named weight by weight below.)
        let stored = weights.tensors.values.reduce(0.0) { $0 + Double($1.count) }
        let implied = weightCount(config)
        guard implied <= 2 * stored else {
            throw refuse("\(configurationFile) implies \(Int(exactly: implied).map(String.init) ?? "\(implied)") weights, "
                         + "model.safetensors holds \(Int(stored))")
        }
        // A model of the configuration's shapes, whose weights are all replaced below.
        let shaped: Transformer
        do { shaped = try .random(config: config, seed: 0) } catch { throw .transformer(error) }
        let expected = shaped.parameters
        let known = Set(expected.map(\.name))
        if let stray = weights.names.first(where: { !known.contains($0) }) {
            throw refuse("model.safetensors holds '\(stray)', which the Transformer of \(configurationFile) has not")
        }
        var parameters: [NamedTensor] = []
        for wanted in expected {
            guard let stored = weights.tensors[wanted.name] else {
                throw refuse("model.safetensors has no '\(wanted.name)' (a tensor of shape \(wanted.shape))")
            }
            guard stored.shape == wanted.shape else {
                throw refuse("model.safetensors: '\(wanted.name)' has shape \(stored.shape), the configuration's is \(wanted.shape)")
            }
            do {
                parameters.append(NamedTensor(name: wanted.name, shape: wanted.shape, values: try weights.finiteFloats(wanted.name)))
            } catch {
                throw refuse("model.safetensors: \(error)")
            }
        }
        do {
            return (try shaped.with(parameters: parameters), weights.metadata)
        } catch {
            throw .transformer(error)
        }
    }
}

extension Transformer where E == Float {
    /// The number of weights of a Transformer of `config` (`parameterCount` of such a model),
    /// counted without building one, in Double so that no configuration overflows it: the
    /// embedding and the output projection (vocabulary × E each), per block two norms (E weights
    /// each for RMSNorm, 2E with LayerNorm's biases), W_Q and W_K (E × E), W_V and W_O (V × E)
    /// and the FFN (2 or, with its gate, 3 matrices of F × E), and the final norm.
    package static func weightCount(_ config: TransformerConfig) -> Double {
        let (e, v, f) = (Double(config.embedDim), Double(config.valueEmbedDim), Double(config.ffnEmbedDim))
        let norm = config.rmsNorm ? e : 2 * e
        let block = 2 * norm + 2 * e * e + 2 * v * e + (config.gluFFN ? 3 : 2) * f * e
        return 2 * Double(config.vocabSize) * e + Double(config.layers) * block + norm
    }
}

extension TransformerGradients: NamedGradients where E == Float {
    /// The gradients as `NamedTensor`s, named and ordered as `Transformer.parameters`.
    public var tensors: [NamedTensor] {
        named.map { NamedTensor(name: $0.name, shape: $0.shape, values: $0.values) }
    }
}

extension FastTransformerGradients: GradientSource {}
