/// One zeroed allocation holding several buffers of floats, one after another (llm.c's
/// `ActivationTensors`): a forward pass's or a decoding step's buffers, allocated once and
/// reused for every call, freed with the value. Each buffer is a slice of the one allocation;
/// threads write disjoint rows, heads or panels of them while one call runs.
///
/// The inference workspaces (`FastRetNet`'s, `FastTransformer`'s) are arenas, their buffers
/// sized for the widest block; a training step's buffers are `FloatBuffer`s, one allocation
/// each, since the step keeps per-block activations of many sizes and reuses them by shape.
package final class FloatArena {
    /// Where each buffer begins, in the order of the counts.
    package let slices: [UnsafeMutablePointer<Float>]
    private let memory: UnsafeMutablePointer<Float>

    /// Buffers of `counts` floats, zeros.
    package init(_ counts: [Int]) {
        let total = Swift.max(1, counts.reduce(0, +))
        memory = UnsafeMutablePointer<Float>.allocate(capacity: total)
        memory.initialize(repeating: 0, count: total)
        var slices: [UnsafeMutablePointer<Float>] = []
        var next = memory
        for count in counts {
            slices.append(next)
            next += count
        }
        self.slices = slices
    }

    deinit {
        memory.deallocate()
    }
}
