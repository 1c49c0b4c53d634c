/// The shape of the tile of C the packed GEMM's micro-kernel keeps in vector registers, one per
/// instruction set, and which one this machine uses.
///
/// A micro-kernel step adds a rank-1 product to its rows×columns tile: one load of `columns`
/// floats of B, `rows` broadcasts of A, rows × columns/16 fused multiply–adds of `SIMD16<Float>`.
/// Two things size it. The accumulators must stay in registers, with room for the B vectors and a
/// broadcast; and there must be enough of them, independent, to keep every FMA unit busy through
/// the FMA's latency: at least latency × FMA units (4 cycles × 2 units on current x86-64 cores).
///
/// - `avx2`, 6×16: AVX2 has 16 registers of 256 bits, and a `SIMD16<Float>` takes two. Six
///   accumulators are 12 registers, B 2, a broadcast 1: 15 of 16, and 12 independent 256-bit
///   chains, more than the 8 needed.
/// - `avx512`, 12×32: AVX-512 has 32 registers of 512 bits, one `SIMD16` each. 6×16 would use 8
///   of them, and its 6 chains fall short of the 8 two 512-bit FMA units need (Intel's server
///   cores; AMD Zen 4 runs a 512-bit FMA on two 256-bit units and needs 4); 12 rows of two
///   `SIMD16`s are 24 accumulators, B 2, a broadcast 1: 27 of 32, and every broadcast of A feeds
///   two FMAs.
package enum RegisterTile: String, CaseIterable, Sendable {
    case avx2 = "6x16"
    case avx512 = "12x32"

    /// Rows of the tile: values of A broadcast per step.
    package var rows: Int {
        switch self {
        case .avx2: 6
        case .avx512: 12
        }
    }

    /// Columns of the tile: floats of B loaded per step, whole `SIMD16<Float>`s.
    package var columns: Int {
        switch self {
        case .avx2: 16
        case .avx512: 32
        }
    }

    /// `SIMD16<Float>` accumulators the tile holds.
    package var accumulators: Int { rows * columns / 16 }

    /// The instruction set the tile is sized for, and its vector registers.
    package var instructionSet: String {
        switch self {
        case .avx2: "AVX2: 16 registers of 256 bits"
        case .avx512: "AVX-512: 32 registers of 512 bits"
        }
    }

    /// The tile for a CPU with `features`: the AVX-512 tile where AVX-512 Foundation exists
    /// (`avx512f`: 32 registers of 512 bits), the AVX2 tile everywhere else — AVX2 machines, CPUs
    /// that report nothing, other architectures (whose 128-bit vector units see a `SIMD16` as
    /// four registers: the smaller tile is the one that fits).
    package static func select(for features: CPUFeatures) -> RegisterTile {
        features.has("avx512f") ? .avx512 : .avx2
    }

    /// The tile this machine uses: `select(for: CPUFeatures.current)` — but always AVX2's in a
    /// build for x86-64-v3 (`RETNET_AVX2=1`, Package.swift), whose code has no AVX-512 registers
    /// to hold the larger tile, whatever the CPU it runs on.
    package static let selected: RegisterTile = {
        #if AVX2_BUILD
        return .avx2
        #else
        return select(for: .current)
        #endif
    }()

    /// The micro-kernel of this shape.
    var kernel: any MicroKernel.Type {
        switch self {
        case .avx2: MicroKernel6x16.self
        case .avx512: MicroKernel12x32.self
        }
    }
}
