/// A model's weights (or their gradients) walked one tensor at a time, in one fixed order and
/// under their checkpoint names: the one table each model writes (`RetNetGradients`,
/// `TransformerGradients`), from which its named view and its replacement by name derive.
package protocol NamedTensors {
    associatedtype Element
    /// Calls `body` with every tensor's name, shape and values, in order; `body` may replace the
    /// values by as many others.
    mutating func forEachTensor<Failure: Error>(_ body: (String, [Int], inout [Element]) throws(Failure) -> Void)
        throws(Failure)
}

/// A model's error type as far as replacing its weights by name is concerned: the two cases
/// `RetNetError` and `TransformerError` share.
package protocol WeightRefusal: Error {
    static func argument(name: String, expected: String, got: String) -> Self
    static func weight(field: String, expected: String, got: String) -> Self
}

extension NamedTensors {
    /// Every tensor under its name, with its shape, in the table's order.
    package var namedTensors: [(name: String, shape: [Int], values: [Element])] {
        var out: [(name: String, shape: [Int], values: [Element])] = []
        var copy = self
        copy.forEachTensor { name, shape, values in out.append((name, shape, values)) }
        return out
    }

    /// Replaces every tensor named in `tensors` by the given values (row major); tensors not
    /// named keep theirs. Throws, changing nothing, for a name given twice, a name the table does
    /// not have (`.argument`), or values of another count than the tensor's (`.weight`).
    package mutating func replace<Failure: WeightRefusal>(named tensors: [(name: String, values: [Element])],
                                                          refusing: Failure.Type) throws(Failure) {
        var byName: [String: [Element]] = [:]
        for (name, values) in tensors {
            guard byName.updateValue(values, forKey: name) == nil else {
                throw Failure.argument(name: "weights", expected: "each name once", got: "'\(name)' twice")
            }
        }
        var replaced = self
        try replaced.forEachTensor { name, shape, values throws(Failure) in
            guard let given = byName.removeValue(forKey: name) else { return }
            guard given.count == values.count else {
                throw Failure.weight(field: name, expected: "\(values.count) values (\(shape))", got: "\(given.count)")
            }
            values = given
        }
        if let stray = byName.keys.sorted().first {
            throw Failure.argument(name: "weights", expected: "the model's weight names", got: "'\(stray)'")
        }
        self = replaced
    }
}
