import ChapterSupport
import Layers
import Matrices
import Notebook

extension Chapter10 {
    /// The backward passes around retention that training needs: the next-token loss, the GLU
    /// FFN with swish, the weighted RMSNorm, the embedding's scatter-add and the rotation, each
    /// against central differences.
    func lossAndBlock(_ nb: Notebook) throws {
        nb.section("The loss and the rest of the block")
        nb.prose("""
            Retention is one part of a block; chapter 11 trains the whole model, so every other
            backward pass it takes is derived and checked here, each beside its forward pass (as
            llm.c writes them). These functions are not linear in each entry, so the central
            difference now has a truncation error h²/6 · ∂³L/∂x³ besides the rounding u·|L|/h. With
            h = 10⁻⁴ and entries, weights and third derivatives of order 1, the first is about 2e-9
            and the second 1e-12·|L|: 1e-6 relative to the largest gradient leaves a factor of a
            hundred or more, and a wrong sign, transpose or missing term is off by O(1).
            """)
        var rng = SplitMix64(seed: seed &+ 20)
        let (n, e, f, vocabulary) = (length, 6, 5, 11)
        let tolerance = Tolerance.relative(1e-6)
        let h = 1e-4

        // The loss.
        nb.prose("""
            **The loss.** L = 1/N Σ_t (logsumexp(ℓ_t) − ℓ_t[x_{t+1}]) over the N = T − 1 positions
            that have a next token. ∂ logsumexp(ℓ)/∂ℓ_c = softmax(ℓ)_c, and the second term picks
            one entry, so each row's gradient is the predicted distribution minus the one-hot
            target, over N — the first backward pass every training loop takes:
            """)
        nb.equation("dℓ_t = (softmax(ℓ_t) − onehot(x_{t+1})) / N,   dℓ_{T−1} = 0",
                    latex: #"d\ell_t = \frac{\operatorname{softmax}(\ell_t) - \operatorname{onehot}(x_{t+1})}{N}, \qquad d\ell_{T-1} = 0"#)
        let logits = Matrix<Double>.gaussian(rows: n, columns: vocabulary, using: &rng)
        let tokens = (0..<n).map { _ in Int(rng.next() % UInt64(vocabulary)) }
        let lossGradient = NextTokenLoss.evaluate(logits: logits, tokens: tokens).gradient
        nb.check("dℓ = (softmax − onehot)/N = central differences of the loss (h = 10⁻⁴)", lossGradient,
                 centralDifferences(of: logits, step: h) { NextTokenLoss.evaluate(logits: $0, tokens: tokens).loss },
                 tolerance: tolerance)

        // The GLU FFN with swish.
        nb.prose("""
            **The GLU FFN with swish** (torchscale's): H = X W₁ᵀ, G = X W_gᵀ, Out = (swish(H) ⊙ G) W₂ᵀ,
            with swish(h) = h σ(h), whose derivative is σ(h)(1 + h(1 − σ(h))). Back through the last
            product, then the entry-wise product (each factor's gradient is the other factor times
            the incoming one), then the two first products:
            """)
        nb.equation("dZ = dOut W₂,  dH = swish′(H) ⊙ (dZ ⊙ G),  dG = dZ ⊙ swish(H),  dX = dH W₁ + dG W_g,  dW₁ = dHᵀ X,  dW_g = dGᵀ X,  dW₂ = dOutᵀ (swish(H) ⊙ G)",
                    latex: #"dZ = dO\,W_2,\ dH = \operatorname{swish}'(H) \odot (dZ \odot G),\ dG = dZ \odot \operatorname{swish}(H),\ dX = dH\,W_1 + dG\,W_g,\ dW_1 = dH^{\top} X,\ dW_g = dG^{\top} X,\ dW_2 = dO^{\top}(\operatorname{swish}(H) \odot G)"#)
        let scale = 1 / Double(e).squareRoot()
        let x = Matrix<Double>.gaussian(rows: n, columns: e, using: &rng)
        let fc1 = scale * Matrix<Double>.gaussian(rows: f, columns: e, using: &rng)
        let gate = scale * Matrix<Double>.gaussian(rows: f, columns: e, using: &rng)
        let fc2 = scale * Matrix<Double>.gaussian(rows: e, columns: f, using: &rng)
        let w = Matrix<Double>.gaussian(rows: n, columns: e, using: &rng)
        let ffn = FeedForward<Double>.glu(fc1: fc1, gate: gate, fc2: fc2, activation: .swish)
        var ffnGradients = FeedForwardGradients(zeroFor: ffn)
        let dX = try ffn.backward(x, outputGradient: w, gradients: &ffnGradients)
        func ffnLoss(_ x: Matrix<Double>, _ fc1: Matrix<Double>, _ gate: Matrix<Double>, _ fc2: Matrix<Double>) -> Double {
            weightedSum(FeedForward<Double>.glu(fc1: fc1, gate: gate, fc2: fc2, activation: .swish)(x), w)
        }
        nb.check("GLU FFN: dX = central differences", dX,
                 centralDifferences(of: x, step: h) { ffnLoss($0, fc1, gate, fc2) }, tolerance: tolerance)
        nb.check("GLU FFN: dW₁ = central differences", ffnGradients.fc1,
                 centralDifferences(of: fc1, step: h) { ffnLoss(x, $0, gate, fc2) }, tolerance: tolerance)
        nb.check("GLU FFN: dW_g = central differences", ffnGradients.gate ?? Matrix(rows: 0, columns: 0),
                 centralDifferences(of: gate, step: h) { ffnLoss(x, fc1, $0, fc2) }, tolerance: tolerance)
        nb.check("GLU FFN: dW₂ = central differences", ffnGradients.fc2,
                 centralDifferences(of: fc2, step: h) { ffnLoss(x, fc1, gate, $0) }, tolerance: tolerance)

        // The weighted RMSNorm.
        nb.prose("""
            **The weighted RMSNorm** of each block: y = w ⊙ x̂, x̂ = x / r, r = √(mean(x²) + ε). The
            weight's gradient sums over the rows what each row's normalised input met; the input's is
            the weightless norm's backward (chapter 06's head norm, above) on dY ⊙ w:
            """)
        nb.equation("dw = Σ_rows dY ⊙ x̂,   dx = (g − x̂ · mean(g ⊙ x̂)) / r,  g = dY ⊙ w",
                    latex: #"dw = \sum_{\text{rows}} dY \odot \hat{x}, \qquad dx = \frac{g - \hat{x}\,\operatorname{mean}(g \odot \hat{x})}{r}, \quad g = dY \odot w"#)
        let weight = (0..<e).map { _ in 1 + 0.3 * Matrix<Double>.gaussian(rows: 1, columns: 1, using: &rng)[0, 0] }
        let norm = BlockNorm<Double>.rms(weight: weight, eps: 1e-6)
        var normGradients = NormGradients(zeroFor: norm)
        let dNormX = try norm.backward(x, outputGradient: w, gradients: &normGradients)
        nb.check("RMSNorm: dX = central differences", dNormX,
                 centralDifferences(of: x, step: h) { weightedSum(norm.apply($0), w) }, tolerance: tolerance)
        nb.check("RMSNorm: dw = Σ_rows dY ⊙ x̂ = central differences",
                 Matrix(rows: 1, columns: e, entries: normGradients.weight),
                 centralDifferences(of: Matrix(rows: 1, columns: e, entries: weight), step: h) { m in
                     weightedSum(BlockNorm<Double>.rms(weight: m.storage, eps: 1e-6).apply(x), w)
                 }, tolerance: tolerance)

        // The embedding.
        nb.prose("""
            **The embedding** X⁰_t = s · T[x_t] (s = √E unless a model turns the scale off) is linear
            in the table T, and a token that occurs twice reads its row twice: the backward pass
            *adds* s · dX⁰_t into row x_t for every position t (a scatter-add), and rows of tokens
            that do not occur get nothing. Linear, so h = 1 is exact again (1e-12):
            """)
        let table = Matrix<Double>.gaussian(rows: vocabulary, columns: e, using: &rng)
        let ids = (0..<n).map { $0 % 3 == 2 ? 1 : Int(rng.next() % UInt64(vocabulary)) }
        let s = Double(e).squareRoot()
        func embed(_ t: Matrix<Double>) -> Matrix<Double> { Matrix(rows: n, columns: e) { i, j in s * t[ids[i], j] } }
        var dTable = Matrix<Double>(rows: vocabulary, columns: e)
        Embedding.backward(tokens: ids, outputGradient: w, scale: s, into: &dTable)
        nb.say("tokens: \(ids.map(String.init).joined(separator: " ")) (token 1 at every third position)")
        nb.check("embedding: the scatter-add s · Σ_{t: x_t = v} dX⁰_t = central differences of the table", dTable,
                 centralDifferences(of: table, step: 1) { weightedSum(embed($0), w) }, tolerance: .relative(1e-12))

        // The rotation.
        nb.prose("""
            **The rotation** of Q and K (chapter 03) multiplies each pair of row t by the 2×2 rotation
            R(tθ_j). An orthogonal matrix's transpose is its inverse, so the backward pass rotates the
            gradient back, by Rᵀ = R(−tθ_j); linear, h = 1:
            """)
        let rotation = try Rotation(keyDimension: 2 * (e / 2))
        let keys = Matrix<Double>.gaussian(rows: n, columns: rotation.keyDimension, using: &rng)
        let dRotated = Matrix<Double>.gaussian(rows: n, columns: rotation.keyDimension, using: &rng)
        nb.check("rotation: dX = Rᵀ dY = central differences", try rotation.backward(outputGradient: dRotated, offset: 0),
                 try centralDifferences(of: keys, step: 1) { weightedSum(try rotation.apply($0, offset: 0), dRotated) },
                 tolerance: .relative(1e-12))
    }
}
