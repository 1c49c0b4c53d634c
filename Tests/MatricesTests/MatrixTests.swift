import Matrices
import Testing

/// Construction, shapes, indexing and the row operations chunking relies on. All of it is exact
/// (no arithmetic), so every comparison here is `==`.
@Suite("Matrix: construction, indexing, rows")
struct MatrixTests {
    @Test("every initialiser lays entries out row-major")
    func initialisersAgree() {
        let nested = Matrix<Double>([[1, 2, 3], [4, 5, 6]])
        let flat = Matrix<Double>(rows: 2, columns: 3, entries: [1, 2, 3, 4, 5, 6])
        let generated = Matrix<Double>(rows: 2, columns: 3) { i, j in Double(3 * i + j + 1) }
        #expect(nested.shape == Shape(rows: 2, columns: 3))
        #expect(nested.rows == 2 && nested.columns == 3)
        #expect(nested.storage == [1, 2, 3, 4, 5, 6])
        #expect(flat == nested)
        #expect(generated == nested)
        // (1, 0) is the fourth entry: row-major, not column-major.
        #expect(nested[1, 0] == 4, "entry [1, 0] should be 4 (row-major), got \(nested[1, 0])")
        #expect(nested[0, 2] == 3)
    }

    @Test("repeating and default zero fill")
    func repeatingFill() {
        let sevens = Matrix<Float>(rows: 3, columns: 2, repeating: 7)
        #expect(sevens.storage == Array(repeating: 7, count: 6))
        let zeros = Matrix<Double>(rows: 2, columns: 4)
        #expect(zeros.storage.allSatisfy { $0 == 0 })
        #expect(zeros.shape.description == "2×4")
    }

    @Test("empty shapes: 0×n, n×0 and Matrix([])")
    func emptyShapes() {
        let noRows = Matrix<Double>(rows: 0, columns: 3)
        #expect(noRows.shape == Shape(rows: 0, columns: 3) && noRows.storage.isEmpty)
        let noColumns = Matrix<Double>(rows: 4, columns: 0)
        #expect(noColumns.shape == Shape(rows: 4, columns: 0) && noColumns.storage.isEmpty)
        #expect(Matrix<Double>([]).shape == Shape(rows: 0, columns: 0))
        #expect(noRows.transposed.shape == Shape(rows: 3, columns: 0))
    }

    @Test("identity has ones exactly on the diagonal")
    func identity() {
        let eye = Matrix<Double>.identity(4)
        for i in 0..<4 {
            for j in 0..<4 {
                #expect(eye[i, j] == (i == j ? 1 : 0), "I[\(i), \(j)] = \(eye[i, j])")
            }
        }
        #expect(Matrix<Complex<Double>>.identity(2)[1, 1] == Complex(1, 0))
        #expect(Matrix<Double>.identity(0).shape == Shape(rows: 0, columns: 0))
    }

    @Test("the subscript setter writes one entry and nothing else")
    func subscriptSetter() {
        var m = Matrix<Double>(rows: 3, columns: 4)
        m[2, 1] = 9
        m[0, 3] = -1
        #expect(m.storage[2 * 4 + 1] == 9)
        #expect(m.storage[3] == -1)
        #expect(m.storage.filter { $0 != 0 }.count == 2, "exactly two entries should be non-zero: \(m.storage)")
    }

    @Test("row and rowRange cut out contiguous rows")
    func rowRanges() {
        let m = Matrix<Double>(rows: 5, columns: 3) { i, j in Double(10 * i + j) }
        #expect(m.row(2) == Matrix([[20, 21, 22]]))
        #expect(m.rowRange(1..<4) == Matrix([[10, 11, 12], [20, 21, 22], [30, 31, 32]]))
        #expect(m.rowRange(0..<5) == m)
        let empty = m.rowRange(3..<3)
        #expect(empty.shape == Shape(rows: 0, columns: 3))
    }

    @Test("stacked(above:) puts self on top and tolerates empty operands")
    func stacking() {
        let top = Matrix<Double>([[1, 2], [3, 4]])
        let bottom = Matrix<Double>([[5, 6]])
        #expect(top.stacked(above: bottom) == Matrix([[1, 2], [3, 4], [5, 6]]))
        #expect(bottom.stacked(above: top) == Matrix([[5, 6], [1, 2], [3, 4]]))
        // An empty matrix of any width is the unit of stacking (how chunk loops start).
        let nothing = Matrix<Double>(rows: 0, columns: 0)
        #expect(nothing.stacked(above: bottom) == bottom)
        #expect(bottom.stacked(above: nothing) == bottom)
        #expect(bottom.stacked(above: Matrix<Double>(rows: 0, columns: 7)).shape == Shape(rows: 1, columns: 2))
    }

