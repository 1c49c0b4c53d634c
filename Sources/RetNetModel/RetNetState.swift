import Matrices
import MultiScaleRetention
import Retention

/// The recurrent state of a whole RetNet: one multi-scale retention state per layer, all at the
/// position of the next token. Its size, L·h·d_k·d_v scalars, does not depend on how many tokens
/// it has seen. A prefill (parallel or chunkwise) returns it; `RetNet.step` carries it on.
public struct RetNetState<E: RealScalar>: Equatable, Sendable {
    public var layers: [MultiScaleRetentionState<E>]

    public init(layers: [MultiScaleRetentionState<E>]) {
        self.layers = layers
    }

    /// The position of the next token.
    public var position: Int { layers.first?.position ?? 0 }

    /// The number of scalars held.
    public var scalarCount: Int { layers.reduce(0) { $0 + $1.heads.reduce(0) { $0 + $1.s.rows * $1.s.columns } } }

    /// Throws `.state` naming the first field that does not fit `model`: the layer count, each
    /// layer's heads and their d_k×d_v shapes, one common position.
    public func validate(for model: RetNet<E>) throws(RetNetError) {
        guard layers.count == model.blocks.count else {
            throw .state(field: "state.layers", expected: "\(model.blocks.count) layers (decoder_layers)",
                         got: "\(layers.count)")
        }
        for (index, layer) in layers.enumerated() {
            do {
                try layer.validate(for: model.blocks[index].retention, field: "state.layers[\(index)]")
            } catch {
                guard case .invalid(let field, let expected, let got) = error else { throw .layer(index, error) }
                throw .state(field: field, expected: expected, got: got)
            }
            guard layer.position == position else {
                throw .state(field: "state.layers[\(index)].position",
                             expected: "\(position) (the position of layer 0)", got: "\(layer.position)")
            }
        }
    }

    /// The state in another precision.
    public func converted<Other: RealScalar>(to _: Other.Type = Other.self) -> RetNetState<Other> {
        RetNetState<Other>(layers: layers.map { $0.converted() })
    }
}
