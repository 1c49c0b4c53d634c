import DecodingCosts
import Foundation
import Matrices
import RetNetModel
import TestSupport
import Testing
import Transformer

/// Linear attention (`AttentionScoring.linear`) in the reference Transformer: what it computes,
/// how its configuration is stored, what refuses it.
@Suite("Linear attention in the reference Transformer")
struct LinearAttentionTests {
    /// Each head is chapter 01's causal linear attention on Q/√d_k, computed here from the
    /// weights directly (the projections, the rotation, the masked scores by hand), not through
    /// the layer: a softmax left in, a missing scale or mask would move the output by O(1).
    @Test("a layer's heads are ((Q/√d_k) Kᵀ ⊙ M) V, from the weights by hand")
    func headsFromTheWeights() throws {
        let attention = try tinyTransformer(.torchscale, scoring: .linear).blocks[0].attention
        var rng = SplitMix64(seed: 4)
        let x = Matrix<Double>.gaussian(rows: 7, columns: 8, using: &rng)
        let (dk, dv) = (attention.keyDimension, attention.headDimension)
        let q = x.applyingLinear(attention.qProj), k = x.applyingLinear(attention.kProj), v = x.applyingLinear(attention.vProj)
        var heads: [Matrix<Double>] = []
        for i in 0..<attention.heads {
            let qi = try attention.rotation.apply(q.columnRange(i * dk..<(i + 1) * dk), offset: 0)
            let ki = try attention.rotation.apply(k.columnRange(i * dk..<(i + 1) * dk), offset: 0)
            let vi = v.columnRange(i * dv..<(i + 1) * dv)
            var out = Matrix<Double>(rows: 7, columns: dv)
            for t in 0..<7 {
                for m in 0...t {
                    let score = (0..<dk).reduce(0.0) { $0 + qi[t, $1] * ki[m, $1] } / Double(dk).squareRoot()
                    for c in 0..<dv { out[t, c] += score * vi[m, c] }
                }
            }
            heads.append(out)
        }
        let expected = Matrix.concatenatingColumns(heads, rows: 7).applyingLinear(attention.outProj)
        expectClose(try attention(x).output, expected, relative: 1e-12, "linear attention layer")
        let softmax = try tinyTransformer(.torchscale, scoring: .softmax).blocks[0].attention
        #expect(relativeError(try softmax(x).output, expected) > 1e-2, "the softmax layer of the same weights differs")
    }

    @Test("the configuration stores its scoring; one written without it reads as softmax")
    func configuration() throws {
        var config = TransformerConfig(matching: tinyConfig(.torchscale))
        config.attention = .linear
        let data = try JSONEncoder().encode(config)
        #expect(try JSONDecoder().decode(TransformerConfig.self, from: data) == config)
        var object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(object["attention"] as? String == "linear")
        object.removeValue(forKey: "attention")
        let older = try JSONDecoder().decode(TransformerConfig.self, from: JSONSerialization.data(withJSONObject: object))
        #expect(older.attention == .softmax)
        object["attention"] = "quadratic"
        #expect(throws: DecodingError.self) {
            try JSONDecoder().decode(TransformerConfig.self, from: JSONSerialization.data(withJSONObject: object))
        }
    }

    @Test("a block whose scoring is not the configuration's is refused")
    func mismatchedBlock() throws {
        let linear = try tinyTransformer(.paper, scoring: .linear)
        let softmax = try tinyTransformer(.paper, scoring: .softmax)
        #expect(throws: TransformerError.self) {
            try Transformer(config: linear.config, embedTokens: linear.embedTokens, blocks: softmax.blocks,
                            layerNorm: linear.layerNorm, outputProjection: linear.outputProjection)
        }
    }
}
