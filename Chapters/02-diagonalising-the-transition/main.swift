import ArgumentParser
import ChapterSupport
import Diagonalisation
import Matrices
import Notebook
import Recurrence

struct Chapter02: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "chapter02",
        abstract: "02 — Diagonalising the transition: from A to γ e^{iθ}, xPos, and rotations of real pairs.")

    @Option(help: "Sequence length n.")
    var length = 6

    @Option(help: "Seed of the random inputs, eigenvectors and angles.")
    var seed: UInt64 = 2

    @OptionGroup var sizes: SingleHeadSizes

    @OptionGroup var page: PageOptions

    func validate() throws {
        try FlagCheck.length(length)
    }

    func run() throws {
        let nb = Notebook(title: "02 — Diagonalising the transition", command: "chapter02", options: page)
        try narrate(nb)
        try nb.finish()
    }

    func narrate(_ nb: Notebook) throws {
        nb.prose("""
            Chapter 01's recurrence multiplies the state by a d×d matrix A at every step. This chapter
            follows the paper (Sec. 2.1, Eqs. 3–4) in taking A apart: diagonalise it, absorb the change
            of basis into the learned projections, and what remains is a scaling by γ and a rotation
            by θ — which real code computes on pairs of numbers, without complex types.
            """)

        nb.section("A = Λ diag(γ e^{iθ}) Λ⁻¹ (Eq. 3)")
        nb.prose("""
            A diagonalisable A has eigenvectors Λ and eigenvalues λ_j, which in polar form are
            γ_j e^{iθ_j}: γ_j says how fast direction j forgets, θ_j how fast it turns. Powers of A
            only power the eigenvalues, so the unrolled sum becomes
            """)
        nb.equation("Q_n A^{n−m} K_mᵀ = (Q_n Λ) (γ e^{iθ})^{n−m} (K_m Λ^{−ᵀ})ᵀ",
                    latex: #"Q_n A^{n-m} K_m^{\top} = (Q_n \Lambda)\,(\gamma e^{i\theta})^{n-m}\,(K_m \Lambda^{-\top})^{\top}"#)
        nb.prose("""
            Λ can be folded into the learned weights — W_Q Λ and W_K Λ^{−ᵀ} are just other (complex) weights —
            so a model can learn the diagonal form directly. Check it: build a complex A from a random
            (well-conditioned) Λ and random γ_j ∈ (0.5, 1), θ_j ∈ [0, π), run chapter 01's recurrence
            with that A, and compare with the diagonal sum on absorbed projections. Λ has condition
            number ~2 here, so inverting it costs a few ulps; 1e-12 relative is generous yet tight.
            """)
        var rng = SplitMix64(seed: seed)
        let transition = try DiagonalTransition(
            gamma: (0..<sizes.dim).map { _ in 0.5 + 0.5 * rng.nextUnit() },
            theta: (0..<sizes.dim).map { _ in Double.pi * rng.nextUnit() })
        let lambda = Matrix<Complex<Double>>.identity(sizes.dim)
            + Matrix<Complex<Double>>.gaussian(rows: sizes.dim, columns: sizes.dim, scale: 0.3 / Double(sizes.dim).squareRoot(), using: &rng)
        let a = try transition.transition(eigenvectors: lambda)
        nb.show("eigenvalues λ_j = γ_j e^{iθ_j}", Matrix(rows: 1, columns: sizes.dim) { _, j in transition.eigenvalue(j) })
        let q = Matrix<Double>.gaussian(rows: length, columns: sizes.dim, scale: 1 / Double(sizes.dim).squareRoot(), using: &rng)
        let k = Matrix<Double>.gaussian(rows: length, columns: sizes.dim, scale: 1 / Double(sizes.dim).squareRoot(), using: &rng)
        let v = Matrix<Double>.gaussian(rows: length, columns: sizes.valueDim, using: &rng)
        let withA = try LinearRecurrence.outputs(q: q.complex, k: k.complex, v: v.complex, transition: a)
        let absorbed = try DiagonalTransition.absorb(lambda, q: q.complex, k: k.complex)
        let diagonal = try transition.outputs(q: absorbed.q, k: absorbed.k, v: v.complex)
        nb.check("recurrence with A = diagonal sum with Λ absorbed", diagonal, withA, tolerance: .relative(1e-12))
        nb.prose("""
            Those absorbed weights are complex, though, and a model's weights are real. The bridge: a
            real A's complex eigenvalues come in conjugate pairs γ e^{±iθ} with conjugate eigenvectors,
            and each pair spans a real plane on which A turns by θ and shrinks by γ. So a real A that is
            diagonalisable over ℂ is A = P B P⁻¹ with P real and B block-diagonal, each 2×2 block
            γ·[cos θ, −sin θ; sin θ, cos θ] — a rotation of a pair, scaled — and a 1×1 block for each
            real eigenvalue. (An A that is not diagonalisable, such as a Jordan block, is not of this
            form; the paper assumes the diagonal form, Eq. 3.) Fold the real P into the weights (Q P and K P^{−ᵀ}) and the
            real recurrence is a pair rotation with decay, all in real numbers: the real pairs below are
            where the algebra leads, not a storage trick. Check it with a real random P (condition
            number ~2) and one block per pair of the d = \(sizes.dim) dimensions (1e-12 relative):
            """)
        let realP = Matrix<Double>.identity(sizes.dim)
            + Matrix<Double>.gaussian(rows: sizes.dim, columns: sizes.dim, scale: 0.3 / Double(sizes.dim).squareRoot(), using: &rng)
        let blocks = Matrix<Double>(rows: sizes.dim, columns: sizes.dim) { r, c in
            guard r / 2 == c / 2 else { return 0 }
            let (g, t) = (transition.gamma[r / 2], transition.theta[r / 2])
            switch (r % 2, c % 2) {
            case (0, 0), (1, 1): return g * Double.cos(t)
            case (0, 1): return -g * Double.sin(t)
            default: return g * Double.sin(t)
            }
        }
        if let inverseP = realP.complex.inverse?.real {
            let realA = realP * blocks * inverseP
            let throughA = try LinearRecurrence.outputs(q: q, k: k, v: v, transition: realA)
            let throughBlocks = try LinearRecurrence.outputs(q: q * realP, k: k * inverseP.transposed, v: v, transition: blocks)
            nb.check("real A = P B P⁻¹: recurrence with A = recurrence with the rotation blocks B on Q P, K P^{−ᵀ}",
                     throughBlocks, throughA, tolerance: .relative(1e-12))
        } else {
            nb.check("the random real P is invertible", false, "P is singular to working precision")
        }

        nb.section("The xPos split, and where it overflows")
        nb.prose("""
            The power (γ e^{iθ})^{n−m} can be split between the two sides, γ^n e^{inθ} with the query
            and γ^{−m} e^{−imθ} with the key, so that the sum looks like attention on transformed
            queries and keys. That is the xPos form:
            """)
        nb.equation("Q_n (γe^{iθ})^{n−m} K_mᵀ = (Q_n γ^n e^{inθ}) (K_m γ^{−m} e^{−imθ})ᵀ",
                    latex: #"Q_n (\gamma e^{i\theta})^{n-m} K_m^{\top} = \left(Q_n \gamma^{n} e^{in\theta}\right)\left(K_m \gamma^{-m} e^{-im\theta}\right)^{\top}"#)
        nb.prose("""
            Exact in real numbers, and a trap in floating point: γ^{−m} grows without bound. It passes
            the largest finite number once m·ln(1/γ) > ln(max), and from there the key is ∞ and the
            score ∞·0 = NaN or ∞. The prediction ⌊ln(max)/ln(1/γ)⌋ + 1 against what `pow` really does:
            """)
        let gammas = [1 - 1.0 / 32, 1 - 1.0 / 512] + ([1 - 1.0 / 32, 1 - 1.0 / 512, 1].contains(sizes.gamma) ? [] : [sizes.gamma])
        var rows: [[String]] = []
        for g in gammas {
            let float = XPos.firstOverflow(Float(g)), double = XPos.firstOverflow(g)
            let predictedFloat = XPos.predictedOverflow(Float(g)), predictedDouble = XPos.predictedOverflow(g)
            let text = { (m: Int?) in m.map(String.init) ?? "never" }
            rows.append([Format.fixed(g, 8), text(float), text(predictedFloat), text(double), text(predictedDouble)])
            if let float, let double, let predictedFloat, let predictedDouble {
                nb.check("γ = \(Format.fixed(g, 8)): overflow where predicted (±1), Float and Double",
                         abs(float - predictedFloat) <= 1 && abs(double - predictedDouble) <= 1,
                         "Float at m = \(float), Double at m = \(double)")
            }
        }
        nb.table(["γ", "Float: γ^{−m} = ∞ at m", "predicted", "Double: at m", "predicted"], rows)
        nb.prose("""
            With the paper's fastest-decaying head (γ = 1 − 2⁻⁵, a memory of 32 tokens), where γ^{−m}
            grows fastest, a Float model breaks past ~2,800 tokens — a context length models routinely
            exceed. (xPos itself divides the exponent by a scale base of 512, which postpones the
            overflow by that factor rather than removing it.) The direct power γ^{n−m} never overflows: its
            exponent is ≥ 0, so it only ever shrinks toward 0, which is harmless. At n = m just past the
            Float limit, the split form gives a non-finite number where the true value is exactly 1:
            """)
        let slow = Float(1 - 1.0 / 32)
        let m = XPos.firstOverflow(slow)!
        let split = XPos.splitDecay(slow, n: m, m: m), direct = XPos.directDecay(slow, n: m, m: m)
        nb.say("Float, γ = 1 − 2⁻⁵, n = m = \(m):  γ^n·γ^{−m} = \(Format.fixed(Double(split)))   γ^{n−m} = \(Format.fixed(Double(direct)))")
        nb.check("split decay at n = m = \(m) is not finite in Float; direct decay is exactly 1",
                 !split.isFinite && direct == 1, "split = \(split), direct = \(direct)")

        nb.section("One scalar γ (Eq. 4)")
        nb.prose("""
            Retention makes one more simplification: a single γ for all dimensions. The decay then
            leaves the inner product as a plain number γ^{n−m}, and only the rotation stays with the
            queries and keys. For real Q and K, the conjugate transpose † undoes the key's phase:
            """)
        nb.equation("o_n = Σ_{m≤n} γ^{n−m} (Q_n e^{inθ}) (K_m e^{imθ})† v_m",
                    latex: #"o_n = \sum_{m \le n} \gamma^{\,n-m} \left(Q_n e^{in\theta}\right)\left(K_m e^{im\theta}\right)^{\dagger} v_m"#)
        nb.prose("""
            Check: the recurrence with A = diag(γ e^{iθ}) (a diagonal A needs no Λ) against Eq. 4
            evaluated literally, with γ = \(Format.fixed(sizes.gamma, 5)) and the θ above.
            """)
        let scalar = try DiagonalTransition(gamma: Array(repeating: sizes.gamma, count: sizes.dim), theta: transition.theta)
        let recurrence = try LinearRecurrence.outputs(q: q.complex, k: k.complex, v: v.complex, transition: scalar.diagonal())
        let eq4 = try ScalarDecay.outputs(q: q, k: k, v: v, gamma: sizes.gamma, theta: transition.theta)
        nb.check("recurrence with diag(γ e^{iθ}) = Eq. 4", eq4, recurrence, tolerance: .relative(1e-12))

        nb.section("Complex numbers as real pairs")
        nb.prose("""
            Real code stores d/2 complex numbers in d real slots, z_j = x_{2j} + i x_{2j+1}. Multiplying
            z_j by e^{iφ} rotates the pair (x_{2j}, x_{2j+1}) by the angle φ:
            """)
        nb.equation("(x_{2j}, x_{2j+1}) ↦ (x_{2j} cos φ − x_{2j+1} sin φ,  x_{2j} sin φ + x_{2j+1} cos φ)",
                    latex: #"\begin{pmatrix} x_{2j} \\ x_{2j+1} \end{pmatrix} \mapsto \begin{pmatrix} \cos\varphi & -\sin\varphi \\ \sin\varphi & \cos\varphi \end{pmatrix} \begin{pmatrix} x_{2j} \\ x_{2j+1} \end{pmatrix}"#)
        nb.prose("""
            torchscale writes the same rotation as `theta_shift(x) = x·cos + rotate_every_two(x)·sin`,
            where `rotate_every_two` maps (x₀, x₁) to (−x₁, x₀) and each angle is repeated for both
            members of its pair. Here the d/2 angles are torchscale's schedule θ_j = 10000^{−j/(d/2−1)},
            and row n is rotated by nθ_j.
            """)
        let angles = PairRotation.torchscaleAngles(pairs: sizes.dim / 2)
        let rotatedQ = try PairRotation.rotate(q, theta: angles)
        let rotatedK = try PairRotation.rotate(k, theta: angles)
        let phases = Matrix<Complex<Double>>(rows: length, columns: sizes.dim / 2) { n, j in
            Complex(length: 1, phase: Double(n) * angles[j])
        }
        let viaComplex = PairRotation.realPairs(try PairRotation.complexPairs(q).hadamard(phases))
        nb.check("pair rotation = multiplying the complex pairs by e^{inθ}", rotatedQ, viaComplex, tolerance: .relative(1e-15))
        nb.check("pair rotation = torchscale's theta_shift", rotatedQ, try PairRotation.thetaShift(q, theta: angles),
                 tolerance: .relative(1e-15))
        nb.prose("""
            And the score: the real part of (Q_n e^{inθ})(K_m e^{imθ})† over the complex pairs is the
            ordinary dot product of the rotated real rows. So retention's scores are real matrix products
            of rotated queries and keys — the form chapter 03 builds on.
            """)
        let complexScores = try PairRotation.complexPairs(rotatedQ) * (try PairRotation.complexPairs(rotatedK)).adjoint
        nb.check("Re[(Q e^{inθ})(K e^{imθ})†] = rot(Q) rot(K)ᵀ", rotatedQ * rotatedK.transposed, complexScores.real,
                 tolerance: .relative(1e-14))
        nb.show("rot(Q) rot(K)ᵀ, the rotated scores", rotatedQ * rotatedK.transposed)
        nb.prose("""
            Each rounding in the rotation is one ulp of cos or sin times an entry, so the pair checks
            hold to ~1e-16; the score check adds the d-term dot product, hence its 1e-14 bound. With one
            γ, rotated queries and keys, and real arithmetic, the unrolled sum is now
            o_n = Σ_{m≤n} γ^{n−m} (rot Q_n)·(rot K_m) v_m. Chapter 03 writes it as a matrix product.
            """)
    }
}

Chapter02.main()
