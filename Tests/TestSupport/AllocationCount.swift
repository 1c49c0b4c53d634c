import AllocationCounting
import Testing

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

/// Whether allocations can be counted here (Linux with glibc, not under ThreadSanitizer).
public let canCountAllocations = allocation_counting_available() == 1

/// Why allocations cannot be counted here (nil where they can): the comment of the tests that
/// `canCountAllocations` disables.
public let allocationCountingUnavailable: Comment? = allocation_counting_unavailable_reason().map { Comment(rawValue: String(cString: $0)) }
