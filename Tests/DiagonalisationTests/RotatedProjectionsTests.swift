import Diagonalisation
import Matrices
import Testing

@Suite("RotatedProjections: Q = (X W_Q) ⊙ Θ, K = (X W_K) ⊙ Θ̄, V = X W_V")
struct RotatedProjectionsTests {
    @Test func projectsThenRotatesEachRowAtItsPosition() throws {
        var rng = SplitMix64(seed: 11)
        let x = Matrix<Double>.gaussian(rows: 5, columns: 4, using: &rng)
        let project = try RotatedProjections.random(model: 4, key: 6, value: 3, using: &rng)
        let (q, k, v) = try project(x)
        #expect(q == (try PairRotation.rotate(x * project.wQ, theta: project.theta)))
        #expect(k == (try PairRotation.rotate(x * project.wK, theta: project.theta)))
        #expect(v == x * project.wV)
        #expect(project.theta == PairRotation.torchscaleAngles(pairs: 3))
    }

    @Test func aTokenProjectedAtItsOffsetIsThatRowOfTheSequence() throws {
        var rng = SplitMix64(seed: 12)
        let x = Matrix<Double>.gaussian(rows: 6, columns: 4, using: &rng)
        let project = try RotatedProjections.random(model: 4, key: 4, value: 2, using: &rng)
        let whole = try project(x)
        for n in 0..<6 {
            let one = try project(x.row(n), offset: n)
            // The same arithmetic on the same numbers: identical, not merely close.
            #expect(one.q == whole.q.row(n) && one.k == whole.k.row(n) && one.v == whole.v.row(n), "row \(n)")
        }
    }

    @Test func badShapesNameTheArgument() throws {
        let w = Matrix<Double>(rows: 4, columns: 4)
        #expect(throws: ShapeError.self) { try RotatedProjections(wQ: w, wK: Matrix(rows: 4, columns: 2), wV: w, theta: [1, 2]) }
        #expect(throws: ShapeError.self) { try RotatedProjections(wQ: w, wK: w, wV: Matrix(rows: 3, columns: 2), theta: [1, 2]) }
        do {
            _ = try RotatedProjections(wQ: w, wK: w, wV: w, theta: [1])
            Issue.record("one angle for four columns was accepted")
        } catch {
            #expect(error.argument == "θ")
        }
        let project = try RotatedProjections(wQ: w, wK: w, wV: w, theta: [1, 2])
        #expect(throws: ShapeError.self) { try project(Matrix(rows: 2, columns: 3)) }
    }
}
