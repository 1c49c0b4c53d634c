import Matrices
import Retention

/// The recurrent state of a multi-scale retention layer: one `RetentionState` per head
/// (S_h, d_k×d_v, and the position n of the next token), all at the same position.
///
/// Whatever form produced it — a parallel or chunkwise prefill, or recurrent steps — it is the
/// same value, Σ_{m<n} γ_h^{n−1−m} K_mᵀ V_m per head, so a recurrent or chunkwise call can carry on
/// from it.
public struct MultiScaleRetentionState<E: RealScalar>: Equatable, Sendable {
    /// One state per head.
    public var heads: [RetentionState<E>]

    public init(heads: [RetentionState<E>]) {
        self.heads = heads
    }

    /// The position of the next token (0 for the empty state).
    public var position: Int { heads.first?.position ?? 0 }

    /// Throws unless this state fits `layer`: h heads, each S d_k×d_v, every head at one position ≥ 0.
    /// `field` prefixes the names in the message (e.g. "state.layers[2]").
    public func validate(for layer: MultiScaleRetentionLayer<E>, field: String = "state") throws(MultiScaleRetentionError) {
        guard heads.count == layer.heads else {
            throw .invalid(field: "\(field).heads", expected: "\(layer.heads) heads (decoder_retention_heads)",
                           got: "\(heads.count)")
        }
        let shape = Shape(rows: layer.keyDimension, columns: layer.headDimension)
        for (index, head) in heads.enumerated() {
            guard head.s.shape == shape else {
                throw .invalid(field: "\(field).heads[\(index)].s", expected: "\(shape) (key_dim×head_dim)",
                               got: "\(head.s.shape)")
            }
            guard head.position == position && head.position >= 0 else {
                throw .invalid(field: "\(field).heads[\(index)].position",
                               expected: "\(Swift.max(position, 0)) (the position of head 0, ≥ 0)", got: "\(head.position)")
            }
        }
    }

    /// The state in another precision.
    public func converted<Other: RealScalar>(to _: Other.Type = Other.self) -> MultiScaleRetentionState<Other> {
        MultiScaleRetentionState<Other>(heads: heads.map { RetentionState(s: $0.s.converted(), position: $0.position) })
    }
}
