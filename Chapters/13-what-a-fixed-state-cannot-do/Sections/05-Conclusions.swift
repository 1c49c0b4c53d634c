import Matrices
import Notebook
import Recall

extension Chapter13 {
    /// What the record shows, each claim a check on the record's numbers.
    func gridConclusions(_ nb: Notebook, record: RecallRecord, pairs: [Int], widths: [Int],
                         cell: (RecallModel, Int, Int) -> RecallResult?) throws {
        nb.section("What the grid shows")
        let all = { (model: RecallModel) in record.results.filter { $0.model == model } }
        let transformerWorst = all(.transformer).map(\.accuracy).min() ?? 0
        nb.check("the Transformer reaches ≥ 99% on every cell of the grid", transformerWorst >= 0.99,
                 "its worst cell: \(Format.fixed(transformerWorst, 3))")
        for model in [RecallModel.retnet, .linearAttention] {
            // At each width, from the fewest pairs to the most (a drop of at most 0.03 counts as flat: the
            // held-out accuracy of 256 examples moves by about that between seeds).
            let falls = widths.allSatisfy { w in
                let a = pairs.compactMap { cell(model, $0, w)?.accuracy }
                return a.count == pairs.count && a.last! < a.first! - 0.1
            }
            let detail = widths.map { w in
                "E = \(w): " + pairs.compactMap { cell(model, $0, w).map { Format.fixed($0.accuracy, 2) } }.joined(separator: " → ")
            }.joined(separator: "; ")
            nb.check("\(model.title): at every width, accuracy at \(pairs.last!) pairs is below that at \(pairs.first!) by more than 0.1",
                     falls, detail)
            let rises = pairs.allSatisfy { p in
                guard let narrow = cell(model, p, widths.first!)?.accuracy, let wide = cell(model, p, widths.last!)?.accuracy
                else { return false }
                return wide >= narrow - 0.03
            }
            nb.check("\(model.title): for every pairs count the widest state does at least as well as the narrowest (within 0.03)",
                     rises, pairs.map { p in
                         "\(p) pairs: " + widths.compactMap { cell(model, p, $0).map { Format.fixed($0.accuracy, 2) } }
                             .joined(separator: " → ")
                     }.joined(separator: "; "))
            let crossings = widths.map { w in
                let held = pairs.filter { (cell(model, $0, w)?.accuracy ?? 0) >= 0.5 }
                return "E = \(w): " + (held.last.map { "≥ 50% up to \($0) pairs" } ?? "below 50% at every pairs count")
            }
            nb.say("\(model.title), where it crosses 50%: " + crossings.joined(separator: "; "))
        }
    }
}
