import Foundation
import Matrices
import Measuring
import Notebook
import Recall

/// `chapter13 --full-run`: the grid of widths × pairs × the three models, each cell trained at
/// every learning rate of the sweep and its best accuracy kept (as Zoology sweeps); then the
/// record (JSON, beside the page in records/) and the measured figures. A measurement of the
/// machine it runs on: the page shows the committed record, never a new run.
struct FullRun {
    let steps: Int, length: Int, vocabulary: Int, batchSize: Int, widths: [Int], pairs: [Int], learningRates: [Double], threads: Int, seed: UInt64
    let root: URL

    /// The task of the grid: Zoology's MQAR with its power-law placement, every key asked once.
    func task(pairs: Int) throws -> MQAR {
        try MQAR(vocabulary: vocabulary, length: length, pairs: pairs, seed: seed)
    }

    /// A progress line, on standard error (unbuffered: it shows as it happens, also in a file).
    /// Held-out examples per accuracy.
    static let evaluationExamples = 256

    func progress(_ line: String) {
        FileHandle.standardError.write(Data(line.utf8))
    }

    func run(_ nb: Notebook) throws {
        let cpu = Machine.cpuName(), date = Machine.today(), load = Machine.loadAverage()
        nb.say("\(cpu), \(date), \(load); \(threads) thread(s); \(steps) steps of batch \(batchSize) per cell")
        var results: [RecallResult] = []
        let seconds = try Stopwatch.seconds { () throws in
            for p in pairs {
                let task = try task(pairs: p)
                for w in widths {
                    let shape = try RecallShape(width: w, heads: 2, vocabulary: task.vocabulary)
                    for model in RecallModel.allCases {
                        var best: RecallResult?
                        for rate in learningRates {
                            let settings = RecallSettings(steps: steps, batchSize: batchSize, learningRate: rate, seed: seed,
                                                          evaluationExamples: Self.evaluationExamples, threads: threads)
                            let start = Date()
                            let result = try RecallTraining.run(model, shape: shape, task: task, settings: settings)
                            progress("pairs \(p) width \(w) \(model.title) lr \(rate): accuracy \(Format.fixed(result.accuracy, 3)) "
                                  + "loss \(Format.fixed(Double(result.loss), 3)) (\(Format.fixed(Date().timeIntervalSince(start), 1)) s)\n")
                            if best == nil || result.accuracy > best!.accuracy { best = result }
                        }
                        results.append(best!)
                    }
                }
            }
        }
        nb.say("grid done in \(Format.fixed(seconds / 60, 1)) min")
        let record = RecallRecord(cpu: cpu, date: date, load: load, threads: threads, steps: steps, batchSize: batchSize,
                                  length: length, vocabulary: vocabulary, evaluationExamples: Self.evaluationExamples,
                                  learningRates: learningRates, minutes: seconds / 60, results: results)
        try record.write(under: root)
        try GridFigures.write(record, root: root)
        nb.say("wrote \(RecallRecord.path), \(GridFigures.widthPath), \(GridFigures.statePath)")
    }
}
