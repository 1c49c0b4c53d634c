import Foundation
import Matrices
import MultiScaleRetention
import Plots
import Retention
import RetNetModel
import Transformer

/// What each head of a trained model does with one line of text, read from the reference models
/// (Double): the RetNet's scores A = (Q Kᵀ) ⊙ D of chapter 03 and the Transformer's
/// softmax(Q Kᵀ/√d_k), masked. Each map is recomputed here from the layer's weights, so each
/// comes with the largest gap between the heads' outputs it implies (A V side by side, or
/// softmax(…)V through W_O) and what the layer itself computes: a map that is not the model's
/// would show as a gap far above rounding.
enum AttentionMaps {
    /// One head's map: row n holds the weights query n gives keys 0…n, as shares of the row's
    /// total |weight| (the softmax's rows already sum to 1; retention's rows are signed and
    /// unnormalised, so their magnitudes are shown as shares).
    struct Head {
        let layer: Int, head: Int
        let shares: [[Double]]
        /// γ for a retention head, nil for attention.
        let gamma: Double?

        /// Σ_m share(n, m) · (n − m), averaged over the rows: how far back the head looks.
        var meanDistance: Double {
            let rows = shares.enumerated().map { n, row in row.enumerated().reduce(0) { $0 + $1.element * Double(n - $1.offset) } }
            return rows.reduce(0, +) / Double(rows.count)
        }
    }

    /// Row shares |w_nm| / Σ_m |w_nm| of a lower-triangular n×n matrix.
    static func shares(_ w: Matrix<Double>) -> [[Double]] {
        (0..<w.rows).map { n in
            let total = (0...n).reduce(0) { $0 + abs(w[n, $1]) }
            return (0..<w.columns).map { m in m <= n && total > 0 ? abs(w[n, m]) / total : 0 }
        }
    }

    /// The RetNet's heads in `layer` for `tokens`, and the largest relative gap between their
    /// A V side by side and the layer's own retention output.
    static func retnet(_ model: RetNet<Double>, tokens: [Int], layer l: Int) throws -> (heads: [Head], gap: Double) {
        let x = try model.forward(tokens).hidden[l]
        let block = model.blocks[l], layer = block.retention
        let normed = block.retentionLayerNorm.apply(x)
        let q = normed.applyingLinear(layer.qProj, bias: layer.biases?.q)
        let k = layer.keyScale * normed.applyingLinear(layer.kProj, bias: layer.biases?.k)
        let v = normed.applyingLinear(layer.vProj, bias: layer.biases?.v)
        let (dk, dv) = (layer.keyDimension, layer.headDimension)
        var heads: [Head] = [], outputs: [Matrix<Double>] = []
        for h in 0..<layer.heads {
            let qh = try layer.rotation.apply(q.columnRange(h * dk..<(h + 1) * dk), offset: 0)
            let kh = try layer.rotation.apply(k.columnRange(h * dk..<(h + 1) * dk), offset: 0)
            let a = try ParallelRetention.scores(q: qh, k: kh, decay: layer.decays[h])
            outputs.append(a * v.columnRange(h * dv..<(h + 1) * dv))
            heads.append(Head(layer: l, head: h, shares: shares(a), gamma: layer.gammas[h]))
        }
        let own = try layer.pass(normed).retention
        let gap = Matrix.concatenatingColumns(outputs, rows: x.rows).deviation(from: own).maxRelative
        return (heads, gap)
    }

    /// The Transformer's heads in `layer` for `tokens`, and the largest relative gap between
    /// their softmax(…) V through W_O and the attention layer's own output.
    static func transformer(_ model: Transformer<Double>, tokens: [Int], layer l: Int) throws -> (heads: [Head], gap: Double) {
        let scale = model.config.embedScale
        var x = Matrix<Double>(rows: tokens.count, columns: model.config.embedDim) { n, c in scale * model.embedTokens[tokens[n], c] }
        for block in model.blocks[..<l] { x = try block(x).output }
        let attention = model.blocks[l].attention
        let normed = model.blocks[l].attentionLayerNorm.apply(x)
        let q = normed.applyingLinear(attention.qProj), k = normed.applyingLinear(attention.kProj)
        let v = normed.applyingLinear(attention.vProj)
        let (dk, dv) = (attention.keyDimension, attention.headDimension)
        var heads: [Head] = [], outputs: [Matrix<Double>] = []
        for h in 0..<attention.heads {
            let qh = try attention.rotation.apply(q.columnRange(h * dk..<(h + 1) * dk), offset: 0)
            let kh = try attention.rotation.apply(k.columnRange(h * dk..<(h + 1) * dk), offset: 0)
            let s = (1 / Double(dk).squareRoot()) * (qh * kh.transposed)
            let p = Matrix<Double>(rows: s.rows, columns: s.columns) { n, m in
                guard m <= n else { return 0 }
                let top = (0...n).map { s[n, $0] }.max() ?? 0
                let total = (0...n).reduce(0) { $0 + exp(s[n, $1] - top) }
                return exp(s[n, m] - top) / total
            }
            outputs.append(p * v.columnRange(h * dv..<(h + 1) * dv))
            heads.append(Head(layer: l, head: h, shares: shares(p), gamma: nil))
        }
        let own = try attention(normed).output
        let mine = Matrix.concatenatingColumns(outputs, rows: x.rows).applyingLinear(attention.outProj)
        return (heads, mine.deviation(from: own).maxRelative)
    }

    /// The heads as one heatmap figure, one panel per head, on one colour scale from 0 to the
    /// largest share off the first row (row 0 always gives its one key everything).
    static func figure(title: String, heads: [Head]) throws -> String {
        let top = heads.flatMap { $0.shares.dropFirst().flatMap { $0 } }.max() ?? 1
        let panels = heads.map { head in
            Heatmap.Panel("layer \(head.layer + 1), head \(head.head + 1)" + (head.gamma.map { ", γ = \(String(format: "%.4f", $0))" } ?? ""),
                          values: head.shares)
        }
        let map = Heatmap(title: title, panels: panels, range: 0...max(top, 1e-9), columnLabel: "m (key position)",
                          rowLabel: "n (query position)")
        return try map.svg(panelSize: 150)
    }
}
