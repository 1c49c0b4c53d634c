import Foundation
import Matrices
import MultiScaleRetention
import Notebook
import RetNetModel
import YetAnotherRetNetCheckpoint

extension Chapter07 {
    /// The paper variant against yet-another-retnet 0.5.1, an implementation written
    /// independently of torchscale, on a committed fixture of its own.
    func againstYetAnotherRetNet(_ nb: Notebook) throws {
        nb.section("The paper's variant, against an independent implementation")
        nb.prose("""
            The torchscale variant was checked against torchscale. The paper variant has so far been
            checked only against itself: forms that agree, and a first block written out from its
            formulas — both would share a misreading of the paper. yet-another-retnet 0.5.1 (on PyPI,
            pure torch) implements the paper's variant independently. It fills in what the paper leaves
            open differently from torchscale, and in places differently from the paper:
            """)
        nb.table(["", "paper (Sec. 2–3)", "torchscale 0.3.0", "yet-another-retnet 0.5.1"], [
            ["block norm", "LayerNorm", "RMSNorm", "LayerNorm (weight, bias), ε = layer_norm_eps"],
            ["per-head norm", "GroupNorm", "RMSNorm, no weight", "GroupNorm, no weight or bias, ε = 1e-6 always"],
            ["gate", "swish", "swish", "the FFN's activation (swish by default)"],
            ["FFN", "gelu(X W₁) W₂", "fc2(act(fc1 x) ⊙ gate x)", "act(X W₁ᵀ + b₁) W₂ᵀ + b₂, swish by default"],
            ["biases", "none written", "none", "in every linear map and the head"],
            ["value width V", "2E", "any", "E"],
            ["γ", "Eq. 8; experiments: linspace", "Eq. 8, float32 buffer", "1 − e^{linspace(log 1/32, log 1/512, h)}"],
            ["θ", "not given", "1/10000^{linspace(0,1,d_k/2)}, float32", "the same formula, in the model's dtype"],
            ["score normalisations", "D/√ΣD, R/max(|ΣR|, 1)", "each mode its own", "none: exact retention"],
            ["norm before the head", "not written", "RMSNorm", "none"],
            ["chunkwise", "Eq. 7", "B must divide n (pads)", "chunks of any length, fed by the caller"],
        ])
        nb.prose("""
            This package's model expresses that layout with two settings of its own, `biases` (every
            linear map and the head get one) and `final_norm` = false; the decay schedule is the
            experiments' linspace, computed in Double; each layer rotates with the θ stored in its
            `thetas` buffer; the per-head GroupNorm has w = 1 and b = 0, which is exactly no affine map.
            What it does not implement is refused by name when the checkpoint loads — a gate other
            than swish, post-norm blocks, a block ε other than the per-head norm's 1e-6:
            """)
        let directory = URL(fileURLWithPath: paperCheckpoint)
        let checkpoint = try YetAnotherRetNetCheckpoint(directory: directory)
        let config = try JSONSerialization.jsonObject(with: Data(contentsOf: directory.appendingPathComponent("config.json")))
            as? [String: Any] ?? [:]
        for (key, value, shown) in [("activation", "gelu" as Any, "\"gelu\""), ("norm_first", false, "false"),
                                    ("layer_norm_eps", 1e-5, "1e-05")] {
            var changed = config
            changed[key] = value
            var refusal = "accepted"
            do { _ = try YetAnotherRetNetConfig.parse(try JSONSerialization.data(withJSONObject: changed)) } catch { refusal = "\(error)" }
            nb.check("\(key) = \(shown) is refused, naming the key", refusal.contains("sets \(key) = "), refusal)
        }

        let recorded = try RecordedForms(contentsOf: directory.appendingPathComponent("logits.json"))
        let model = try checkpoint.model(Double.self)
        let c = checkpoint.config
        nb.prose("""
            The fixture (`Tests/Fixtures/yet-another-retnet/make_fixtures.py` made it with
            yet-another-retnet itself) is a small random model built in float64, every bias and norm
            weight drawn away from its initial 0 or 1 so that each one matters, saved as F64 with the
            logits of its own three forms: `forward_parallel`, `forward_recurrent` token by token, and
            `forward_chunkwise` over chunks of B tokens. Each of our forms is compared with each of
            theirs, all in Double:
            """)
        nb.say("checkpoint: E = V = \(c.embedDim), h = \(c.retentionHeads), F = \(c.ffnEmbedDim), L = \(c.layers), "
               + "vocab = \(c.vocabSize), \(Format.grouped(checkpoint.parameterCount)) parameters; "
               + "\(recorded.tokens.count) tokens, B = \(recorded.chunkSize)")
        let theirs = [("parallel", recorded.parallel), ("recurrent", recorded.recurrent), ("chunkwise", recorded.chunkwise)]
        let ours: [(String, RetentionForm)] = [("parallel", .parallel), ("recurrent", .recurrent),
                                               ("chunkwise", .chunkwise(chunkSize: recorded.chunkSize))]
        var rows: [[String]] = []
        for (name, form) in ours {
            let logits = try model.logits(recorded.tokens, form: form)
            rows.append([name] + theirs.map { Format.scientific(logits.deviation(from: $0.1).maxRelative) })
            for (theirName, reference) in theirs {
                nb.check("our \(name) = its \(theirName) (Double)", logits, reference, tolerance: .relative(1e-12))
            }
        }
        nb.table(["ours \\ theirs"] + theirs.map(\.0), rows)
        let ownSpread = theirs.dropFirst().map { $0.1.deviation(from: recorded.parallel).maxRelative }.max()!
        nb.check("its own recurrent and chunkwise forms = its parallel form", ownSpread <= 1e-12,
                 "max relative difference \(Format.scientific(ownSpread)) ≤ 1.0e-12")
        nb.prose("""
            The bound, 1e-12 relative (max |Δ| over max |logit|), is rounding and nothing else: both
            compute exact retention in float64 from the same F64 weights, and differ only in the order
            of sums and in libm's exp, sin and cos — a few ulps (1e-16) per operation through
            \(c.layers) blocks. yet-another-retnet's forms agree with each other to the same degree: it
            has no score normalisation, so unlike torchscale's modes its forms are one function at any
            ε. That the check can fail: the same weights without their biases, or with a LayerNorm
            before the head, give other logits:
            """)
        var unbiasedConfig = c
        unbiasedConfig.biases = false
        let unbiased = try RetNet(config: unbiasedConfig, embedTokens: model.embedTokens,
                                  blocks: try model.blocks.map { block in
                                      RetNetBlock(retentionLayerNorm: block.retentionLayerNorm, retention: try block.retention.with(biases: nil),
                                                  finalLayerNorm: block.finalLayerNorm, ffn: block.ffn)
                                  },
                                  layerNorm: model.layerNorm, outputProjection: model.outputProjection)
        let withoutBiases = try unbiased.logits(recorded.tokens).deviation(from: recorded.parallel).maxRelative
        var normedConfig = c
        normedConfig.finalNorm = true
        let normed = try RetNet(config: normedConfig, embedTokens: model.embedTokens, blocks: model.blocks,
                                layerNorm: model.layerNorm, outputProjection: model.outputProjection, outputBias: model.outputBias)
        let withNorm = try normed.logits(recorded.tokens).deviation(from: recorded.parallel).maxRelative
        nb.check("without the biases the logits move far beyond the bound", withoutBiases > 1e-3,
                 "max relative difference \(Format.scientific(withoutBiases)) > 1e-3")
        nb.check("with a norm before the head the logits move far beyond the bound", withNorm > 1e-3,
                 "max relative difference \(Format.scientific(withNorm)) > 1e-3")
        nb.prose("""
            So two implementations that read the paper independently — differing in biases, V, the
            final norm, the gate's activation and the γ schedule — agree number for number once those
            choices are set alike: the paper variant computes what the paper's equations say.
            `Tests/YetAnotherRetNetCheckpointTests` checks the same on every committed fixture. Such a
            model runs on this reference implementation only: the backward pass (and, in their tests,
            the fast models) refuse biases and a missing final norm by name:
            """)
        var backward = "computed"
        do { _ = try model.gradients(recorded.tokens) } catch { backward = "\(error)" }
        nb.check("the backward pass refuses a model with biases, naming the setting", backward.hasPrefix("biases:"), backward)
        nb.prose("""
            The whole model runs in every form with the same logits, in both variants, and a prompt can be
            read in chunks and continued token by token — the torchscale variant reproduces the official
            code on its own weights, and the paper variant an independent implementation on its own.
            What remains is speed: chapter 08 makes these forms fast.
            """)
    }
}
