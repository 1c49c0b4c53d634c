import Matrices

/// Records a computation as it runs: hand a `Tracer` to a retention form, a multi-scale
/// retention layer or a RetNet block (their `trace:` argument) and it records each operation it
/// performs; record the steps before a retention form (inputs, projections, rotations) yourself
/// with `record` and `leaf`. Read the result from `trace`.
///
/// Values are linked by content, not by name: when a traced function receives a matrix, it asks
/// `node(for:symbol:)` for the node that produced exactly those entries, so an edge in the
/// record means "these very numbers flowed from there to here". A matrix nobody recorded
/// becomes a new input node. (The recurrent state links step to step the same way: the state a
/// step starts from is, entry for entry, the one the previous step recorded.)
///
/// Tracing costs nothing when it is off: every traced function takes `trace: Tracer<E>? = nil`,
/// and each recording site is `if let trace { … }` or `trace?.record(…)`, whose arguments are
/// not even evaluated when the tracer is nil. A tracer is a reference type used by one
/// computation on one thread; it is deliberately not `Sendable`.
public final class Tracer<E: AlgebraicField> {
    /// Everything recorded so far.
    public private(set) var trace = Trace()
    /// The entries of every node recorded with a value, for `node(for:symbol:)`.
    private var values: [(id: TraceNodeID, value: Matrix<E>)] = []
    /// The groups entered and not yet left, innermost last.
    private var open: [Int] = []

    public init() {}

    /// Records a value entering from outside (data, a parameter, a starting state).
    @discardableResult
    public func leaf(_ symbol: String, _ expression: String? = nil, role: TraceRole = .input, value: Matrix<E>)
        -> TraceNodeID
    {
        record(.leaf, symbol, expression, role: role, inputs: [], value: value)
    }

    /// Records a value computed by `operation` from `inputs`, with its entries (so later calls
    /// that receive it are linked to it).
    @discardableResult
    public func record(_ operation: TraceOperation, _ symbol: String, _ expression: String? = nil,
                       role: TraceRole = .intermediate, inputs: [TraceNodeID], value: Matrix<E>) -> TraceNodeID
    {
        let id = record(operation, symbol, expression, role: role, inputs: inputs, shape: value.shape)
        values.append((id, value))
        return id
    }

    /// Records a value the code computes without ever holding it as a matrix (a fused kernel's
    /// intermediate), by its shape.
    @discardableResult
    public func record(_ operation: TraceOperation, _ symbol: String, _ expression: String? = nil,
                       role: TraceRole = .intermediate, inputs: [TraceNodeID], shape: Shape) -> TraceNodeID
    {
        let id = TraceNodeID(index: trace.nodes.count)
        trace.nodes.append(TraceNode(id: id, symbol: symbol, expression: expression, operation: operation,
                                     role: role, shape: shape, inputs: inputs, group: open.last))
        return id
    }

    /// The most recent node recorded with exactly these entries (and shape); if there is none, a
    /// new leaf called `symbol` with `role`.
    public func node(for value: Matrix<E>, symbol: String, role: TraceRole = .input) -> TraceNodeID {
        if let match = values.last(where: { $0.value == value }) { return match.id }
        return leaf(symbol, role: role, value: value)
    }

    /// A scalar as a 1×1 value (γ), found or recorded like `node(for:symbol:)`.
    public func node(forScalar value: E, symbol: String, role: TraceRole = .parameter) -> TraceNodeID {
        node(for: Matrix(rows: 1, columns: 1, entries: [value]), symbol: symbol, role: role)
    }

    /// Opens a group (a time step, a chunk, a head): nodes recorded until `leaveGroup()` belong to it.
    /// Groups nest.
    public func enterGroup(_ label: String) {
        let index = trace.groups.count
        trace.groups.append(TraceGroup(index: index, label: label, parent: open.last))
        open.append(index)
    }

    /// Closes the innermost open group (does nothing when none is open).
    public func leaveGroup() {
        _ = open.popLast()
    }
}
