import Transformer

/// The score maps an attention layer may have, chosen by its `AttentionScoring`: softmax
/// (`CausalSoftmax`, the Transformer) or none (`CausalLinear`, linear attention). A third is a
/// new `ScoreMap` and a case here.
enum AttentionScores: ScoreMap {
    case softmax(CausalSoftmax)
    case linear(CausalLinear)

    init(_ scoring: AttentionScoring, keyDimension: Int) {
        switch scoring {
        case .softmax: self = .softmax(CausalSoftmax(keyDimension: keyDimension))
        case .linear: self = .linear(CausalLinear(keyDimension: keyDimension))
        }
    }

    func forward(_ s: UnsafeMutablePointer<Float>, length: Int, head: Int) {
        switch self {
        case .softmax(let map): map.forward(s, length: length, head: head)
        case .linear(let map): map.forward(s, length: length, head: head)
        }
    }

    func backward(_ dA: UnsafeMutablePointer<Float>, weights: UnsafePointer<Float>, length: Int, head: Int) {
        switch self {
        case .softmax(let map): map.backward(dA, weights: weights, length: length, head: head)
        case .linear(let map): map.backward(dA, weights: weights, length: length, head: head)
        }
    }
}
