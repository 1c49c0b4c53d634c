import FastRetNet
import Foundation
import Kernels
import Matrices
import MultiScaleRetention
import RetNetModel
import Transformer

/// A `Transformer<Float>` decoding on the kernels: the same model and the same numbers up to
/// Float rounding and `VectorMath.exp`, one token at a time against a `FastKVCache`.
///
/// - every projection (Q, K, V as one), the FFN and the output projection are the
///   panel-streaming products `FastRetNet` decodes with (`PackedLinear`): each weight read once
///   per token;
/// - each head's attention is `SoftmaxAttention`: one query against the cached keys, the
///   softmax's exponentials 16 at a time.
///
/// What it costs per token is what `DecodingCost.transformer` counts.
public struct FastTransformer: Sendable {
    public let config: TransformerConfig
    let embedTokens: [Float]
    let embedScale: Float
    let blocks: [Block]
    let layerNorm: BlockNorm<Float>
    let head: PackedLinear
    let rotation: Rotation

    struct Block: Sendable {
        let attentionNorm: BlockNorm<Float>, finalNorm: BlockNorm<Float>
        /// [W_Q; W_K; W_V]: E → 2E + V.
        let projections: PackedLinear
        let output: PackedLinear
        let ffn: PackedFeedForward
    }

    /// The model laid out for the kernels.
    public init(_ model: Transformer<Float>) {
        config = model.config
        embedTokens = model.embedTokens.storage
        embedScale = Float(model.config.embedScale)
        layerNorm = model.layerNorm
        head = PackedLinear(model.outputProjection)
        rotation = model.blocks[0].attention.rotation
        blocks = model.blocks.map { block in
            let a = block.attention
            return Block(attentionNorm: block.attentionLayerNorm, finalNorm: block.finalLayerNorm,
                         projections: PackedLinear(stacking: [a.qProj, a.kProj, a.vProj]), output: PackedLinear(a.outProj),
                         ffn: PackedFeedForward(block.ffn))
        }
    }

    /// The empty cache (position 0).
    public func emptyCache() -> FastKVCache { FastKVCache(layers: config.layers, heads: config.heads) }

    /// One token at position cache.position: its logits (vocab floats); the cache grows by its
    /// keys and values. Throws `.token` for an id outside the vocabulary, `.cache` for a cache
    /// of another shape, and then changes nothing.
    public func step(_ token: Int, cache: inout FastKVCache) throws(TransformerError) -> [Float] {
        guard token >= 0 && token < config.vocabSize else {
            throw .token(position: 0, id: token, vocabularySize: config.vocabSize)
        }
        guard cache.keys.count == config.layers && cache.keys.allSatisfy({ $0.count == config.heads })
            && cache.keys.allSatisfy({ $0.allSatisfy { $0.count == cache.position * config.keyDim } })
            && cache.values.allSatisfy({ $0.count == config.heads && $0.allSatisfy { $0.count == cache.position * config.headDim } })
        else {
            throw .cache(field: "cache", expected: "\(config.layers) layers of \(config.heads) heads, d_k = \(config.keyDim), "
                         + "d_v = \(config.headDim)", got: "a cache of another shape")
        }
        let e = config.embedDim, v = config.valueEmbedDim, h = config.heads, dk = config.keyDim, dv = config.headDim
        let position = cache.position
        var x = (0..<e).map { embedScale * embedTokens[token * e + $0] }
        var normed = [Float](repeating: 0, count: e)
        var mixed = [Float](repeating: 0, count: v)
        var y = [Float](repeating: 0, count: e)
        var scores = [Float](repeating: 0, count: (position + 1 + 15) / 16 * 16)
        // cos and sin of this position's angles, as `Rotation.apply` computes them: once for every layer.
        var cos = [Float](repeating: 0, count: dk / 2), sin = cos
        cos.withUnsafeMutableBufferPointer { cos in
            sin.withUnsafeMutableBufferPointer { sin in
                RotationTable(pairs: dk / 2, cos: cos.baseAddress!, sin: sin.baseAddress!)
                    .fill(rotation, positions: position..<(position + 1))
            }
        }
        let scale = 1 / Float(dk).squareRoot()
        for (l, block) in blocks.enumerated() {
            RowNorms.block(block.attentionNorm, x, into: &normed, rows: 0..<1, width: e)
            var qkv = [Float](repeating: 0, count: block.projections.outputs)
            block.projections.apply(normed, rows: 1, into: &qkv, threads: 1)
            cos.withUnsafeMutableBufferPointer { cos in
                sin.withUnsafeMutableBufferPointer { sin in
                    qkv.withUnsafeMutableBufferPointer { qkv in
                        let table = RotationTable(pairs: dk / 2, cos: cos.baseAddress!, sin: sin.baseAddress!)
                        for i in 0..<h {
                            table.rotate(qkv.baseAddress! + i * dk, row: 0)
                            table.rotate(qkv.baseAddress! + e + i * dk, row: 0)
                        }
                    }
                }
            }
            for i in 0..<h {
                cache.keys[l][i].append(contentsOf: qkv[(e + i * dk)..<(e + (i + 1) * dk)])
                cache.values[l][i].append(contentsOf: qkv[(2 * e + i * dv)..<(2 * e + (i + 1) * dv)])
                qkv.withUnsafeBufferPointer { qkv in
                    cache.keys[l][i].withUnsafeBufferPointer { keys in
                        cache.values[l][i].withUnsafeBufferPointer { values in
                            mixed.withUnsafeMutableBufferPointer { mixed in
                                SoftmaxAttention.attend(q: qkv.baseAddress! + i * dk, keys: keys.baseAddress!,
                                                        values: values.baseAddress!, count: position + 1, keyDimension: dk,
                                                        valueDimension: dv, scale: scale, scores: &scores,
                                                        into: mixed.baseAddress! + i * dv)
                            }
                        }
                    }
                }
            }
            block.output.apply(mixed, rows: 1, into: &y, threads: 1)
            for c in 0..<e { y[c] += x[c] }
            RowNorms.block(block.finalNorm, y, into: &normed, rows: 0..<1, width: e)
            var expanded = [Float](repeating: 0, count: block.ffn.expand.outputs)
            var activated = [Float](repeating: 0, count: block.ffn.hidden)
            normed.withUnsafeBufferPointer { normed in
                expanded.withUnsafeMutableBufferPointer { expanded in
                    activated.withUnsafeMutableBufferPointer { activated in
                        x.withUnsafeMutableBufferPointer { x in
                            block.ffn.apply(normed.baseAddress!, rows: 1, expanded: expanded.baseAddress!,
                                            activated: activated.baseAddress!, into: x.baseAddress!, threads: 1)
                        }
                    }
                }
            }
            for c in 0..<e { x[c] += y[c] }
        }
        cache.position += 1
        RowNorms.block(layerNorm, x, into: &normed, rows: 0..<1, width: e)
        var logits = [Float](repeating: 0, count: config.vocabSize)
        head.apply(normed, rows: 1, into: &logits, threads: 1)
        return logits
    }
}
