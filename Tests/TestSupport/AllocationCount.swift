import AllocationCounting

/// The heap allocations `body` makes on the calling thread (malloc, calloc, realloc and the
/// aligned variants: see `AllocationCounting`).
public func allocations<E: Error>(in body: () throws(E) -> Void) throws(E) -> Int {
    allocation_counting_start()
    do {
        try body()
    } catch {
        _ = allocation_counting_stop()
        throw error
    }
    return allocation_counting_stop()
}

/// Whether allocations can be counted here (Linux with glibc).
public let canCountAllocations = allocation_counting_available() == 1
