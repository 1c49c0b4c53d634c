import FastRetNet
import FastTransformer
import Foundation
import Generation
import Matrices
import MultiScaleRetention
import RetNetModel
import TestSupport
import Testing
import Transformer

/// Row t's cross-entropy against next[t], written out in Double (the test's own, from logits of
/// another code path).
private func handLosses<E: RealScalar>(_ logits: Matrix<E>, next: ArraySlice<Int>) -> [Double] {
    zip(0..<logits.rows, next).map { t, target in
        let row = (0..<logits.columns).map { Double(logits[t, $0]) }
        let peak = row.max()!
        return peak + log(row.map { exp($0 - peak) }.reduce(0, +)) - row[target]
    }
}

/// The bound on a loss from Float logits each within δ of the reference's: logsumexp moves by at
/// most δ (it is 1-Lipschitz in the largest difference), the target's logit by δ, so |Δℓ| ≤ 2δ;
/// δ is the fast paths' relative bound on logits (`FastRetNetParityTests`: 2e-5; the Transformer's
/// tests: 1e-5) times the largest logit.
private func lossBound<E: RealScalar>(_ logits: Matrix<E>, relative: Double) -> Double {
    2 * relative * logits.storage.map { abs(Double($0)) }.max()!
}

@Suite("Per-position losses of a long text")
struct PositionLossesTests {
    static let text = tokens(97, vocabulary: 65, seed: 24)

    @Test("the RetNet's chunkwise losses are the reference's and recurrent decoding's")
    func retnet() throws {
        let (reference, fast) = try floatRetNets()
        let input = Array(Self.text.dropLast())
        let expectedLogits = try reference.logits(input, form: .parallel)
        let expected = handLosses(expectedLogits, next: Self.text.dropFirst())
        let bound = lossBound(expectedLogits, relative: 2e-5)
        for chunk in [1, 7, 16, 200] {
            let got = try PositionLosses.retnet(fast, text: Self.text, chunkSize: chunk)
            #expect(got.count == 96)
            let worst = zip(got, expected).map { abs($0 - $1) }.max()!
            #expect(worst <= bound, "chunk \(chunk): \(worst) nats from the reference RetNet<Float>, bound \(bound)")
        }
        // Decoding token by token from the recurrent state, on the kernels: positions 1, 31, 96.
        let got = try PositionLosses.retnet(fast, text: Self.text, chunkSize: 16)
        var state = fast.emptyState()
        for (p, token) in input.enumerated() {
            let logits = Matrix(rows: 1, columns: 65, entries: try fast.step(token, state: &state))
            if [0, 30, 95].contains(p) {
                let decoded = handLosses(logits, next: Self.text[(p + 1)...(p + 1)])[0]
                let stepBound = lossBound(logits, relative: 2 * 2e-5)
                #expect(abs(got[p] - decoded) <= stepBound, "position \(p + 1): \(got[p]) vs decoded \(decoded), bound \(stepBound)")
            }
        }
    }

    @Test("the Transformer's full-context losses are the reference's")
    func transformerFull() throws {
        let (reference, fast) = try floatTransformers()
        let expectedLogits = try reference.forward(Array(Self.text.dropLast()))
        let expected = handLosses(expectedLogits, next: Self.text.dropFirst())
        let bound = lossBound(expectedLogits, relative: 1e-5)
        for got in [try PositionLosses.transformer(fast, text: Self.text),
                    try PositionLosses.transformer(try fast.with(threads: 2), text: Self.text, window: 500)] {
            let worst = zip(got, expected).map { abs($0 - $1) }.max()!
            #expect(got.count == 96 && worst <= bound, "\(worst) nats from the reference Transformer<Float>, bound \(bound)")
        }
    }

