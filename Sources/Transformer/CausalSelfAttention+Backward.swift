import Layers
import Matrices
import Recurrence

extension CausalSelfAttention {
    /// The backward pass of `self(x)` from the start of a sequence: given dAttn = ∂L/∂Attn(X)
    /// (n×E), returns ∂L/∂X and adds ∂L/∂ every weight into `gradients`. The forward pass is
    /// recomputed, then taken apart stage by stage, last first:
    ///
    ///     output       Attn = C W_Oᵀ, C = [head_1 … head_h]:  dC = dAttn W_O,  dW_O += dAttnᵀ C
    ///     heads        dQ_i, dK_i, dV_i from dC_i by `CausalAttention.softmaxBackward` (or `.linearBackward`)
    ///     rotation     the rotation's transpose (by −nθ) on dQ_i and dK_i
    ///     projections  dX = dQ W_Q + dK W_K + dV W_V, and each dW += dᵀ X
    ///
    /// Throws `.argument` unless X has E columns and dAttn is n×E, or when a gradient is not
    /// shaped like its weight.
    public func backward(_ x: Matrix<E>, outputGradient dOut: Matrix<E>, gradients: inout AttentionGradients<E>)
        throws(TransformerError) -> Matrix<E>
    {
        try checkWidth(x)
        let (n, dk, dv) = (x.rows, keyDimension, headDimension)
        let q = x.applyingLinear(qProj), k = x.applyingLinear(kProj), v = x.applyingLinear(vProj)
        var qs: [Matrix<E>] = [], ks: [Matrix<E>] = [], vs: [Matrix<E>] = []
        for i in 0..<heads {
            qs.append(try rotated(q.columnRange(i * dk..<(i + 1) * dk), offset: 0))
            ks.append(try rotated(k.columnRange(i * dk..<(i + 1) * dk), offset: 0))
            vs.append(v.columnRange(i * dv..<(i + 1) * dv))
        }
        do throws(ShapeError) {
            try ShapeError.require(dOut, "attention output gradient", rows: n, columns: embedDimension,
                                   " (n×E, the output's shape)")
            var outputs: [Matrix<E>] = []
            for i in 0..<heads { outputs.append(try head(q: qs[i], k: ks[i], v: vs[i])) }
            let dConcatenated = try Matrix.concatenatingColumns(outputs, rows: n)
                .linearBackward(weight: outProj, outputGradient: dOut, weightGradient: &gradients.outProj)
            var dQHeads: [Matrix<E>] = [], dKHeads: [Matrix<E>] = [], dVHeads: [Matrix<E>] = []
            for i in 0..<heads {
                let dOut = dConcatenated.columnRange(i * dv..<(i + 1) * dv)
                let head = switch scoring {
                case .softmax: try CausalAttention.softmaxBackward(q: qs[i], k: ks[i], v: vs[i], outputGradient: dOut)
                case .linear: try Self.scaledLinearBackward(q: qs[i], k: ks[i], v: vs[i], outputGradient: dOut)
                }
                dQHeads.append(head.dQ)
                dKHeads.append(head.dK)
                dVHeads.append(head.dV)
            }
            let dQ = try Matrix.concatenatingColumns(unrotated(dQHeads), rows: n)
            let dK = try Matrix.concatenatingColumns(unrotated(dKHeads), rows: n)
            var dX = try x.linearBackward(weight: qProj, outputGradient: dQ, weightGradient: &gradients.qProj)
            dX += try x.linearBackward(weight: kProj, outputGradient: dK, weightGradient: &gradients.kProj)
            dX += try x.linearBackward(weight: vProj, outputGradient: .concatenatingColumns(dVHeads, rows: n),
                                       weightGradient: &gradients.vProj)
            return dX
        } catch {
            throw .argument(name: error.argument, expected: error.expected, got: error.got)
        }
    }

    /// The backward pass of a linear head on Q/√d_k: `CausalAttention.linearBackward` on the
    /// scaled Q, and its dQ scaled again (the chain rule through Q ↦ Q/√d_k).
    private static func scaledLinearBackward(q: Matrix<E>, k: Matrix<E>, v: Matrix<E>, outputGradient dO: Matrix<E>)
        throws(ShapeError) -> (dQ: Matrix<E>, dK: Matrix<E>, dV: Matrix<E>)
    {
        let scale = 1 / E.sqrt(E(q.columns))
        let g = try CausalAttention.linearBackward(q: scale * q, k: k, v: v, outputGradient: dO)
        return (scale * g.dQ, g.dK, g.dV)
    }

    /// Each head's gradient through the rotation's transpose; its width is d_k by construction,
    /// so a mismatch would be reported, not trapped.
    private func unrotated(_ gradients: [Matrix<E>]) throws(ShapeError) -> [Matrix<E>] {
        var out: [Matrix<E>] = []
        for dY in gradients {
            do {
                out.append(try rotation.backward(outputGradient: dY, offset: 0))
            } catch {
                throw ShapeError(argument: "rotated-rows gradient", expected: "\(keyDimension) columns (d_k)", got: "\(dY.shape)")
            }
        }
        return out
    }
}
