import Matrices
import Recall
import Testing

@Suite("MQAR: the examples are Zoology's layout, seeded, and bad settings are refused")
struct MQARTests {
    @Test("Pairs first, then each asked key followed by its value; the weights mark exactly the answers")
    func layout() throws {
        let task = try MQAR(vocabulary: 64, length: 40, pairs: 6, queries: 4, seed: 3)
        for index in 0..<20 {
            let e = task.example(batch: 5, index: index)
            #expect(e.tokens.count == 41 && e.weights.count == 40)
            let keys = stride(from: 0, to: 12, by: 2).map { e.tokens[$0] }
            let values = stride(from: 1, to: 12, by: 2).map { e.tokens[$0] }
            #expect(Set(keys).count == 6 && keys.allSatisfy { (1..<32).contains($0) }, "distinct keys of 1..<V/2")
            #expect(Set(values).count == 6 && values.allSatisfy { (32..<64).contains($0) }, "distinct values of V/2..<V")
            #expect(e.answers.count == 4 && Set(e.answers).count == 4)
            #expect(e.weights.indices.filter { e.weights[$0] > 0 } == e.answers)
            var askedKeys: Set<Int> = []
            for t in e.answers {
                #expect(t >= 12 && (t - 12) % 2 == 0, "a query sits on an even slot after the pairs")
                let pair = try #require(keys.firstIndex(of: e.tokens[t]), "the query is a key shown")
                #expect(e.tokens[t + 1] == values[pair], "its target is that key's value")
                askedKeys.insert(e.tokens[t])
            }
            #expect(askedKeys.count == 4, "each key asked once")
        }
    }

    @Test("The same (seed, batch, index) gives the same example; another seed or batch another")
    func seeded() throws {
        let a = try MQAR(pairs: 8, seed: 1), b = try MQAR(pairs: 8, seed: 2)
        #expect(a.example(batch: 3, index: 1) == a.example(batch: 3, index: 1))
        #expect(a.example(batch: 3, index: 1) != a.example(batch: 4, index: 1))
        #expect(a.example(batch: 3, index: 1) != b.example(batch: 3, index: 1))
        #expect(a.batch(-1, size: 4).sequences == (0..<4).map { a.example(batch: -1, index: $0).tokens })
    }

    @Test("Power-law placement puts queries early; uniform spreads them")
    func placement() throws {
        let early = try MQAR(vocabulary: 128, length: 128, pairs: 4, placement: .powerLaw(0.01), seed: 9)
        let spread = try MQAR(vocabulary: 128, length: 128, pairs: 4, placement: .uniform, seed: 9)
        func meanGap(_ task: MQAR) -> Double {
            let gaps = (0..<200).flatMap { task.example(batch: 0, index: $0).answers.map { Double($0 - 8) / 2 } }
            return gaps.reduce(0, +) / Double(gaps.count)
        }
        // 60 slot pairs: uniform has mean gap 29.5. a = 0.01 weighs gap g by ≈ 1/(g + 1): a first draw's mean
        // is ≈ (60 − H₆₀)/H₆₀ ≈ 11.8 (H₆₀ ≈ 4.68), later draws without replacement a little more.
        #expect(abs(meanGap(spread) - 29.5) < 3)
        #expect(meanGap(early) > 9 && meanGap(early) < 16)
    }

    @Test("Bad settings are refused, naming the numbers")
    func refusals() {
        func refused(_ make: () throws(RecallError) -> MQAR, naming name: String, got: String) {
            #expect(throws: RecallError.self) { _ = try make() }
            do { _ = try make() } catch {
                guard case let .setting(n, _, g) = error else { return }
                #expect(n == name && g == got, "\(error)")
            }
        }
        refused({ () throws(RecallError) in try MQAR(length: 64, pairs: 17) }, naming: "pairs", got: "17")
        refused({ () throws(RecallError) in try MQAR(vocabulary: 16, pairs: 8) }, naming: "vocabulary", got: "16")
        refused({ () throws(RecallError) in try MQAR(pairs: 4, queries: 0) }, naming: "queries", got: "0")
        refused({ () throws(RecallError) in try MQAR(pairs: 4, queries: 5) }, naming: "queries", got: "5")
        refused({ () throws(RecallError) in try MQAR(pairs: 0) }, naming: "pairs", got: "0")
        refused({ () throws(RecallError) in try MQAR(vocabulary: 1_000_000_000) }, naming: "vocabulary", got: "1000000000")
        refused({ () throws(RecallError) in try MQAR(placement: .powerLaw(0)) }, naming: "power-law exponent", got: "0.0")
        // The largest that fit are accepted: 2P + 2Q = T + 1, V/2 − 1 = P.
        #expect((try? MQAR(vocabulary: 18, length: 31, pairs: 8)) != nil)
    }
}
