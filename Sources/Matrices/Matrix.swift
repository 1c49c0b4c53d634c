import ComplexModule
import RealModule

/// A dense, row-major matrix over any algebraic field: `Double`, `Float`, or
/// swift-numerics' `Complex<Double>`.
///
/// This is the reference container of the book: clear, bounds-checked, and small. Rows are
/// time steps (n) and columns are features (d), as in the paper's X ∈ ℝ^{n×d}. A row vector
/// is a 1×d matrix; nothing here distinguishes vectors from matrices.
public struct Matrix<Element: AlgebraicField> {
    /// Number of rows.
    public let rows: Int
    /// Number of columns.
    public let columns: Int
    /// The entries, row after row: entry (i, j) is `storage[i * columns + j]`.
    public private(set) var storage: [Element]

    /// A matrix of the given shape, every entry `value`.
    public init(rows: Int, columns: Int, repeating value: Element = .zero) {
        precondition(rows >= 0 && columns >= 0, "Matrix shape must be non-negative, got \(rows)×\(columns)")
        self.rows = rows
        self.columns = columns
        self.storage = Array(repeating: value, count: rows * columns)
    }

    /// A matrix whose entry (i, j) is `entry(i, j)`.
    public init(rows: Int, columns: Int, _ entry: (_ row: Int, _ column: Int) throws -> Element) rethrows {
        precondition(rows >= 0 && columns >= 0, "Matrix shape must be non-negative, got \(rows)×\(columns)")
        self.rows = rows
        self.columns = columns
        var storage: [Element] = []
        storage.reserveCapacity(rows * columns)
        for i in 0..<rows {
            for j in 0..<columns { storage.append(try entry(i, j)) }
        }
        self.storage = storage
    }

    /// A matrix from row-major entries; `entries.count` must be `rows * columns`.
    public init(rows: Int, columns: Int, entries: [Element]) {
        precondition(rows >= 0 && columns >= 0 && entries.count == rows * columns,
                     "Matrix(rows: \(rows), columns: \(columns)) needs \(rows * columns) entries, got \(entries.count)")
        self.rows = rows
        self.columns = columns
        self.storage = entries
    }

    /// A matrix from nested rows, e.g. `Matrix([[1, 2], [3, 4]])`. All rows must have one length.
    public init(_ nestedRows: [[Element]]) {
        let columns = nestedRows.first?.count ?? 0
        precondition(nestedRows.allSatisfy { $0.count == columns }, "Matrix rows must all have \(columns) entries")
        self.init(rows: nestedRows.count, columns: columns, entries: nestedRows.flatMap { $0 })
    }

    /// The n×n identity.
    public static func identity(_ n: Int) -> Matrix {
        Matrix(rows: n, columns: n) { i, j in i == j ? 1 : 0 }
    }

    /// The shape as (rows, columns).
    public var shape: Shape { Shape(rows: rows, columns: columns) }

    /// Entry (i, j).
    public subscript(_ i: Int, _ j: Int) -> Element {
        get {
            precondition(i >= 0 && i < rows && j >= 0 && j < columns, "index [\(i), \(j)] outside \(rows)×\(columns)")
            return storage[i * columns + j]
        }
        set {
            precondition(i >= 0 && i < rows && j >= 0 && j < columns, "index [\(i), \(j)] outside \(rows)×\(columns)")
            storage[i * columns + j] = newValue
        }
    }

    /// Row i as a 1×columns matrix.
    public func row(_ i: Int) -> Matrix {
        rowRange(i..<(i + 1))
    }

    /// Rows `range` as a matrix (used to cut a sequence into chunks).
    public func rowRange(_ range: Range<Int>) -> Matrix {
        precondition(range.lowerBound >= 0 && range.upperBound <= rows, "rows \(range) outside 0..<\(rows)")
        return Matrix(rows: range.count, columns: columns,
                      entries: Array(storage[(range.lowerBound * columns)..<(range.upperBound * columns)]))
    }

    /// Rows stacked: `self` on top of `other`. Column counts must match.
    public func stacked(above other: Matrix) -> Matrix {
        precondition(columns == other.columns || rows == 0 || other.rows == 0,
                     "cannot stack \(rows)×\(columns) on \(other.rows)×\(other.columns)")
        let width = rows == 0 ? other.columns : columns
        return Matrix(rows: rows + other.rows, columns: width, entries: storage + other.storage)
    }

    /// Overwrites rows starting at `start` with the rows of `block`.
    public mutating func setRows(from start: Int, to block: Matrix) {
        precondition(block.columns == columns && start >= 0 && start + block.rows <= rows,
                     "cannot place \(block.rows)×\(block.columns) at row \(start) of \(rows)×\(columns)")
        storage.replaceSubrange((start * columns)..<((start + block.rows) * columns), with: block.storage)
    }

    /// The transpose.
    public var transposed: Matrix {
        Matrix(rows: columns, columns: rows) { i, j in self[j, i] }
    }

    /// Entry-wise transform.
    public func map<Other>(_ transform: (Element) throws -> Other) rethrows -> Matrix<Other> {
        Matrix<Other>(rows: rows, columns: columns, entries: try storage.map(transform))
    }
}

extension Matrix: Equatable {}
extension Matrix: Sendable where Element: Sendable {}

/// A matrix shape, printed as `rows×columns`.
public struct Shape: Equatable, Sendable, CustomStringConvertible {
    public let rows: Int
    public let columns: Int
    public init(rows: Int, columns: Int) {
        self.rows = rows
        self.columns = columns
    }
    public var description: String { "\(rows)×\(columns)" }
}
