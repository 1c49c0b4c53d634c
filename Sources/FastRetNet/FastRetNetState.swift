import FastRetention
import Kernels
import Matrices
import MultiScaleRetention
import RetNetModel
import Retention

/// The recurrent state of a `FastRetNet`: every layer's heads as `RetentionKernelState`s (flat
/// d_k×d_v Floats that a decoding step updates in place), all at the position of the next token.
/// Convert from and to the reference `RetNetState<Float>` to hand a state between the models.
public struct FastRetNetState: Equatable, Sendable {
    /// layers[l][h]: head h of layer l.
    public internal(set) var layers: [[RetentionKernelState]]

    init(layers: [[RetentionKernelState]]) {
        self.layers = layers
    }

    /// The position of the next token.
    public var position: Int {
        // By index, not `first`, whose generic code allocates in debug builds (decoding allocates nothing).
        layers.isEmpty || layers[0].isEmpty ? 0 : layers[0][0].position
    }

    /// Whether every head is at position 0 with S = 0: for a state of the model's shape, the
    /// same as being equal to its `emptyState()`, without building one.
    var isEmpty: Bool {
        layers.allSatisfy { $0.allSatisfy { $0.position == 0 && $0.s.allSatisfy { $0 == 0 } } }
    }

    /// A copy with buffers of its own. A plain copy shares them until one of the two is written,
    /// and that write copies them: a `Decoder` copies up front, so that its steps never do.
    func unshared() -> FastRetNetState {
        FastRetNetState(layers: layers.map { heads in
            heads.map { head in
                var copy = head
                copy.s = head.s.map { $0 }
                return copy
            }
        })
    }

    /// The reference model's state, copied.
    public init(_ state: RetNetState<Float>) {
        layers = state.layers.map { $0.heads.map(RetentionKernelState.init) }
    }

    /// This state as the reference model's.
    public var reference: RetNetState<Float> {
        RetNetState(layers: layers.map { MultiScaleRetentionState(heads: $0.map(\.reference)) })
    }
}
