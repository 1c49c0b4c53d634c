/// How the packed GEMM cuts a product into blocks for the caches (the Goto/BLIS scheme): with
/// which register tile, k in blocks of `depth` terms (k_c), B in panels of `columns` columns
/// (n_c) and A in blocks of `rows` rows (m_c).
///
/// Three levels of reuse, one per cache. A strip of packed A (tile rows × k_c) meets every strip
/// of B in a panel in turn, so it should sit in the L1 data cache; a panel of packed B
/// (k_c × n_c) meets every strip of A, so it should sit in L2; a block of packed A (m_c × k_c)
/// meets every panel of B, so it should sit in the core's share of L3.
package struct GEMMBlocking: Sendable, Equatable, CustomStringConvertible {
    package let tile: RegisterTile
    /// k_c: at most this many terms per block of k (`blockDepth(_:)`). The rounding depends on it
    /// (each entry's chain restarts from 0 at each block), never on the tile, n_c or m_c.
    package let depth: Int
    /// n_c: columns of B per packed panel, a multiple of the tile's columns.
    package let columns: Int
    /// m_c: rows of A per packed block, a multiple of the tile's rows.
    package let rows: Int

    /// A blocking with these sizes, each at least 1 and rounded down to whole tiles (at least one).
    package init(tile: RegisterTile, depth: Int, columns: Int, rows: Int) {
        self.tile = tile
        self.depth = Swift.max(1, depth)
        self.columns = Swift.max(1, columns / tile.columns) * tile.columns
        self.rows = Swift.max(1, rows / tile.rows) * tile.rows
    }

    /// The constants used where the caches cannot be read, measured on an AMD Zen 3 with the
    /// 6×16 tile (32 KiB L1d, 512 KiB L2): k_c = 384, n_c = 384, and A packed in blocks of up to
    /// 3,072 rows.
    package static func fallback(tile: RegisterTile) -> GEMMBlocking {
        GEMMBlocking(tile: tile, depth: 384, columns: 384, rows: 3_072)
    }

    /// The blocking for `tile` sized by `caches` (`fallback(tile:)` when nil):
    ///
    /// - k_c: an A strip of the tallest tile (12 rows × k_c floats) fills all but two ways of the
    ///   L1 data cache (3/4 of an 8-way cache), the two left to the B strip streaming past and to C,
    ///   as BLIS sizes its L1 operand; a multiple of 16, within 128 … 1,024. The same for every
    ///   tile, so that the tile never changes a rounding.
    /// - n_c: a B panel (k_c × n_c floats) fills half of L2; whole tiles, at most 4,096 columns.
    /// - m_c: a block of A (m_c × k_c floats) fills half of this core's share of L3 (half of L2
    ///   when there is no L3); whole tiles, at most 16,384 rows.
    package static func derived(tile: RegisterTile, caches: CacheSizes?) -> GEMMBlocking {
        guard let caches else { return fallback(tile: tile) }
        let float = MemoryLayout<Float>.size
        let tallest = RegisterTile.allCases.map(\.rows).max() ?? tile.rows
        let ways = Swift.max(caches.level1Ways, 4)
        let depth = (caches.level1 / ways * (ways - 2) / (float * tallest) / 16 * 16).clamped(128, 1_024)
        let columns = (caches.level2 / 2 / (float * depth)).clamped(tile.columns, 4_096)
        let share = caches.level3.map { $0 / caches.level3Sharing } ?? caches.level2
        let rows = (share / 2 / (float * depth)).clamped(tile.rows, 16_384)
        return GEMMBlocking(tile: tile, depth: depth, columns: columns, rows: rows)
    }

    /// The blocking this machine uses: its tile (`RegisterTile.selected`) and caches.
    package static let selected = derived(tile: .selected, caches: .current)

    /// The blocking for `tile` on this machine's caches.
    package static func forThisMachine(tile: RegisterTile) -> GEMMBlocking {
        tile == selected.tile ? selected : derived(tile: tile, caches: .current)
    }

    /// The depth of the blocks k is cut into: as even as possible, none deeper than k_c — k = 1,024
    /// with k_c = 336 is four blocks of 256, not three of 336 and one of 16, whose pass over C
    /// would cost as much as a full block's and add little.
    package func blockDepth(_ k: Int) -> Int {
        guard k > depth else { return k }
        let blocks = (k + depth - 1) / depth
        return (k + blocks - 1) / blocks
    }

    package var description: String {
        "\(tile.rows)×\(tile.columns) tile, k_c = \(depth), n_c = \(columns), m_c = \(rows)"
    }
}

extension Int {
    /// The value brought into low … high.
    fileprivate func clamped(_ low: Int, _ high: Int) -> Int { Swift.min(Swift.max(self, low), high) }
}
