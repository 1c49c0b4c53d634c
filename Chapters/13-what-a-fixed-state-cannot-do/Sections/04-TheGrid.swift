import Matrices
import Notebook
import Recall

extension Chapter13 {
    func theGrid(_ nb: Notebook) throws {
        nb.section("The grid, measured")
        nb.prose("""
            `swift run -c release chapter13 --full-run` trains the grid: every width × pairs count
            × model, each cell at every learning rate of a small sweep (Zoology sweeps too) and its
            best accuracy kept. It writes the record below (`records/recall-grid.json`, beside this
            page: the machine, the date, the settings and every cell) and draws it into the two
            figures. This page shows the committed record, as measured on the machine it names; a
            new run on another machine would differ in the last digits, not in the shape.
            """)
        let record = try RecallRecord.read(from: Self.root)
        nb.say("Record: measured on \(record.cpu), \(record.date) (\(record.load) when it started), \(record.threads) thread(s), "
               + "release build; MQAR at T = \(record.length), vocabulary \(record.vocabulary); \(record.steps) steps of batch "
               + "\(record.batchSize) per run; learning rates \(record.learningRates.map { "\($0)" }.joined(separator: ", ")); "
               + "the grid took \(Format.fixed(record.minutes, 1)) min.")
        let pairs = Array(Set(record.results.map(\.pairs))).sorted()
        let widths = Array(Set(record.results.map(\.shape.width))).sorted()
        func cell(_ model: RecallModel, _ p: Int, _ w: Int) -> RecallResult? {
            record.results.first { $0.model == model && $0.pairs == p && $0.shape.width == w }
        }
        var rows: [[String]] = []
        for p in pairs {
            for w in widths {
                rows.append(["\(p)", "\(w)"] + RecallModel.allCases.map { m in
                    cell(m, p, w).map { "\(Format.fixed($0.accuracy, 3)) (η \($0.learningRate))" } ?? "—"
                } + [Format.grouped(cell(.retnet, p, w)?.stateFloats ?? 0)])
            }
        }
        nb.table(["pairs", "width"] + RecallModel.allCases.map { "\($0.title) (best η)" } + ["fixed state, floats"], rows)
        nb.figure(GridFigures.widthPath, caption: "MQAR accuracy against width, one line per model and pairs count (measured; the record above).")
        nb.figure(GridFigures.statePath, caption: "The same cells against the floats each model carries per token (measured).")
        try gridConclusions(nb, record: record, pairs: pairs, widths: widths, cell: cell)
    }
}
