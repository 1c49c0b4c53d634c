import ArgumentParser
import ChapterSupport
import Diagonalisation
import Foundation
import Matrices
import MultiScaleRetention
import Notebook
import Retention
import RetNetModel
import SafeTensors
import TorchscaleCheckpoint

extension Chapter10 {
    /// The whole RetNet's gradients against torch autograd's on the torchscale checkpoint of
    /// chapter 07, and the three forms' gradients against each other.
    func againstTorchAutograd(_ nb: Notebook) throws {
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
            whole model by torch autograd. (Only exact retention's forms are compared with each
            other: torchscale's three modes are three different functions at ε > 0, chapter 06, so
            their gradients cannot agree — which is why chapter 11 trains exact retention.) Training
            needs a few more backward passes around these — the loss, the FFN, the block norms, the
            embedding — and its Transformer baseline needs softmax attention's: the next two sections.
            """)
    }
}
