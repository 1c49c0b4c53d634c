import RetNetModel

extension RetNet where E == Float {
    /// Every weight under its checkpoint name, in the order and with the names of
    /// `RetNetGradients.named` (torchscale's state-dict names): the parameters an optimiser
    /// updates, one `NamedTensor` per gradient.
    public var parameters: [NamedTensor] {
        named.map { NamedTensor(name: $0.name, shape: $0.shape, values: $0.values) }
    }

    /// The same model with every weight replaced by the tensor of its name in `parameters`
    /// (the configuration, decays and rotation kept). Throws `.weight` for a missing name or a
    /// tensor of another shape, and `.argument` for a name the model does not have.
    public func with(parameters: [NamedTensor]) throws(RetNetError) -> RetNet {
        var byName: [String: NamedTensor] = [:]
        for tensor in parameters { byName[tensor.name] = tensor }
        let expected = self.parameters
        let known = Set(expected.map(\.name))
        if let stray = parameters.first(where: { !known.contains($0.name) }) {
            throw .argument(name: "parameters", expected: "the model's weight names", got: "'\(stray.name)'")
        }
        for wanted in expected {
            guard let given = byName[wanted.name] else {
                throw .weight(field: wanted.name, expected: "a tensor of shape \(wanted.shape)", got: "none")
            }
            guard given.shape == wanted.shape && given.values.count == wanted.values.count else {
                throw .weight(field: wanted.name, expected: "shape \(wanted.shape)", got: "\(given.shape), \(given.values.count) values")
            }
        }
        // Every name and shape was checked above; each name once, its last tensor as given.
        return try with(named: expected.map { ($0.name, byName[$0.name]!.values) })
    }
}

extension RetNetGradients where E == Float {
    /// The gradients as `NamedTensor`s, named and ordered as `RetNet.parameters`.
    public var tensors: [NamedTensor] {
        named.map { NamedTensor(name: $0.name, shape: $0.shape, values: $0.values) }
    }
}
