import Layers
import Matrices
import TestSupport
import Testing

@Suite("Rotation angles and precisions")
struct RotationTests {
    @Test("rotation angles: 1/10000^{linspace(0, 1, d_k/2)}, in Double and float32")
    func angles() throws {
        #expect(try Rotation(keyDimension: 6).angles.count == 3)
        let double = try Rotation(keyDimension: 6).angles
        #expect(double[0] == 1 && abs(double[1] - 0.01) < 1e-17 && abs(double[2] - 1e-4) < 1e-19)
        let float = Rotation.float32Angles(pairs: 3)
        #expect(float == [1, 1 / Float.pow(10000, 0.5), 1 / Float(10000)])
        #expect(Rotation.float32Angles(pairs: 1) == [1])
        // float32 angles are the Double ones to float32 rounding: t = linspace(0, 1)_j rounds by up to
        // 2⁻²⁴ relative and 10000^t turns that into ln(10000) ≈ 9.2 times as much; powf and 1/· add
        // an ulp each: 12·2⁻²⁴ relative.
        for pairs in [2, 4, 16, 64] {
            let f = Rotation.float32Angles(pairs: pairs), d = try Rotation(keyDimension: 2 * pairs).angles
            for j in 0..<pairs {
                #expect(abs(Double(f[j]) - d[j]) <= 12 * 0x1p-24 * d[j], "pairs \(pairs), j \(j): \(f[j]) vs \(d[j])")
            }
        }
    }

    @Test("the Double rotation is chapter 02's; the float32 one agrees to float32 rounding")
    func rotationPrecisions() throws {
        let x = inputs(rows: 9, columns: 8, seed: 3)
        let double = try Rotation(keyDimension: 8).apply(x, offset: 5)
        let float32 = try Rotation(keyDimension: 8, precision: .float32).apply(x, offset: 5)
        expectClose(float32, double, relative: 3e-6, "float32 vs Double rotation at positions 5…13")
        #expect(relativeError(float32, double) > 0, "the float32 rotation should differ from the Double one")
        #expect(throws: ShapeError.self) { try Rotation(keyDimension: 8).apply(inputs(rows: 2, columns: 6, seed: 1), offset: 0) }
    }
}
