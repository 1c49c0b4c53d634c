import FastTraining
import Foundation
import Matrices
import SafeTensors
import Transformer

extension Transformer: TrainableModel where E == Float {
    public var vocabularySize: Int { config.vocabSize }

    /// Every weight under its name (`Transformer.named`, the names of `TransformerGradients.named`).
    public var parameters: [NamedTensor] {
        named.map { NamedTensor(name: $0.name, shape: $0.shape, values: $0.values) }
    }

    /// The same model with every weight replaced by the tensor of its name. Throws `.argument`
    /// for a name the model does not have, `.weight` for a missing name or a tensor of another size.
    public func with(parameters: [NamedTensor]) throws(TransformerError) -> Transformer {
        let given = Set(parameters.map(\.name))
        if let missing = named.first(where: { !given.contains($0.name) }) {
            throw .weight(field: missing.name, expected: "a tensor of shape \(missing.shape)", got: "none")
        }
        return try with(named: parameters.map { ($0.name, $0.values) })
    }

    /// The mean loss on the SIMD kernels (`FastTransformerGradients.loss`), `batch` sequences at a
    /// time, the batches' means averaged in Double in order (every batch but the last of the same size).
    public func meanLoss(_ sequences: [[Int]]) throws -> Float {
        let fast = try FastTransformerGradients()
        let batch = 12
        var total = 0.0
        for start in stride(from: 0, to: sequences.count, by: batch) {
            let part = Array(sequences[start..<min(start + batch, sequences.count)])
            total += Double(try fast.loss(self, sequences: part)) * Double(part.count)
        }
        return Float(total / Double(sequences.count))
    }

    /// model.safetensors under the names of `parameters` (this project's, not torchscale's: a
    /// Transformer is not a torchscale model) and transformer.json, its `TransformerConfig`.
    public func checkpointFiles(metadata: [String: String]) throws -> [(name: String, data: Data)] {
        let weights = parameters.map { SafeTensors.Entry(name: $0.name, shape: $0.shape, values: $0.values) }
        let json = JSONEncoder()
        json.outputFormatting = [.prettyPrinted, .sortedKeys]
        return [("model.safetensors", try SafeTensors.encode(weights, metadata: metadata)),
                ("transformer.json", try json.encode(config))]
    }
}

extension TransformerGradients: NamedGradients where E == Float {
    /// The gradients as `NamedTensor`s, named and ordered as `Transformer.parameters`.
    public var tensors: [NamedTensor] {
        named.map { NamedTensor(name: $0.name, shape: $0.shape, values: $0.values) }
    }
}

extension FastTransformerGradients: GradientSource {}
