import Foundation
import Layers
import Matrices
import MultiScaleRetention
import RetNetModel
import TestSupport
import Testing
import YetAnotherRetNetCheckpoint

/// Our paper variant, loaded from yet-another-retnet's own checkpoints, gives its logits in each
/// of its three forms, and each of our forms gives them too.
///
/// Bound. The fixtures are float64 end to end: weights stored as F64 (read exactly), logits
/// recorded in float64, and our model runs in Double. Neither implementation normalises scores
/// (yet-another-retnet computes exact retention, as ours does), so the two compute the same
/// function and differ only by rounding in a different order (summation order of the products,
/// libm's exp, sin and cos against torch's): a few ulps per operation, ~1e-16 relative, carried
/// through at most three blocks of norms and residuals. yet-another-retnet's own three forms
/// differ from each other by up to 7e-15 absolute on logits of size ~1–5 (its script prints
/// it). 1e-12 relative (max |Δ| / max |theirs|) leaves a margin of over a hundred on that and
/// still fails at once on any real difference: a missing bias, norm weight or a wrong γ moves
/// the logits by 1e-3 or more (`dropping any bias changes the logits` below).
@Suite struct YetAnotherRetNetParity {
    static let bound = 1e-12

    @Test("our parallel, recurrent and chunkwise logits = each of its three forms", arguments: YetAnotherRetNetFixtures.names)
    func allFormsMatch(fixture: String) throws {
        let record = try RecordedForms(contentsOf: YetAnotherRetNetFixtures.logits(fixture))
        let model = try YetAnotherRetNetCheckpoint(directory: YetAnotherRetNetFixtures.directory(fixture)).model(Double.self)
        let ours: [(String, Matrix<Double>)] = [
            ("parallel", try model.logits(record.tokens, form: .parallel)),
            ("recurrent", try model.logits(record.tokens, form: .recurrent)),
            ("chunkwise B = \(record.chunkSize)", try model.logits(record.tokens, form: .chunkwise(chunkSize: record.chunkSize))),
        ]
        let theirs = [("parallel", record.parallel), ("recurrent", record.recurrent), ("chunkwise", record.chunkwise)]
        for (ourForm, logits) in ours {
            for (theirForm, reference) in theirs {
                expectClose(logits, reference, relative: Self.bound, "\(fixture): our \(ourForm) vs its \(theirForm)")
            }
        }
    }

    @Test("the fixture list is the folders on disk")
    func fixtureListIsComplete() {
        #expect(YetAnotherRetNetFixtures.names.sorted() == YetAnotherRetNetFixtures.onDisk)
    }

    /// The test above can fail: every bias and the absent final norm matter at 1e-3 or more.
    @Test("dropping any bias, or adding the final norm, moves the logits far beyond the bound",
          arguments: YetAnotherRetNetFixtures.names)
    func everyPieceMatters(fixture: String) throws {
        let record = try RecordedForms(contentsOf: YetAnotherRetNetFixtures.logits(fixture))
        let model = try YetAnotherRetNetCheckpoint(directory: YetAnotherRetNetFixtures.directory(fixture)).model(Double.self)
        var config = model.config
        config.biases = false
        let unbiased = try RetNet(config: config, embedTokens: model.embedTokens,
                                  blocks: try model.blocks.map { block in
                                      RetNetBlock(retentionLayerNorm: block.retentionLayerNorm,
                                                  retention: try block.retention.with(biases: nil),
                                                  finalLayerNorm: block.finalLayerNorm, ffn: block.ffn)
                                  },
                                  layerNorm: model.layerNorm, outputProjection: model.outputProjection)
        #expect(relativeError(try unbiased.logits(record.tokens), record.parallel) > 1e-3)
        config = model.config
        config.finalNorm = true
        let normed = try RetNet(config: config, embedTokens: model.embedTokens, blocks: model.blocks, layerNorm: model.layerNorm,
                                outputProjection: model.outputProjection, outputBias: model.outputBias)
        #expect(relativeError(try normed.logits(record.tokens), record.parallel) > 1e-3)
    }

    @Test("in Float, each form within 1e-5 relative of its float64 logits", arguments: YetAnotherRetNetFixtures.names)
    func floatModel(fixture: String) throws {
        // Weights rounded to Float (2⁻²⁴ relative each) and a few dozen products per output per
        // layer: a few 1e-7 relative, amplified modestly by norms over ≤ 3 blocks; 1e-5 leaves ten.
        let record = try RecordedForms(contentsOf: YetAnotherRetNetFixtures.logits(fixture))
        let model = try YetAnotherRetNetCheckpoint(directory: YetAnotherRetNetFixtures.directory(fixture)).model(Float.self)
        for form in [RetentionFormName.parallel, .recurrent, .chunkwise] {
            let logits = try model.logits(record.tokens, form: form.form(chunkSize: record.chunkSize))
            expectClose(logits.converted(to: Double.self), record.parallel, relative: 1e-5, "\(fixture): Float \(form)")
        }
    }
}

/// The three forms by name, for loops over them.
enum RetentionFormName: String, CaseIterable {
    case parallel, recurrent, chunkwise

    func form(chunkSize: Int) -> MultiScaleRetention.RetentionForm {
        switch self {
        case .parallel: .parallel
        case .recurrent: .recurrent
        case .chunkwise: .chunkwise(chunkSize: chunkSize)
        }
    }
}

@Suite struct YetAnotherRetNetLayoutConfig {
    @Test("biases and final_norm round-trip through JSON; a configuration without them encodes as before")
    func roundTrip() throws {
        let model = try YetAnotherRetNetCheckpoint(directory: YetAnotherRetNetFixtures.directory("one-head-one-layer")).config
        let json = try model.json()
        #expect(json.contains("\"biases\" : true") && json.contains("\"final_norm\" : false"), "\(json)")
        #expect(try JSONDecoder().decode(RetNetConfig.self, from: Data(json.utf8)) == model)
        var plain = model
        (plain.biases, plain.finalNorm) = (false, true)
        let plainJSON = try plain.json()
        #expect(!plainJSON.contains("biases") && !plainJSON.contains("final_norm"), "\(plainJSON)")
        #expect(try JSONDecoder().decode(RetNetConfig.self, from: Data(plainJSON.utf8)) == plain)
    }

    @Test("a random model of yet-another-retnet's layout has every bias, and its forms agree")
    func randomLayout() throws {
        let config = RetNetConfig(variant: .paper, embedDim: 16, valueEmbedDim: 16, retentionHeads: 2, ffnEmbedDim: 24, layers: 2,
                                  vocabSize: 20, activationFn: .swish, decaySchedule: .linspace, biases: true, finalNorm: false)
        let model = try RetNet<Double>.random(config: config, seed: 3, normNoise: 0.1)
        #expect(model.outputBias?.count == 20 && model.blocks.allSatisfy { $0.retention.biases != nil && $0.ffnBiases != nil })
        let tokens = [3, 1, 4, 1, 5, 9, 2, 6]
        let parallel = try model.logits(tokens)
        // Double, exact retention in every form: ~1e-16 per operation over two blocks (as chapter 07's 1e-10).
        expectClose(try model.logits(tokens, form: .recurrent), parallel, relative: 1e-10, "recurrent")
        expectClose(try model.logits(tokens, form: .chunkwise(chunkSize: 3)), parallel, relative: 1e-10, "chunkwise")
    }
}
