import Foundation
import Matrices
import Notebook

extension Chapter12 {
    /// Length generalisation: the committed record of `--length-generalisation`, read back.
    func beyondTheTrainingContext(_ nb: Notebook) throws {
        nb.section("Beyond the training context")
        let record = try LengthRecord.read(from: Self.root)
        nb.say("Record: measured on \(record.cpu), \(record.date) (\(record.load) when it started), \(record.threads) thread(s), "
               + "release build; \(record.windows) validation windows of \(record.positions + 1) tokens"
               + (record.reduced ? "; REDUCED run: fewer steps than the full budget" : "") + ".")
        let (headers, rows) = LengthFigure.rows(record)
        nb.table(headers, rows)
        nb.figure(LengthFigure.path, caption: "Mean loss per position, from the record.")
    }
}
