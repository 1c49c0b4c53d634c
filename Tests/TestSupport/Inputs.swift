import Matrices

// Seeded inputs that several test targets draw.

/// `count` token ids in 0..<vocabulary, drawn from SplitMix64(seed).
public func tokens(_ count: Int, vocabulary: Int, seed: UInt64) -> [Int] {
    var rng = SplitMix64(seed: seed)
    return (0..<count).map { _ in Int(rng.next() % UInt64(vocabulary)) }
}

/// A well-conditioned complex n×n matrix, I + (0.3/√n)·G with G complex Gaussian: ‖0.3·G/√n‖₂ is
/// about 0.3·2·√2 ≈ 0.85 at worst for large n and much smaller for small n, so κ ≲ 12.
public func wellConditioned(_ n: Int, using generator: inout SplitMix64) -> Matrix<Complex<Double>> {
    .identity(n) + .gaussian(rows: n, columns: n, scale: 0.3 / Double(n).squareRoot(), using: &generator)
}

/// The blocks stacked top to bottom (an empty list gives a 0×0 matrix).
public func stack<E>(_ blocks: [Matrix<E>]) -> Matrix<E> {
    blocks.reduce(Matrix(rows: 0, columns: 0)) { $0.stacked(above: $1) }
}
