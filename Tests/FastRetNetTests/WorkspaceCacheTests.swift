import Dispatch
import Foundation
import FastRetNet
import Matrices
import MultiScaleRetention
import RetNetModel
import TestSupport
import Testing

/// A forward pass keeps its workspace for the next one (`FastRetNet.forward`): what a kept
/// workspace still holds from an earlier call, of another length or form, must not reach the
/// outputs, and two calls at once must never share one.
@Suite("FastRetNet: the kept workspace")
struct WorkspaceCacheTests {
    typealias Outputs = (logits: [Float], state: FastRetNetState)

    static let forms: [RetentionForm] = [.parallel, .chunkwise(chunkSize: 7), .chunkwise(chunkSize: 64)]
    static let lengths = [150, 40, 150, 9]

    /// A model of `variant` (weights from `seed`) on `threads` threads, its input (150 tokens),
    /// and each (length, form) on a model of its own, which has kept nothing: the outputs with a
    /// fresh workspace.
    static func setUp(_ variant: RetNetConfig.Variant, seed: UInt64, threads: Int) throws
        -> (fast: FastRetNet, input: [Int], expected: [[Outputs]])
    {
        let reference = try model(wideConfig(variant), seed: seed).converted(to: Float.self)
        let input = tokens(150, vocabulary: 130, seed: seed + 1)
        let expected = try lengths.map { n in
            try forms.map { form in
                let run = try FastRetNet(reference, threads: threads).forward(Array(input.prefix(n)), form: form)
                return (run.logits.storage, run.state)
            }
        }
        return (try FastRetNet(reference, threads: threads), input, expected)
    }

    @Test("one model run again and again keeps one workspace and gives the bits of a fresh one",
          arguments: [1, 2])
    func sequentialReuse(threads: Int) throws {
        let (fast, input, expected) = try Self.setUp(.torchscale, seed: 31, threads: threads)
        #expect(fast.keptWorkspaceRows == nil)
        for (i, n) in Self.lengths.enumerated() {
            for (j, form) in Self.forms.enumerated() {
                let run = try fast.forward(Array(input.prefix(n)), form: form)
                // Compared first, so that a failure names the call rather than printing every logit.
                let (sameLogits, sameState) = (run.logits.storage == expected[i][j].logits, run.state == expected[i][j].state)
                #expect(sameLogits, "\(n) rows, \(form): logits")
                #expect(sameState, "\(n) rows, \(form): state")
                // The first call's 150 rows have room for every later call: it is the one kept.
                #expect(fast.keptWorkspaceRows == 150, "\(n) rows, \(form): kept")
            }
        }
    }

    @Test("forward passes at once on one model (and its copies) give the bits of sequential ones",
          arguments: [1, 2])
    func concurrentCalls(threads: Int) throws {
        let (fast, input, expected) = try Self.setUp(.paper, seed: 33, threads: threads)
        let copy = try fast.with(threads: threads)
        let items = Self.lengths.count * Self.forms.count
        let rounds = 3
        let results = Results(count: rounds * items)
        // Every (length, form) three times over, as many calls at once as there are cores, every
        // other one on the copy (which shares the kept workspace with the model).
        DispatchQueue.concurrentPerform(iterations: rounds * items) { call in
            let (i, j) = ((call % items) / Self.forms.count, call % Self.forms.count)
            let model = call % 2 == 0 ? fast : copy
            let run = try? model.forward(Array(input.prefix(Self.lengths[i])), form: Self.forms[j])
            results.set(call, run.map { ($0.logits.storage, $0.state) })
        }
        for call in 0..<(rounds * items) {
            let (i, j) = ((call % items) / Self.forms.count, call % Self.forms.count)
            let got = try #require(results.get(call), "call \(call) threw")
            let (sameLogits, sameState) = (got.logits == expected[i][j].logits, got.state == expected[i][j].state)
            #expect(sameLogits, "call \(call), \(Self.lengths[i]) rows, \(Self.forms[j]): logits")
            #expect(sameState, "call \(call), \(Self.lengths[i]) rows, \(Self.forms[j]): state")
        }
        #expect(fast.keptWorkspaceRows != nil)
    }
}

/// The outputs of concurrent calls, each written once by its own call under a lock.
private final class Results: @unchecked Sendable {
    // Why `@unchecked Sendable` is safe: `values` is read and written only with `lock` held.
    private let lock = NSLock()
    private var values: [WorkspaceCacheTests.Outputs?]

    init(count: Int) { values = Array(repeating: nil, count: count) }

    func set(_ i: Int, _ value: WorkspaceCacheTests.Outputs?) { lock.withLock { values[i] = value } }
    func get(_ i: Int) -> WorkspaceCacheTests.Outputs? { lock.withLock { values[i] } }
}
