import ArgumentParser
import ChapterSupport
import Diagonalisation
import Foundation
import Layers
import Matrices
import MultiScaleRetention
import Notebook
import Retention
import RetNetModel
import SafeTensors
import TorchscaleCheckpoint

struct Chapter10: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "chapter10",
        abstract: "10 — Gradients: the backward pass of each retention form, of the layer, and of the whole RetNet.")

    @Option(help: "Sequence length n (1…64; --dim and --value-dim at most 16): every entry's finite difference reruns the form.")
    var length = 8

    @Option(help: "Chunk size B of the chunkwise backward pass (any B ≥ 1; it need not divide n).")
    var chunkSize = 3

    @Option(help: "Seed of the random inputs, weights and output gradients.")
    var seed: UInt64 = 10

    @OptionGroup var sizes: SingleHeadSizes

    @Option(help: "A torchscale checkpoint directory with torch's gradients (gradients.json, gradients.safetensors).")
    var checkpoint = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Tests/Fixtures/torchscale/two-heads-swish-wide-values").path

    @OptionGroup var page: PageOptions

    func validate() throws {
        guard (1...64).contains(length) else {
            throw ValidationError("--length must be in 1...64 (every entry's finite difference reruns the form), got \(length).")
        }
        guard sizes.dim <= 16, sizes.valueDim <= 16 else {
            throw ValidationError("--dim and --value-dim must be at most 16 (every entry's finite difference reruns the form), got \(sizes.dim) and \(sizes.valueDim).")
        }
        try FlagCheck.chunkSize(chunkSize)
    }

    func run() throws {
        let nb = Notebook(title: "10 — Gradients", command: "chapter10", options: page)
        try narrate(nb)
        try nb.finish()
    }

    /// (L(x + h) − L(x − h)) / ((x + h) − (x − h)) for every entry x of `m`, one entry moved at a time.
    func centralDifferences(of m: Matrix<Double>, step h: Double, _ loss: (Matrix<Double>) throws -> Double) rethrows
        -> Matrix<Double>
    {
        var moved = m
        return try Matrix(rows: m.rows, columns: m.columns) { i, j in
            let x = m[i, j]
            moved[i, j] = x + h
            let up = try loss(moved)
            moved[i, j] = x - h
            let down = try loss(moved)
            moved[i, j] = x
            return (up - down) / ((x + h) - (x - h))
        }
    }

    /// L = Σ_ij O_ij W_ij: a scalar whose gradient with respect to O is W.
    func weightedSum<E: RealScalar>(_ o: Matrix<E>, _ w: Matrix<E>) -> E {
        zip(o.storage, w.storage).reduce(0) { $0 + $1.0 * $1.1 }
    }

    func narrate(_ nb: Notebook) throws {
        nb.prose("""
            Chapters 03–05 computed retention three ways; training needs the other direction too: how a
            scalar loss L changes with every number that went in. This chapter derives the backward
            pass of each form from its forward pass, checks each against finite differences and
            against the others, then climbs to the norm and gate of chapter 06 and to the whole RetNet
            of chapter 07, whose gradients are compared with torch autograd's on a torchscale
            checkpoint. No autodiff: every backward pass is a handful of explicit matrix products.
            """)

        nb.section("The parallel form, differentiated")
        nb.prose("""
            Write the parallel form in two steps, A = Q Kᵀ ⊙ D (the scores) and O = A V. Let dO = ∂L/∂O,
            the gradient arriving from whatever uses O. A matrix product P = X Y sends its gradient back
            as dX = dP Yᵀ and dY = Xᵀ dP (each entry P_ij = Σ_k X_ik Y_kj is linear in X_ik with
            coefficient Y_kj); an entry-wise product with a constant sends dP ⊙ D. Applied twice:
            """)
        nb.equation("dV = Aᵀ dO,   dA = (dO Vᵀ) ⊙ D,   dQ = dA K,   dK = dAᵀ Q",
                    latex: #"dV = A^{\top} dO, \quad dA = \left(dO\, V^{\top}\right) \odot D, \quad dQ = dA\, K, \quad dK = dA^{\top} Q"#)
        nb.prose("""
            dA is masked by the same D as A: a score above the diagonal never reached an output, and a
            score's gradient decays exactly as the score did. Take L = Σ O ⊙ W with a random W, so that
            dO = W plays the gradient of later layers, and compare with central differences,
            (L(x + h) − L(x − h)) / 2h for every entry x of Q, K and V in turn, written out in
            `centralDifferences` above.

            Usually a central difference has a truncation error h²/6 · ∂³L/∂x³, and h must be small.
            Here there is none: O is linear in each single entry of Q, of K and of V (every term of
            o_n = Σ_m γ^{n−m} (Q_n·K_m) V_m holds that entry at most once), so L is a straight line in
            it and the difference quotient is the slope exactly, for any h. So take h = 1, a step as
            large as the entries: what remains is the rounding of L, a sum of n²·d·d_v rounded products
            (about u = 1.1e-16 times its size, over 2h = 2). 1e-11 relative per tensor leaves a factor
            of several hundred over what rounding gives at the largest sizes the flags allow (≈ 2e-14
            at n = 64, d = d_v = 16, γ = 1); a wrong transpose or a missing mask is off by O(1).
            """)
        var rng = SplitMix64(seed: seed)
        let x = Matrix<Double>.gaussian(rows: length, columns: sizes.dim, using: &rng)
        let (q, k, v) = try RotatedProjections.random(model: sizes.dim, key: sizes.dim, value: sizes.valueDim, using: &rng)(x)
        let w = Matrix<Double>.gaussian(rows: length, columns: sizes.valueDim, using: &rng)
        let decay = try Decay(sizes.gamma)
        let parallel = try ParallelRetention.backward(q: q, k: k, v: v, decay: decay, outputGradient: w)
        func loss(q: Matrix<Double>, k: Matrix<Double>, v: Matrix<Double>) throws -> Double {
            weightedSum(try ParallelRetention.outputs(q: q, k: k, v: v, decay: decay), w)
        }
        nb.say("n = \(length), d = \(sizes.dim), d_v = \(sizes.valueDim), γ = \(Format.fixed(sizes.gamma, 5)); L = \(Format.fixed(try loss(q: q, k: k, v: v), 6))")
        nb.show("dQ = dA K", parallel.dQ)
        nb.check("dQ = central differences of L (h = 1)", parallel.dQ,
                 try centralDifferences(of: q, step: 1) { try loss(q: $0, k: k, v: v) }, tolerance: .relative(1e-11))
        nb.check("dK = central differences of L (h = 1)", parallel.dK,
                 try centralDifferences(of: k, step: 1) { try loss(q: q, k: $0, v: v) }, tolerance: .relative(1e-11))
        nb.check("dV = central differences of L (h = 1)", parallel.dV,
                 try centralDifferences(of: v, step: 1) { try loss(q: q, k: k, v: $0) }, tolerance: .relative(1e-11))
        nb.prose("""
            The backward pass also returns the gradient for the state the sequence starts from. The
            parallel form starts from zero, but a state S₋₁ carried in would add γ^{n+1} Q_n S₋₁ to
            row n, so ∂L/∂S₋₁ = (Q ⊙ ξ)ᵀ dO with ξ_n = γ^{n+1} — chapter 05's ξ. Check it against
            central differences of the recurrent form started from S₋₁ = 0 (again linear in each
            entry):
            """)
        func loss(start: Matrix<Double>) throws -> Double {
            var state = RetentionState<Double>(keyDimension: sizes.dim, valueDimension: sizes.valueDim)
            state.s = start
            return weightedSum(try RecurrentRetention.outputs(q: q, k: k, v: v, decay: decay, from: state).outputs, w)
        }
        nb.check("dS₋₁ = (Q ⊙ ξ)ᵀ dO = central differences of the recurrent form's L", parallel.dState,
                 try centralDifferences(of: Matrix(rows: sizes.dim, columns: sizes.valueDim), step: 1) { try loss(start: $0) },
                 tolerance: .relative(1e-11))
        nb.figure("Figures/parallel-backward.png", caption: """
            The parallel form's backward pass for n = 6, d = 4, d_v = 3, traced from
            `ParallelRetention.backward`: the scores A are recomputed from Q, K and D, then four
            products give dV, dQ, dK and the starting state's gradient; the one mask D serves A and
            dA. Regenerated by `swift run figures`.
            """)

        nb.section("The recurrent form, backwards in time")
        nb.prose("""
            The recurrent form computed S_n = γ S_{n−1} + K_nᵀ V_n and o_n = Q_n S_n. Let G_n = ∂L/∂S_n.
            S_n reaches L through o_n and through S_{n+1}, so G runs backwards, the recurrence turned
            around, and each token reads its gradients off the state it wrote and the gradient that
            state received:
            """)
        nb.equation("G_n = γ G_{n+1} + Q_nᵀ dO_n,   dK_n = V_n G_nᵀ,   dV_n = K_n G_n,   dQ_n = dO_n S_nᵀ,   ∂L/∂S₋₁ = γ G_0",
                    latex: #"G_n = \gamma G_{n+1} + Q_n^{\top} dO_n, \quad dK_n = V_n G_n^{\top}, \quad dV_n = K_n G_n, \quad dQ_n = dO_n S_n^{\top}, \quad \frac{\partial L}{\partial S_{-1}} = \gamma G_0"#)
        nb.prose("""
            dQ needs S_n, which runs forwards; dK and dV need G_n, which runs backwards; so
            `RecurrentRetention.backward` makes two passes and holds two d×d_v matrices whatever n.
            Unrolled, G_n = Σ_{m≥n} γ^{m−n} Q_mᵀ dO_m, which is the parallel form's dAᵀ Q read
            column by column: the two must agree to rounding, 1e-12 relative (both Double, sums of
            the same products in a different order).
            """)
        let recurrent = try RecurrentRetention.backward(q: q, k: k, v: v, decay: decay, outputGradient: w)
        nb.check("recurrent dQ = parallel dQ", recurrent.dQ, parallel.dQ, tolerance: .relative(1e-12))
        nb.check("recurrent dK = parallel dK", recurrent.dK, parallel.dK, tolerance: .relative(1e-12))
        nb.check("recurrent dV = parallel dV", recurrent.dV, parallel.dV, tolerance: .relative(1e-12))
        nb.check("recurrent ∂L/∂S₋₁ = γ G₀ = parallel (Q ⊙ ξ)ᵀ dO", recurrent.dState, parallel.dState,
                 tolerance: .relative(1e-12))
        nb.prose("""
            The state is also where a sequence can be cut (chapter 05's hand-off: a prompt read
            chunkwise, then continued token by token). The chain rule runs through the cut as the
            state did: run the continuation's backward pass first, from the state the prefill left;
            its ∂L/∂S₋₁ is the gradient of the prefill's final state, handed to the prefill's
            backward pass. Together they must give one backward pass over the whole sequence:
            """)
        let split = max(1, length * 2 / 3)
        let head = 0..<split, tail = split..<length
        let prefill = try ChunkwiseRetention.outputs(q: q.rowRange(head), k: k.rowRange(head), v: v.rowRange(head),
                                                     decay: decay, chunkSize: chunkSize)
        let continuation = try RecurrentRetention.backward(
            q: q.rowRange(tail), k: k.rowRange(tail), v: v.rowRange(tail), decay: decay, from: prefill.state,
            outputGradient: w.rowRange(tail))
        let prefillBackward = try ChunkwiseRetention.backward(
            q: q.rowRange(head), k: k.rowRange(head), v: v.rowRange(head), decay: decay, chunkSize: chunkSize,
            outputGradient: w.rowRange(head), finalStateGradient: continuation.dState)
        nb.say("prefill: \(split) tokens chunkwise (B = \(chunkSize)); continuation: \(length - split) tokens recurrent")
        nb.check("prefill dQ above continuation dQ = whole-sequence dQ",
                 prefillBackward.dQ.stacked(above: continuation.dQ), parallel.dQ, tolerance: .relative(1e-12))
        nb.check("prefill dK above continuation dK = whole-sequence dK",
                 prefillBackward.dK.stacked(above: continuation.dK), parallel.dK, tolerance: .relative(1e-12))
        nb.check("prefill dV above continuation dV = whole-sequence dV",
                 prefillBackward.dV.stacked(above: continuation.dV), parallel.dV, tolerance: .relative(1e-12))
        nb.check("prefill ∂L/∂S₋₁ = whole-sequence ∂L/∂S₋₁", prefillBackward.dState, parallel.dState,
                 tolerance: .relative(1e-12))

        nb.section("The chunkwise form, backwards over chunks")
        nb.prose("""
            Chunk i computed (Q_[i] K_[i]ᵀ ⊙ D) V_[i] + (Q_[i] R_{i−1}) ⊙ ξ and passed on
            R_i = K_[i]ᵀ (V_[i] ⊙ ζ) + γ^b R_{i−1}. Each term comes apart by the two rules above, and
            dR_i = ∂L/∂R_i runs backwards over the chunks as R ran forwards:
            """)
        nb.equation("""
            inner:  the parallel backward on the chunk (dV_[i], dQ_[i], dK_[i] from A and dA of size b×b)
            cross:  dQ_[i] += (dO_[i] ⊙ ξ) R_{i−1}ᵀ
            state:  dK_[i] += (V_[i] ⊙ ζ) dR_iᵀ,   dV_[i] += (K_[i] dR_i) ⊙ ζ
            dR_{i−1} = (Q_[i] ⊙ ξ)ᵀ dO_[i] + γ^b dR_i
            """,
                    latex: #"\begin{aligned} &\text{inner: the parallel backward on the chunk} \\ &dQ_{[i]} \mathrel{+}= (dO_{[i]} \odot \xi)\, R_{i-1}^{\top} \\ &dK_{[i]} \mathrel{+}= (V_{[i]} \odot \zeta)\, dR_i^{\top}, \quad dV_{[i]} \mathrel{+}= (K_{[i]}\, dR_i) \odot \zeta \\ &dR_{i-1} = (Q_{[i]} \odot \xi)^{\top} dO_{[i]} + \gamma^{b}\, dR_i \end{aligned}"#)
        nb.prose("""
            Every decay here is relative to a chunk boundary — ξ, ζ, γ^b and the b×b D, all ≤ 1 — as in
            the forward pass. The inner parts are products of size B, the chain of dependent steps is
            ⌈n/B⌉ long. For the flag's B, a divisor of n and a non-divisor (when n has them), B = 1
            and B > n, the gradients must equal the parallel ones to 1e-12 relative:
            """)
        let divisor = (2..<max(2, length)).last { length % $0 == 0 }
        let nonDivisor = (2..<max(2, length)).first { length % $0 != 0 }
        let chunkSizes = Array(Set([1, chunkSize, length + 2] + [divisor, nonDivisor].compactMap { $0 })).sorted()
        var rows: [[String]] = []
        for b in chunkSizes {
            let chunkwise = try ChunkwiseRetention.backward(q: q, k: k, v: v, decay: decay, chunkSize: b, outputGradient: w)
            let kind = b == 1 ? "one token per chunk" : b >= length ? "one chunk (B ≥ n)"
                : length % b == 0 ? "divides n" : "last chunk of \(length % b)"
            let errors = [(chunkwise.dQ, parallel.dQ), (chunkwise.dK, parallel.dK), (chunkwise.dV, parallel.dV),
                          (chunkwise.dState, parallel.dState)].map { $0.0.deviation(from: $0.1).maxRelative }
            rows.append([String(b), kind] + errors.map { Format.scientific($0) })
            nb.check("chunkwise (B = \(b)) dQ, dK, dV, dS₋₁ = parallel, each ≤ 1e-12 relative",
                     errors.allSatisfy { $0 <= 1e-12 }, "largest \(Format.scientific(errors.max()!))")
        }
        nb.table(["B", "chunks", "dQ", "dK", "dV", "dS₋₁ (max relative error vs parallel)"], rows)

        nb.prose("""
            Chapter 02 showed why the split form Q_n γ^n · (K_m γ^{−m})ᵀ is dangerous: γ^{−m} overflows.
            A backward pass written that way would overflow in the same place. Take n = 4,096 tokens in
            Float with γ = 1 − 2⁻⁵ and B = 64:
            """)
        let longLength = 4_096, longGamma = 1 - 1.0 / 32
        let inverse = Float.pow(Float(longGamma), -Float(longLength - 1))
        nb.check("γ^{−(n−1)} = γ^{−4095} overflows Float", inverse.isInfinite, "Float γ^{−4095} = \(inverse)")
        var longRng = SplitMix64(seed: seed &+ 1)
        let longQ = Matrix<Double>.gaussian(rows: longLength, columns: 4, scale: 0.5, using: &longRng)
        let longK = Matrix<Double>.gaussian(rows: longLength, columns: 4, scale: 0.5, using: &longRng)
        let longV = Matrix<Double>.gaussian(rows: longLength, columns: 3, using: &longRng)
        let longW = Matrix<Double>.gaussian(rows: longLength, columns: 3, using: &longRng)
        let floatGradients = try ChunkwiseRetention.backward(
            q: longQ.converted(to: Float.self), k: longK.converted(to: Float.self), v: longV.converted(to: Float.self),
            decay: Decay(Float(longGamma)), chunkSize: 64, outputGradient: longW.converted(to: Float.self))
        let reference = try RecurrentRetention.backward(q: longQ, k: longK, v: longV, decay: Decay(longGamma),
                                                        outputGradient: longW)
        let floatAll = [floatGradients.dQ, floatGradients.dK, floatGradients.dV, floatGradients.dState]
        nb.check("Float chunkwise gradients at n = 4,096: every entry finite",
                 floatAll.allSatisfy { $0.storage.allSatisfy(\.isFinite) },
                 "\(floatAll.map { $0.storage.count }.reduce(0, +)) entries")
        nb.prose("""
            Finite is not enough: they must be right. Compare with the Double recurrent backward pass
            (two passes of O(n d d_v), cheap at this length). Each Float entry sums products over the
            b ≤ 64 rows of a chunk and a state whose decayed sum reaches back ~1/(1 − γ) = 32 tokens,
            each rounding costing u = 6e-8 relative, so ~10⁻⁷ to 10⁻⁶ is expected; 1e-4 relative per
            tensor leaves a factor ≥ 100, while a wrong decay anywhere in 4,096 tokens is off by O(1):
            """)
        for (name, got, expected) in [("dQ", floatGradients.dQ, reference.dQ), ("dK", floatGradients.dK, reference.dK),
                                      ("dV", floatGradients.dV, reference.dV)] {
            nb.check("Float chunkwise \(name) (n = 4,096, B = 64) = Double recurrent \(name)",
                     got.converted(to: Double.self), expected, tolerance: .relative(1e-4))
        }

        nb.section("The norm, the gate, and the detached row factors")
        nb.prose("""
            Chapter 06 wrapped the heads in a per-head norm and a swish gate: MSR(X) = (swish(X W_G) ⊙ Y) W_O
            with Y = Norm_h(heads). Their backward passes are the chain rule again, now through
            non-linear functions: swish′(g) = σ(g)(1 + g(1 − σ(g))), and for a row's RMS norm
            y = x/√(m + ε), m = mean(x²),
            """)
        nb.equation("dx = (dy − y · mean(dy ⊙ y)) / √(m + ε)",
                    latex: #"dx = \frac{dy - y \cdot \operatorname{mean}(dy \odot y)}{\sqrt{m + \varepsilon}}"#)
        nb.prose("""
            These are not linear, so central differences now have a truncation error, and h must be
            small: h = 1e-5 makes the truncation h²/6 · |f‴| and the rounding δL/h each about 1e-10 for
            inputs of order 1, so a correct gradient agrees to ~1e-9; 1e-6 relative per tensor leaves
            a factor ~10³ for larger third derivatives and catches a dropped term of the norm's
            backward (off by 1e-2 to 1). A layer of torchscale's variant (weightless RMSNorm per head,
            h = 2 heads, E = 8, V = 12, 8 tokens), at ε = 0 and ε = 0.5 (large, so that its effect is
            visible):
            """)
        var layerRng = SplitMix64(seed: seed &+ 2)
        let layerX = Matrix<Double>.gaussian(rows: 8, columns: 8, using: &layerRng)
        let layerW = Matrix<Double>.gaussian(rows: 8, columns: 8, using: &layerRng)
        let rotation = try Rotation(keyDimension: 4)
        let initial = try MultiScaleRetentionLayer<Double>.random(
            embedDimension: 8, valueDimension: 12, heads: 2, headNorm: .rms(eps: 0), gammas: [1 - 1.0 / 32, 1 - 1.0 / 64],
            rotation: rotation, using: &layerRng)
        // W_Q and W_K 8× their initial scale, so that rows' score sums exceed 1 and R̃ depends on Q and K.
        let layerAtZero = try MultiScaleRetentionLayer<Double>(
            heads: 2, qProj: 8 * initial.qProj, kProj: 8 * initial.kProj, vProj: initial.vProj, gProj: initial.gProj,
            outProj: initial.outProj, headNorm: .rms(eps: 0), gammas: initial.gammas, rotation: rotation,
            keyScale: initial.keyScale)
        let layerAtHalf = try layerAtZero.with(headNorm: .rms(eps: 0.5))
        let gate = layerX * layerAtZero.gProj.transposed
        let dGate = try Activation.swish.backward(gate, outputGradient: Matrix(rows: gate.rows, columns: gate.columns, repeating: 1))
        nb.check("swish′ = central differences (h = 1e-5), on X W_G", dGate,
                 centralDifferences(of: gate, step: 1e-5) { weightedSum(Activation.swish($0), Matrix(rows: $0.rows, columns: $0.columns, repeating: 1)) },
                 tolerance: .relative(1e-6))
        let heads = try layerAtHalf.pass(layerX).retention
        let normW = Matrix<Double>.gaussian(rows: heads.rows, columns: heads.columns, using: &layerRng)
        var normGradients = NormGradients(zeroFor: layerAtHalf.headNorm)
        let dHeads = try layerAtHalf.headNorm.backward(heads, heads: 2, outputGradient: normW, gradients: &normGradients)
        nb.check("per-head RMSNorm (ε = 0.5) backward = central differences (h = 1e-5)", dHeads,
                 centralDifferences(of: heads, step: 1e-5) { weightedSum(layerAtHalf.headNorm.apply($0, heads: 2), normW) },
                 tolerance: .relative(1e-6))
        nb.prose("""
            Then the score normalisations of chapter 06. torchscale multiplies each head's rows by
            factors computed from Q, K and V (the paper's D̃ and R̃) and detaches them: autograd treats
            them as constants. `MultiScaleRetentionLayer.backward` does the same. At ε = 0 that changes
            nothing — the per-head norm removes any positive factor on a row, so L does not depend on
            the factors at all and the gradient with them held constant is the true gradient of the
            scaled layer. At ε > 0 the norm no longer removes them, and the gradient with detached
            factors is not the derivative of the function computed. The true derivative here is the
            central difference of the layer with the factors recomputed at every step. (D̃ depends on
            γ alone, and R̃ = 1/max(|Σ_m R_nm|, 1) depends on Q and K only where a row's score sum
            exceeds 1; this layer's W_Q and W_K are 8× their initial scale so that it does — at the
            initial scale every factor is a constant and there is nothing to detach.)
            """)
        func layerLoss(_ layer: MultiScaleRetentionLayer<Double>, _ input: Matrix<Double>) throws -> Double {
            weightedSum(try layer.pass(input, scaling: .paper).output, layerW)
        }
        var zeroGradients = MultiScaleRetentionGradients(zeroFor: layerAtZero)
        let detachedAtZero = try layerAtZero.backward(layerX, outputGradient: layerW, scaling: .paper, gradients: &zeroGradients)
        let trueAtZero = try centralDifferences(of: layerX, step: 1e-5) { try layerLoss(layerAtZero, $0) }
        nb.check("ε = 0: dX with the factors detached = central differences of the scaled layer", detachedAtZero,
                 trueAtZero, tolerance: .relative(1e-6))
        var halfGradients = MultiScaleRetentionGradients(zeroFor: layerAtHalf)
        let detachedAtHalf = try layerAtHalf.backward(layerX, outputGradient: layerW, scaling: .paper, gradients: &halfGradients)
        let trueAtHalf = try centralDifferences(of: layerX, step: 1e-5) { try layerLoss(layerAtHalf, $0) }
        let gap = detachedAtHalf.deviation(from: trueAtHalf).maxRelative
        nb.check("ε = 0.5: dX with the factors detached ≠ the true derivative (gap > 1e-4, ≫ the 1e-6 of a difference quotient)",
                 gap > 1e-4, "max relative gap \(Format.scientific(gap))")
        var exactGradients = MultiScaleRetentionGradients(zeroFor: layerAtHalf)
        let exactAtHalf = try layerAtHalf.backward(layerX, outputGradient: layerW, scaling: .exact, gradients: &exactGradients)
        nb.check("ε = 0.5 without factors (exact retention): dX = central differences", exactAtHalf,
                 try centralDifferences(of: layerX, step: 1e-5) { weightedSum(try layerAtHalf.pass($0).output, layerW) },
                 tolerance: .relative(1e-6))
        nb.prose("""
            So the gap at ε = 0.5 is the detachment, not a mistake in the norm's backward pass: without
            factors the same layer at the same ε matches its differences. Which gradient is "right" is
            a choice; matching torchscale means making its choice, as the next section does.
            """)

        nb.section("The whole RetNet against torch autograd")
        nb.prose("""
            `RetNet.gradients` runs the whole model backwards for the next-token loss,
            mean_n −log softmax(logits_n)[token_{n+1}]: the loss, the LM head, the final norm, each
            block's FFN and multi-scale retention with their norms and residuals, and the embedding,
            every gradient under the checkpoint's own tensor names. Load the torchscale checkpoint of
            chapter 07 and the gradients torch autograd computed for it in float64 (recorded by
            `Tests/Fixtures/torchscale/make_fixtures.py` in torchscale's parallel mode, so ours use its
            row factors, detached as torchscale detaches them):
            """)
        let directory = URL(fileURLWithPath: checkpoint)
        let official = try TorchscaleCheckpoint(directory: directory)
        let record = try JSONSerialization.jsonObject(with: Data(contentsOf: directory.appendingPathComponent("gradients.json")))
            as? [String: Any]
        guard let tokens = record?["tokens"] as? [Int], let torchLoss = record?["loss_float64"] as? Double else {
            throw ValidationError("\(checkpoint)/gradients.json has no tokens or loss_float64.")
        }
        let torch = try SafeTensors(contentsOf: directory.appendingPathComponent("gradients.safetensors"))
        nb.say("checkpoint: E = \(official.config.embedDim), V = \(official.config.valueEmbedDim), " +
               "h = \(official.config.retentionHeads), L = \(official.config.layers), " +
               "vocab = \(official.config.vocabSize), ε = \(Format.scientific(official.config.layernormEps, 0)), " +
               "\(Format.grouped(official.parameterCount)) parameters; \(tokens.count) tokens")
        nb.prose("""
            The bound is 1e-6 relative per tensor (max |Δ| over max |torch's|), and not 1e-12, because
            torch's "float64" run is not float64 throughout: torchscale's RMSNorm computes
            `self._norm(x.float())`, so every norm, forwards and through autograd backwards, rounds to
            float32 (2⁻²⁴ ≈ 6e-8 relative), and the rotation takes sin and cos of float32 angles.
            Carried through two layers of norms and the softmax that is a few 1e-7; a real mismatch —
            a norm's term dropped, the row factors left out — is 1e-2 or more.
            """)
        let model = try official.model(Double.self)
        let (loss, gradients) = try model.gradients(tokens, form: .parallel, scaling: .paper)
        nb.check("loss = torch's float64 loss (\(Format.fixed(torchLoss, 9)))", loss, torchLoss, tolerance: .relative(1e-6))
        var table: [[String]] = []
        var worst = (0.0, "none")
        for entry in gradients.named {
            let theirs = try torch.doubles("float64/\(entry.name)")
            let ours = Matrix(rows: 1, columns: entry.values.count, entries: entry.values)
            let error = ours.deviation(from: Matrix(rows: 1, columns: theirs.count, entries: theirs)).maxRelative
            if error > worst.0 || worst.1 == "none" { worst = (error, entry.name) }
            table.append([entry.name, entry.shape.map(String.init).joined(separator: "×"),
                          Format.scientific(theirs.map(Swift.abs).max() ?? 0, 2), Format.scientific(error, 2)])
        }
        nb.table(["tensor", "shape", "max |torch's gradient|", "relative error"], table)
        let names = Set(gradients.named.map { "float64/" + $0.name })
        nb.check("one gradient per torch parameter, under the same names",
                 names == Set(torch.names.filter { $0.hasPrefix("float64/") }), "\(names.count) tensors")
        nb.check("every tensor's gradient = torch autograd's float64 gradient, ≤ 1e-6 relative", worst.0 <= 1e-6,
                 "worst \(Format.scientific(worst.0, 2)) (\(worst.1))")
        nb.prose("""
            And the comparison can tell the row factors apart: exact retention, without torchscale's
            factors, is far from torch's gradients at this ε = 1e-6 (chapter 06: the factors vanish only
            at ε = 0). Our three forms, finally, give one gradient for exact retention, to rounding
            (1e-10 relative: Double, the same products in different orders through two layers):
            """)
        let (_, exact) = try model.gradients(tokens, form: .parallel, scaling: .exact)
        var exactGap = 0.0
        for entry in exact.named {
            let theirs = try torch.doubles("float64/\(entry.name)")
            exactGap = max(exactGap, Matrix(rows: 1, columns: entry.values.count, entries: entry.values)
                .deviation(from: Matrix(rows: 1, columns: theirs.count, entries: theirs)).maxRelative)
        }
        nb.check("without the row factors, some tensor is > 1e-3 from torch's", exactGap > 1e-3,
                 "largest relative gap \(Format.scientific(exactGap, 2))")
        for (name, form) in [("recurrent", RetentionForm.recurrent), ("chunkwise (B = \(chunkSize))", .chunkwise(chunkSize: chunkSize))] {
            let (_, other) = try model.gradients(tokens, form: form, scaling: .exact)
            let errors = zip(other.named, exact.named).map { ours, parallel in
                Matrix(rows: 1, columns: ours.values.count, entries: ours.values)
                    .deviation(from: Matrix(rows: 1, columns: parallel.values.count, entries: parallel.values)).maxRelative
            }
            nb.check("\(name) gradients = parallel gradients, every tensor ≤ 1e-10 relative (exact retention)",
                     errors.allSatisfy { $0 <= 1e-10 }, "worst \(Format.scientific(errors.max() ?? 0, 2))")
        }
        nb.prose("""
            Every backward pass above is explicit and checked: each form by central differences and
            by the others, the layer's non-linear pieces by differences with a stated step, and the
            whole model by torch autograd. Training needs nothing more than these.
            """)
    }
}

Chapter10.main()