    @Test("rowRange and stacked are inverse: cutting into chunks and restacking gives the original")
    func chunkRoundTrip() {
        var generator = SplitMix64(seed: 11)
        let m = Matrix<Double>.gaussian(rows: 10, columns: 3, using: &generator)
        for chunk in [1, 3, 4, 10] {
            var rebuilt = Matrix<Double>(rows: 0, columns: 3)
            for start in stride(from: 0, to: 10, by: chunk) {
                rebuilt = rebuilt.stacked(above: m.rowRange(start..<min(start + chunk, 10)))
            }
            #expect(rebuilt == m, "chunk size \(chunk): restacked rows differ from the original")
        }
    }

    @Test("setRows overwrites exactly the target rows")
    func settingRows() {
        var m = Matrix<Double>(rows: 4, columns: 2, repeating: -1)
        m.setRows(from: 1, to: Matrix([[1, 2], [3, 4]]))
        #expect(m == Matrix([[-1, -1], [1, 2], [3, 4], [-1, -1]]))
        m.setRows(from: 3, to: Matrix([[7, 8]]))
        #expect(m.row(3) == Matrix([[7, 8]]))
        m.setRows(from: 0, to: Matrix<Double>(rows: 0, columns: 2))
        #expect(m.row(0) == Matrix([[-1, -1]]), "placing zero rows must not change anything")
    }

    @Test("transposed swaps indices; twice is the identity")
    func transpose() {
        let m = Matrix<Double>([[1, 2, 3], [4, 5, 6]])
        let t = m.transposed
        #expect(t.shape == Shape(rows: 3, columns: 2))
        #expect(t == Matrix([[1, 4], [2, 5], [3, 6]]))
        #expect(t.transposed == m)
        // Complex transpose does not conjugate (that is `adjoint`).
        let z = Matrix<Complex<Double>>([[Complex(1, 2), Complex(3, -4)]])
        #expect(z.transposed[1, 0] == Complex(3, -4))
    }

    @Test("map transforms entries and may change the element type")
    func mapping() {
        let m = Matrix<Double>([[1, -2], [3, -4]])
        #expect(m.map { $0 * $0 } == Matrix([[1, 4], [9, 16]]))
        let asFloat: Matrix<Float> = m.map { Float($0) }
        #expect(asFloat.shape == m.shape && asFloat[1, 1] == -4)
    }

    @Test("Equatable compares shape as well as entries")
    func equality() {
        let row = Matrix<Double>(rows: 1, columns: 4, entries: [1, 2, 3, 4])
        let square = Matrix<Double>(rows: 2, columns: 2, entries: [1, 2, 3, 4])
        #expect(row != square, "same storage, different shape must not be equal")
        #expect(row != Matrix(rows: 1, columns: 4, entries: [1, 2, 3, 5]))
    }

    @Test("maxMagnitude and isFinite")
    func magnitudeAndFiniteness() {
        let m = Matrix<Double>([[1, -7.5], [3, 0]])
        #expect(m.maxMagnitude == 7.5)
        #expect(Matrix<Double>(rows: 0, columns: 3).maxMagnitude == 0)
        #expect(m.isFinite)
        #expect(!Matrix<Double>([[1, .nan]]).isFinite)
        #expect(!Matrix<Float>([[-.infinity, 1]]).isFinite)
    }

    // Preconditions stop the process; exit tests run each in a child process.

    @Test("reading outside the matrix traps")
    func subscriptOutOfBounds() async {
        await #expect(processExitsWith: .failure) {
            let m = Matrix<Double>(rows: 2, columns: 3)
            _ = m[0, 3]  // column 3 of 3: would silently read [1, 0] without the check
        }
    }

    @Test("entries must fill the shape exactly")
    func wrongEntryCountTraps() async {
        await #expect(processExitsWith: .failure) {
            _ = Matrix<Double>(rows: 2, columns: 2, entries: [1, 2, 3])
        }
    }

    @Test("stacking different widths traps")
    func stackingMismatchTraps() async {
        await #expect(processExitsWith: .failure) {
            _ = Matrix<Double>(rows: 1, columns: 2).stacked(above: Matrix<Double>(rows: 1, columns: 3))
        }
    }
}
