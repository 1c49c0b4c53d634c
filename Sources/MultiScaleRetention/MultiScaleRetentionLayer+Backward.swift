import Layers
import Matrices
import Retention

extension MultiScaleRetentionLayer {
    /// The backward pass of `pass(x, form:, scaling:)` from the start of a sequence: given
    /// dMSR = ∂L/∂MSR(X) (n×E), returns ∂L/∂X and adds ∂L/∂ every weight into `gradients`.
    ///
    /// The forward pass is recomputed (nothing is kept between the two), then taken apart stage
    /// by stage, last first, each stage's backward beside its forward:
    ///
    ///     output       MSR = P W_Oᵀ, P = swish(G) ⊙ Y:   dP = dMSR W_O,  dW_O += dMSRᵀ P
    ///     gate         dY = dP ⊙ swish(G),  dG = swish′(G) ⊙ dP ⊙ Y
    ///     head norm    dRetention from dY (`HeadNorm.backward`), its w and b
    ///     row factors  dO_i = c_i ⊙ dRetention_i — the factors are constants
    ///     heads        dQ_i, dK_i, dV_i from dO_i by the Retention module's backward in `form`
    ///     rotation     the rotation's transpose (by −nθ) on dQ_i and dK_i
    ///     key scale    dK = d_k^{−1/2} · dK
    ///     projections  dX = dQ W_Q + dK W_K + dV W_V + dG W_G, and each dW += dᵀ X
    ///
    /// The row factors of `scaling` are treated as constants, as torchscale 0.3.0 treats its
    /// score normalisations (`qk_mat.detach()…`, and its chunkwise scales): they multiply each
    /// head's rows, and only that product is differentiated. For `.exact` they are 1. For
    /// `.decay` they are constants in truth (they depend on γ alone); for `.retention`, `.paper`
    /// and `.torchscaleChunkwise` they depend on Q, K and V, and this is not the gradient of the
    /// function `pass` computes but of the one torchscale's autograd differentiates. At ε = 0 the
    /// per-head norm is invariant to the factors, and both agree.
    ///
    /// Throws what `pass` throws for the same input, `.invalid` when dMSR is not n×E, and
    /// `.invalid` naming `biases` for a layer with biases (there are no bias gradients).
    public func backward(_ x: Matrix<E>, outputGradient dOut: Matrix<E>, form: RetentionForm = .parallel,
                         scaling: RowScaling = .exact, gradients: inout MultiScaleRetentionGradients<E>)
        throws(MultiScaleRetentionError) -> Matrix<E>
    {
        if biases != nil {
            throw .invalid(field: "biases", expected: "a layer without biases (the backward pass has no bias gradients)",
                           got: "q_proj, k_proj, v_proj, g_proj and out_proj biases")
        }
        let forward = try pass(x, form: form, scaling: scaling)
        try MultiScaleRetentionError.requireShape(dOut, "MSR output gradient", rows: x.rows, columns: embedDimension,
                                                  "n×E, the shape of the output")
        try requireGradientShapes(gradients)
        let n = x.rows, dk = keyDimension, dv = headDimension
        let swish = Activation.swish(forward.gate)
        let gated = swish.hadamard(forward.normalised)

        // Output projection and gate (shapes were checked above; a mismatch would be reported, not trapped).
        let dGated = try Self.shaped { () throws(ShapeError) in
            try gated.linearBackward(weight: outProj, outputGradient: dOut, weightGradient: &gradients.outProj)
        }
        let dNormalised = dGated.hadamard(swish)
        let dG = try Self.shaped { () throws(ShapeError) in
            try Activation.swish.backward(forward.gate, outputGradient: dGated.hadamard(forward.normalised))
        }
        let dRetention = try headNorm.backward(forward.retention, heads: heads, outputGradient: dNormalised,
                                               gradients: &gradients.headNorm)

        // Each head: recompute its inputs, take retention apart in the asked form, unrotate.
        let q = x.applyingLinear(qProj)
        let k = keyScale * x.applyingLinear(kProj)
        let v = x.applyingLinear(vProj)
        var dQHeads: [Matrix<E>] = [], dKHeads: [Matrix<E>] = [], dVHeads: [Matrix<E>] = []
        for h in 0..<heads {
            let qh = try Self.shaped { () throws(ShapeError) in
                try rotation.apply(q.columnRange((h * dk)..<((h + 1) * dk)), offset: 0)
            }
            let kh = try Self.shaped { () throws(ShapeError) in
                try rotation.apply(k.columnRange((h * dk)..<((h + 1) * dk)), offset: 0)
            }
            let vh = v.columnRange((h * dv)..<((h + 1) * dv))
            let dOh = dRetention.columnRange((h * dv)..<((h + 1) * dv)).scalingRows(by: forward.rowFactors[h])
            let decay = decays[h]
            let head: RetentionGradients<E>
            do {
                switch form {
                case .parallel:
                    head = try ParallelRetention.backward(q: qh, k: kh, v: vh, decay: decay, outputGradient: dOh)
                case .recurrent:
                    head = try RecurrentRetention.backward(q: qh, k: kh, v: vh, decay: decay, outputGradient: dOh)
                case .chunkwise(let b):
                    head = try ChunkwiseRetention.backward(q: qh, k: kh, v: vh, decay: decay, chunkSize: b,
                                                           outputGradient: dOh)
                }
            } catch {
                throw .head(h, error)
            }
            try Self.shaped { () throws(ShapeError) in
                dQHeads.append(try rotation.backward(outputGradient: head.dQ, offset: 0))
                dKHeads.append(try rotation.backward(outputGradient: head.dK, offset: 0))
            }
            dVHeads.append(head.dV)
        }
        let dQ = Matrix<E>.concatenatingColumns(dQHeads, rows: n)
        let dK = keyScale * Matrix<E>.concatenatingColumns(dKHeads, rows: n)
        let dV = Matrix<E>.concatenatingColumns(dVHeads, rows: n)

        // The four projections read the same X: their input gradients add up.
        return try Self.shaped { () throws(ShapeError) in
            var dX = try x.linearBackward(weight: qProj, outputGradient: dQ, weightGradient: &gradients.qProj)
            dX += try x.linearBackward(weight: kProj, outputGradient: dK, weightGradient: &gradients.kProj)
            dX += try x.linearBackward(weight: vProj, outputGradient: dV, weightGradient: &gradients.vProj)
            dX += try x.linearBackward(weight: gProj, outputGradient: dG, weightGradient: &gradients.gProj)
            return dX
        }
    }

