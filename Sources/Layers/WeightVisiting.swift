import Matrices

// What both models' weight tables (`RetNetGradients.forEachTensor`, `TransformerGradients.forEachTensor`)
// do with the layers they share: hold a layer's weights in its gradients' structure, walk them
// under their checkpoint names, and put them back into a layer of the same kind.

extension Matrix {
    /// Calls `body` with the matrix's name, shape [rows, columns] and row-major values, then keeps
    /// the values `body` leaves (as many as before).
    package mutating func visit<Failure: Error>(_ name: String,
                                                _ body: (String, [Int], inout [Element]) throws(Failure) -> Void) throws(Failure)
    {
        var values = storage
        try body(name, [rows, columns], &values)
        self = Matrix(rows: rows, columns: columns, entries: values)
    }
}

extension NormGradients {
    /// A block norm's own weights held as its gradients are: w, and b for LayerNorm (empty for RMSNorm).
    package init(weightsOf norm: BlockNorm<E>) {
        switch norm {
        case .layerNorm(let w, let b, _): self.init(weight: w, bias: b)
        case .rms(let w, _): self.init(weight: w, bias: [])
        }
    }

    /// Calls `body` with `name.weight`, then `name.bias` when there is a bias.
    package mutating func visit<Failure: Error>(_ name: String, _ body: (String, [Int], inout [E]) throws(Failure) -> Void)
        throws(Failure)
    {
        try body(name + ".weight", [weight.count], &weight)
        if !bias.isEmpty { try body(name + ".bias", [bias.count], &bias) }
    }
}

extension BlockNorm {
    /// The same kind of norm (and ε) with the weights held in `weights`.
    package func with(weights g: NormGradients<E>) -> BlockNorm {
        switch self {
        case .layerNorm(_, _, let eps): .layerNorm(weight: g.weight, bias: g.bias, eps: eps)
        case .rms(_, let eps): .rms(weight: g.weight, eps: eps)
        }
    }
}

extension FeedForwardGradients {
    /// An FFN's own weights held as its gradients are: fc1, fc2, and the GLU's gate.
    package init(weightsOf ffn: FeedForward<E>) {
        switch ffn {
        case .plain(let fc1, let fc2, _): self.init(fc1: fc1, gate: nil, fc2: fc2)
        case .glu(let fc1, let gate, let fc2, _): self.init(fc1: fc1, gate: gate, fc2: fc2)
        }
    }

    /// Calls `body` with `prefix.fc1.weight`, `prefix.fc2.weight`, then the GLU's `prefix.gate.weight`.
    package mutating func visit<Failure: Error>(_ prefix: String, _ body: (String, [Int], inout [E]) throws(Failure) -> Void)
        throws(Failure)
    {
        try fc1.visit(prefix + ".fc1.weight", body)
        try fc2.visit(prefix + ".fc2.weight", body)
        if var gate {
            try gate.visit(prefix + ".gate.weight", body)
            self.gate = gate
        }
    }
}

extension FeedForward {
    /// The same kind of FFN (and activation) with the weights held in `weights` (a GLU keeps its
    /// gate when `weights` has none).
    package func with(weights g: FeedForwardGradients<E>) -> FeedForward {
        switch self {
        case .plain(_, _, let activation): .plain(fc1: g.fc1, fc2: g.fc2, activation: activation)
        case .glu(_, let gate, _, let activation): .glu(fc1: g.fc1, gate: g.gate ?? gate, fc2: g.fc2, activation: activation)
        }
    }
}
