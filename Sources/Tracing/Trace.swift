import Matrices

/// What a traced computation did: every value it produced, from which others, in the order it
/// produced them, grouped by time step or chunk. A plain value, independent of the element type,
/// so it can be compared, counted and turned into a figure after the run.
///
/// The record is made by running the real code with a `Tracer` (see there), so a figure drawn
/// from it shows the operations that actually ran, with the shapes they actually had.
public struct Trace: Sendable, Equatable {
    /// The recorded values, in the order they were produced (ids are indices into this array).
    public internal(set) var nodes: [TraceNode] = []
    /// The groups (time steps, chunks) the nodes were recorded in, in the order they were opened.
    public internal(set) var groups: [TraceGroup] = []

    public init() {}

    /// The node with this id.
    public subscript(_ id: TraceNodeID) -> TraceNode { nodes[id.index] }

    /// The nodes recorded by `operation`, in order.
    public func nodes(_ operation: TraceOperation) -> [TraceNode] {
        nodes.filter { $0.operation == operation }
    }

    /// The nodes that take `id` as an input, in order.
    public func consumers(of id: TraceNodeID) -> [TraceNode] {
        nodes.filter { $0.inputs.contains(id) }
    }

    /// The data dependencies as (from, to) pairs: one per input of every node.
    public var edges: [(from: TraceNodeID, to: TraceNodeID)] {
        nodes.flatMap { node in node.inputs.map { (from: $0, to: node.id) } }
    }
}

/// Identifies a recorded value within its trace.
public struct TraceNodeID: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// The position in `Trace.nodes`.
    public let index: Int

    public static func < (a: TraceNodeID, b: TraceNodeID) -> Bool { a.index < b.index }
    public var description: String { "#\(index)" }
}

/// One recorded value: what it is called, how it was computed, from what, and its shape.
public struct TraceNode: Sendable, Equatable {
    public let id: TraceNodeID
    /// Its name in the paper's notation, e.g. "Q Kᵀ", "S₃", "R₁", "Q[1]".
    public let symbol: String
    /// How it was computed, in the same notation (e.g. "γ S₂ + K₃ᵀ V₃"), when the symbol alone
    /// does not say.
    public let expression: String?
    /// The kind of computation that produced it.
    public let operation: TraceOperation
    /// Its part in the computation (data, parameter, state, output …).
    public let role: TraceRole
    /// Its shape as computed (rows × columns).
    public let shape: Shape
    /// The values it was computed from, in argument order.
    public let inputs: [TraceNodeID]
    /// The innermost group (time step, chunk, head …) it was recorded in, if any.
    public let group: Int?
}

/// A time step, chunk, head or sub-layer: the nodes recorded between `Tracer.enterGroup` and
/// `leaveGroup`.
public struct TraceGroup: Sendable, Equatable {
    /// The index in `Trace.groups`.
    public let index: Int
    /// Its caption, e.g. "t = 3", "chunk 1 · rows 3–5" or "head 0 · γ₀ = 0.96875".
    public let label: String
    /// The enclosing group, if groups were nested.
    public let parent: Int?
}

/// The part a value plays, which decides how a figure draws it (and whether it draws it).
public enum TraceRole: String, Sendable, CaseIterable {
    /// Data entering the computation: the inputs X, a starting state.
    case input
    /// Learned or chosen numbers: W_Q, W_K, W_V, θ, γ.
    case parameter
    /// Computed from parameters and positions only, never from data: D, ξ, ζ, γᵇ.
    case constant
    /// Computed from data.
    case intermediate
    /// A recurrent or chunk state carried forward: S_n, R_i.
    case state
    /// A result handed back to the caller.
    case output
}

/// The kinds of computation the traced code paths record (retention forms, layers, blocks).
public enum TraceOperation: String, Sendable, CaseIterable {
    /// A value that enters from outside (data or parameter).
    case leaf
    /// A projection by a weight matrix, X W.
    case projection
    /// The position-dependent rotation ⊙ Θ (or ⊙ Θ̄), possibly of a projection.
    case rotation
    /// Rows cut out of a matrix: one token's row, or one chunk's rows.
    case rowSlice
    /// Columns cut out of a matrix: one head's columns of a projection.
    case columnSlice
    /// A transpose, Kᵀ.
    case transpose
    /// The retention scores Q Kᵀ (all pairs of positions, or those of one chunk).
    case scores
    /// The decay mask D (D_nm = γ^{n−m} for n ≥ m, else 0).
    case decayMask
    /// The chunk's decay factors ξ, ζ and γᵇ.
    case decayFactors
    /// An entry-wise product ⊙.
    case hadamard
    /// A matrix product.
    case product
    /// A sum of two terms (the chunk's inner and cross-chunk parts; a residual connection).
    case sum
    /// A state update: S_n = γ S_{n−1} + K_nᵀ V_n, or R_i = K_[i]ᵀ (V_[i] ⊙ ζ) + γᵇ R_{i−1}.
    case stateUpdate
    /// Rows stacked into one matrix (the outputs of every step or chunk), or matrices placed side
    /// by side (the heads' outputs).
    case concatenation
    /// A normalisation of every row, or of each head's part of every row: LayerNorm, RMSNorm,
    /// GroupNorm.
    case norm
    /// An entry-wise non-linearity: swish, gelu.
    case activation
    /// A whole sub-layer recorded as one step (multi-scale retention inside a block).
    case layer
}