    /// Runs `body`, reporting a `ShapeError` (a shared layer's, a linear map's) as this module's
    /// `.invalid` (same words).
    static func shaped<T>(_ body: () throws(ShapeError) -> T) throws(MultiScaleRetentionError) -> T {
        do {
            return try body()
        } catch {
            throw .invalid(field: error.argument, expected: error.expected, got: error.got)
        }
    }

    /// Throws unless every gradient has its weight's shape.
    private func requireGradientShapes(_ g: MultiScaleRetentionGradients<E>) throws(MultiScaleRetentionError) {
        for (name, gradient, weight) in [("q_proj", g.qProj, qProj), ("k_proj", g.kProj, kProj), ("v_proj", g.vProj, vProj),
                                         ("g_proj", g.gProj, gProj), ("out_proj", g.outProj, outProj)] {
            try MultiScaleRetentionError.requireShape(gradient, "\(name) gradient", rows: weight.rows,
                                                      columns: weight.columns, "the shape of \(name).weight")
        }
        let zero = NormGradients(zeroFor: headNorm)
        guard g.headNorm.weight.count == zero.weight.count && g.headNorm.bias.count == zero.bias.count else {
            throw .invalid(field: "head norm gradients", expected: "\(zero.weight.count) and \(zero.bias.count) entries",
                           got: "\(g.headNorm.weight.count) and \(g.headNorm.bias.count)")
        }
    }
}
