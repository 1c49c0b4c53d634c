import Matrices
import Transformer

/// A Transformer's KV cache for one sequence, as one contiguous buffer of Floats allocated once
/// for a fixed capacity (the longest context it will hold): decoding appends a token's keys and
/// values in place, and never reallocates. Appending past the capacity is a typed error
/// (`TransformerError.capacity`).
///
/// Layout, per layer l and head h (one after another, keys first, then values):
/// - keys in strips of 16 tokens: strip s holds, for p = 0 … d_k−1, the 16 floats
///   K[16s … 16s+15, p] side by side (Kᵀ cut into 16-column strips, the layout the GEMM packs
///   its B into) — one query's scores against 16 keys are one `SIMD16` chain over d_k;
/// - values row after row: token m's d_v floats at m·d_v.
///
/// So it holds L·h·(⌈C/16⌉·16·d_k + C·d_v) floats for a capacity C — exactly L·C·(E + V), what
/// `DecodingCost` counts for n = C tokens, when C is a multiple of 16.
///
/// A value: a copy shares the buffer until one of the two is written, and that write copies it.
public struct FastKVCache: Sendable, Equatable {
    /// The most tokens it can hold.
    public let capacity: Int
    /// The position of the next token: the number of tokens cached.
    public internal(set) var position: Int
    let layout: KVLayout
    private(set) var storage: KVStorage

    init(layout: KVLayout, capacity: Int) {
        self.layout = layout
        self.capacity = capacity
        position = 0
        storage = KVStorage(count: layout.floats(capacity: capacity))
    }

    /// The floats in use: L·h·n·(d_k + d_v) after n tokens, as `TransformerCache.scalarCount`.
    public var scalarCount: Int { layout.layers * layout.heads * position * (layout.keyDimension + layout.valueDimension) }

    /// The bytes allocated for the whole capacity.
    public var allocatedBytes: Int { storage.count * MemoryLayout<Float>.size }

    /// The keys of `head` in `layer`, n×d_k (rotated to their positions), copied out of the strips.
    public func keys(layer: Int, head: Int) -> Matrix<Float> {
        let (dk, base) = (layout.keyDimension, storage.base + layout.keyOffset(layer: layer, head: head, capacity: capacity))
        return Matrix(rows: position, columns: dk) { m, p in base[(m / 16) * dk * 16 + p * 16 + m % 16] }
    }

    /// The values of `head` in `layer`, n×d_v.
    public func values(layer: Int, head: Int) -> Matrix<Float> {
        let (dv, base) = (layout.valueDimension, storage.base + layout.valueOffset(layer: layer, head: head, capacity: capacity))
        return Matrix(rows: position, columns: dv) { m, j in base[m * dv + j] }
    }

    /// The buffer, to be written in place: copied first if another value shares it.
    mutating func writableStorage() -> UnsafeMutablePointer<Float> {
        if !isKnownUniquelyReferenced(&storage) { storage = storage.copy() }
        return storage.base
    }

    /// Throws `.capacity` unless `count` more tokens fit.
    func checkRoom(for count: Int) throws(TransformerError) {
        guard count <= capacity - position else { throw .capacity(capacity: capacity, position: position, adding: count) }
    }

    public static func == (a: FastKVCache, b: FastKVCache) -> Bool {
        a.capacity == b.capacity && a.position == b.position && a.layout == b.layout
            && (a.storage === b.storage || (0..<a.storage.count).allSatisfy { a.storage.base[$0] == b.storage.base[$0] })
    }
}

/// The shape of a model's KV cache: where layer l's head h keeps its keys and values in a
/// `FastKVCache` of capacity C.
struct KVLayout: Equatable, Sendable {
    let layers: Int, heads: Int, keyDimension: Int, valueDimension: Int

    /// Strips of 16 keys for C tokens.
    static func strips(_ capacity: Int) -> Int { (capacity + 15) / 16 }

    /// Floats of one head's keys: ⌈C/16⌉ strips of 16·d_k.
    func keyFloats(capacity: Int) -> Int { Self.strips(capacity) * 16 * keyDimension }

    func floats(capacity: Int) -> Int { layers * heads * (keyFloats(capacity: capacity) + capacity * valueDimension) }

    func keyOffset(layer: Int, head: Int, capacity: Int) -> Int { (layer * heads + head) * keyFloats(capacity: capacity) }

    func valueOffset(layer: Int, head: Int, capacity: Int) -> Int {
        layers * heads * keyFloats(capacity: capacity) + (layer * heads + head) * capacity * valueDimension
    }
}

/// A cache's floats, zeroed when allocated. Why `@unchecked Sendable` is safe: the buffer is
/// written only through `FastKVCache.writableStorage()`, which first makes it the writer's own.
final class KVStorage: @unchecked Sendable {
    let base: UnsafeMutablePointer<Float>
    let count: Int

    init(count: Int) {
        self.count = count
        base = .allocate(capacity: Swift.max(1, count))
        base.initialize(repeating: 0, count: Swift.max(1, count))
    }

    func copy() -> KVStorage {
        let copy = KVStorage(count: count)
        copy.base.update(from: base, count: count)
        return copy
    }

    deinit {
        base.deallocate()
    }
}