    /// One layer: a window of W keys at position p reads exactly the last W tokens, so its logits
    /// are those of the prefill of those W tokens alone, read from position 0 — RoPE's scores
    /// depend on the offset between query and key only. (With two layers they differ: a key of
    /// the second layer has read the W tokens before its own.) The rotations are computed at
    /// positions up to 96 here and up to W there, so the angles differ in rounding: θ·p in Float
    /// is within p·θ·2⁻²⁴ ≈ 6e-6 rad at p ≤ 96, which moves the scores by that relative amount —
    /// below the 1e-5 of the fast path's own bound, so the same bound holds.
    @Test("a sliding window is the last W tokens read afresh, with one layer", arguments: [1, 5, 16, 40])
    func transformerWindow(window: Int) throws {
        let config = TransformerConfig(matching: RetNetConfig(variant: .torchscale, embedDim: 32, valueEmbedDim: 32,
                                                              retentionHeads: 2, ffnEmbedDim: 64, layers: 1, vocabSize: 65))
        let fast = try FastTransformer(try Transformer<Float>.random(config: config, seed: 3, normNoise: 0.1))
        let got = try PositionLosses.transformer(fast, text: Self.text, window: window)
        for p in [1, window, window + 1, 50, 96] {
            let read = Array(Self.text[max(0, p - window)..<p])
            var cache = try fast.emptyCache(capacity: read.count)
            let logits = try fast.prefill(read, cache: &cache)
            let last = Matrix(rows: 1, columns: 65, entries: Array(logits.storage.suffix(65)))
            let expected = handLosses(last, next: Self.text[p...p])[0]
            let bound = lossBound(last, relative: 1e-5)
            #expect(abs(got[p - 1] - expected) <= bound, "W = \(window), position \(p): \(got[p - 1]) vs \(expected), bound \(bound)")
        }
    }

    @Test("a window changes nothing within it, and something past it, with two layers")
    func windowWithinAndPast() throws {
        let (_, fast) = try floatTransformers()
        let full = try PositionLosses.transformer(fast, text: Self.text)
        let windowed = try PositionLosses.transformer(fast, text: Self.text, window: 20)
        #expect(full[..<20] == windowed[..<20])
        #expect(zip(full[20...], windowed[20...]).allSatisfy { $0 != $1 })
    }

    @Test("bad input is a typed error")
    func badInput() throws {
        let (_, retnet) = try floatRetNets()
        let (_, transformer) = try floatTransformers()
        #expect(throws: RetNetError.argument(name: "text", expected: "at least 2 tokens (one to read, one to predict)", got: "1")) {
            try PositionLosses.retnet(retnet, text: [3], chunkSize: 4)
        }
        #expect(throws: RetNetError.argument(name: "chunk size", expected: "a chunk size B ≥ 1", got: "0")) {
            try PositionLosses.retnet(retnet, text: [3, 4], chunkSize: 0)
        }
        #expect(throws: RetNetError.token(position: 1, id: 65, vocabularySize: 65)) {
            try PositionLosses.retnet(retnet, text: [3, 65, 4], chunkSize: 4)
        }
        #expect(throws: TransformerError.argument(name: "text", expected: "at least 2 tokens (one to read, one to predict)", got: "0")) {
            try PositionLosses.transformer(transformer, text: [])
        }
        #expect(throws: TransformerError.argument(name: "window", expected: "at least 1 key", got: "0")) {
            try PositionLosses.transformer(transformer, text: [1, 2, 3], window: 0)
        }
        #expect(throws: TransformerError.token(position: 0, id: -1, vocabularySize: 65)) {
            try PositionLosses.transformer(transformer, text: [-1, 2, 3], window: 2)
        }
        // The last token is only predicted, never read: checked all the same.
        #expect(throws: TransformerError.token(position: 2, id: 65, vocabularySize: 65)) {
            try PositionLosses.transformer(transformer, text: [1, 2, 65])
        }
        #expect(throws: RetNetError.token(position: 2, id: 99, vocabularySize: 65)) {
            try PositionLosses.retnet(retnet, text: [1, 2, 99], chunkSize: 2)
        }
    }
}
