import Foundation
import Recall

/// The record of a `--full-run`: the machine, the date, the settings and every cell's best
/// result. Written by the full run, read by the page (which shows it as measured on that machine).
struct RecallRecord: Codable {
    static let path = "Chapters/13-what-a-fixed-state-cannot-do/records/recall-grid.json"

    let cpu: String, date: String, load: String
    let threads: Int, steps: Int, batchSize: Int, length: Int, vocabulary: Int, evaluationExamples: Int
    let learningRates: [Double]
    let minutes: Double
    let results: [RecallResult]

    func write(to url: URL) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try encoder.encode(self).write(to: url)
    }

    static func read(from root: URL) throws -> RecallRecord {
        try JSONDecoder().decode(RecallRecord.self, from: Data(contentsOf: root.appendingPathComponent(path)))
    }
}
