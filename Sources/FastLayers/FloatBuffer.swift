import Matrices

/// Floats on the heap, zero-filled, freed with the value: the activations a forward pass keeps
/// for the backward pass, the gradients flowing back, and the weights of one step laid out for
/// the kernels. Threads write disjoint rows, heads or columns of a buffer while one call runs.
package final class FloatBuffer {
    package let count: Int
    package let pointer: UnsafeMutablePointer<Float>

    /// `count` zeros.
    package init(_ count: Int) {
        self.count = count
        pointer = .allocate(capacity: Swift.max(1, count))
        pointer.initialize(repeating: 0, count: Swift.max(1, count))
    }

    /// The concatenation of `parts`, in order.
    package convenience init(concatenating parts: [[Float]]) {
        self.init(parts.reduce(0) { $0 + $1.count })
        fill(concatenating: parts)
    }

    /// `previous` refilled with the concatenation of `parts` when it holds exactly that many
    /// floats (no allocation, no clearing), else a new buffer: a call's weights laid out in the
    /// buffers of the last call's.
    package static func reusing(_ previous: FloatBuffer?, concatenating parts: [[Float]]) -> FloatBuffer {
        guard let previous, previous.count == parts.reduce(0, { $0 + $1.count }) else {
            return FloatBuffer(concatenating: parts)
        }
        previous.fill(concatenating: parts)
        return previous
    }

    /// Overwrites the first floats with the concatenation of `parts` (at most `count` floats).
    package func fill(concatenating parts: [[Float]]) {
        var next = pointer
        for part in parts {
            part.withUnsafeBufferPointer { source in
                if let base = source.baseAddress { next.update(from: base, count: part.count) }
            }
            next += part.count
        }
    }

    /// The floats [start, start + count) as an array.
    package func array(from start: Int = 0, count: Int? = nil) -> [Float] {
        Array(UnsafeBufferPointer(start: pointer + start, count: count ?? self.count - start))
    }

    deinit {
        pointer.deallocate()
    }
}

extension FloatBuffer {
    /// Rows [firstRow, firstRow + rows) of the buffer read as a matrix of `columns` columns: one
    /// weight's gradient cut out of a stacked product.
    package func matrix(firstRow: Int, rows: Int, columns: Int) -> Matrix<Float> {
        Matrix(rows: rows, columns: columns, entries: array(from: firstRow * columns, count: rows * columns))
    }
}
