import ChapterSupport
import Foundation
import Recall

/// The record of a `--full-run`: the machine, the date, the settings and every cell's best
/// result. Written by the full run, read by the page (which shows it as measured on that machine).
struct RecallRecord: MeasuredRecord {
    static let path = "Chapters/13-what-a-fixed-state-cannot-do/records/recall-grid.json"

    let cpu: String, date: String, load: String
    let threads: Int, steps: Int, batchSize: Int, length: Int, vocabulary: Int, evaluationExamples: Int
    let learningRates: [Double]
    let minutes: Double
    let results: [RecallResult]
}
