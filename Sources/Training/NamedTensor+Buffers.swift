extension Array where Element == NamedTensor {
    /// `body` with every tensor's values as a buffer, in order, valid only during the call.
    func withValueBuffers<Result>(_ body: ([UnsafeBufferPointer<Float>]) -> Result) -> Result {
        withUnsafeBufferPointer { tensors in
            var buffers: [UnsafeBufferPointer<Float>] = []
            buffers.reserveCapacity(tensors.count)
            return Self.open(tensors, from: &buffers, body)
        }
    }

    /// Opens the buffer of tensor `buffers.count`, and inside it the next, …, then calls `body`
    /// with all of them.
    private static func open<Result>(_ tensors: UnsafeBufferPointer<NamedTensor>, from buffers: inout [UnsafeBufferPointer<Float>],
                                     _ body: ([UnsafeBufferPointer<Float>]) -> Result) -> Result
    {
        guard buffers.count < tensors.count else { return body(buffers) }
        return tensors[buffers.count].values.withUnsafeBufferPointer { buffer in
            buffers.append(buffer)
            return open(tensors, from: &buffers, body)
        }
    }
}

extension Array where Element == [Float] {
    /// New arrays of `counts` entries, `initialize` given all of their uninitialised buffers at
    /// once (it must write every entry): the arrays are filled where they will stay, not filled
    /// elsewhere and copied.
    static func filled(counts: [Int], by initialize: ([UnsafeMutableBufferPointer<Float>]) -> Void) -> [[Float]] {
        var buffers: [UnsafeMutableBufferPointer<Float>] = []
        buffers.reserveCapacity(counts.count)
        var arrays = [[Float]](repeating: [], count: counts.count)
        make(counts, &buffers, &arrays, initialize)
        return arrays
    }

    /// Makes array `buffers.count`, and while its buffer is open the next, …; the innermost call
    /// runs `initialize` on all of them.
    private static func make(_ counts: [Int], _ buffers: inout [UnsafeMutableBufferPointer<Float>], _ arrays: inout [[Float]],
                             _ initialize: ([UnsafeMutableBufferPointer<Float>]) -> Void)
    {
        let i = buffers.count
        guard i < counts.count else { return initialize(buffers) }
        arrays[i] = [Float](unsafeUninitializedCapacity: counts[i]) { buffer, initialized in
            buffers.append(buffer)
            make(counts, &buffers, &arrays, initialize)
            initialized = counts[i]
        }
    }
}
