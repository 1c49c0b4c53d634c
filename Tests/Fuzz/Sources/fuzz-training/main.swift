import CLibFuzzer
import FastTraining
import Foundation
import RetNetModel
import Training

/// A tiny model and text to resume with the settings a training.json gives: what `retnet train
/// --resume` builds after reading the file (the model and tokenizer of a directory are fuzzed by
/// fuzz-checkpoint).
let text = String(repeating: "To be, or not to be, that is the question: ", count: 8)
let corpus = try! Corpus(text: text)
let model = try! RetNet<Float>.random(config: RetNetConfig(variant: .torchscale, embedDim: 4, valueEmbedDim: 4, retentionHeads: 1,
                                                           ffnEmbedDim: 4, layers: 1, vocabSize: corpus.tokenizer.count), seed: 1)
let source = try! FastGradients()

/// One input: the text of a training.json. Every input must be refused with a `TrainingError`, or
/// give settings a trainer starts from: its schedule, its batch for the step, and an evaluation's
/// first sequence, without a trap, an allocation beyond the bounds, or a hang.
@_cdecl("LLVMFuzzerTestOneInput")
func fuzzTraining(_ bytes: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    guard let bytes else { return 0 }
    guard let (step, configuration, history) = try? TrainingCheckpoint.settings(fromTrainingJSON: Data(bytes: bytes, count: count))
    else { return 0 }
    _ = history.count
    guard let trainer = try? Trainer(model: model, corpus: corpus, configuration: configuration, source: source) else { return 0 }
    _ = try? trainer.configuration.schedule().rate(at: step)
    if let sampler = try? BatchSampler(tokens: corpus.train, context: configuration.context, batchSize: 1, seed: configuration.seed) {
        _ = sampler.batch(step)
        _ = SampledSequences(sampler, batches: configuration.evalIterations).first { _ in true }
    }
    return 0
}

// libFuzzer's main calls LLVMFuzzerTestOneInput; as SwiftPM links an executable's own main, it
// hands the same function to libFuzzer's driver.
var argc = CommandLine.argc
var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
exit(LLVMFuzzerRunDriver(&argc, &argv) { data, size in fuzzTraining(data, size) })
