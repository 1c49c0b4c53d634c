import DecodingCosts
import Testing
import Transformer

@Suite("Memory-bound decoding, from the counts")
struct MemoryBoundDecodingTests {
    let model = MemoryBoundDecoding(weightBytes: 100, retentionStateBytes: 2, kvCacheBytes: 50, kvRowBytes: 1)

    @Test("Held bytes are W + B·state; time moves W + 2B·state (RetNet) or W + B·(cache + row) (Transformer)")
    func arithmetic() {
        #expect(model.bytes(.retnet, batch: 3) == 106)
        #expect(model.bytes(.transformer, batch: 3) == 250)
        #expect(model.bytesMoved(.retnet, batch: 3) == 112)
        #expect(model.bytesMoved(.transformer, batch: 3) == 253)
        #expect(model.secondsPerStep(.transformer, batch: 3, bandwidth: 11) == 23)
        #expect(model.tokensPerSecond(.retnet, batch: 3, bandwidth: 112) == 3)
        #expect(model.ratio(batch: 3) == 250.0 / 106)
        #expect(model.timeRatio(batch: 3) == 253.0 / 112)
        #expect(model.limitRatio == 25)
        #expect(model.limitTimeRatio == 51.0 / 4)
    }

    @Test("batchReachingTime is the first batch whose time ratio reaches r, nil beyond its limit")
    func batchReachingTime() {
        for r in [1.5, 2, 3.4, 8.4, 12.5] {
            guard let b = model.batchReachingTime(r) else {
                Issue.record("r = \(r): no batch, though r < the limit 12.75")
                continue
            }
            #expect(model.timeRatio(batch: b) >= r - 1e-12, "r = \(r): timeRatio(\(b)) = \(model.timeRatio(batch: b))")
            #expect(b == 1 || model.timeRatio(batch: b - 1) < r, "r = \(r): \(b - 1) already reaches it")
        }
        #expect(model.batchReachingTime(12.75) == nil)
    }

    @Test("batchReaching is the first batch whose ratio reaches r, nil beyond the limit")
    func batchReaching() {
        for r in [1.5, 2, 3.4, 8.4, 15.6, 24] {
            guard let b = model.batchReaching(r) else {
                Issue.record("r = \(r): no batch, though r < the limit 25")
                continue
            }
            #expect(model.ratio(batch: b) >= r - 1e-12, "r = \(r): ratio(\(b)) = \(model.ratio(batch: b))")
            #expect(b == 1 || model.ratio(batch: b - 1) < r, "r = \(r): \(b - 1) already reaches it")
        }
        #expect(model.batchReaching(25) == nil)
        #expect(model.batchReaching(30) == nil)
        #expect(model.batchReaching(0.5) == 1)
    }

    @Test("largestBatch is the last batch that fits, 0 when none does")
    func largestBatch() {
        #expect(model.largestBatch(.transformer, fitting: 260) == 3)
        #expect(model.bytes(.transformer, batch: 3) <= 260 && model.bytes(.transformer, batch: 4) > 260)
        #expect(model.largestBatch(.transformer, fitting: 149) == 0)
        #expect(model.largestBatch(.retnet, fitting: 102) == 1)
    }

    @Test("The paper's 6.7B at 8,192 tokens: 13.4 GB of weights, 128 MiB state, 4 GiB cache (V = E); the benchmark shape from DecodingCost")
    func shapes() throws {
        let paper = try MemoryBoundDecoding.paper6_7B(context: 8_192)
        #expect(paper.weightBytes == 13.4e9)
        #expect(paper.retentionStateBytes == Double(128 << 20))
        #expect(paper.kvCacheBytes == Double(4 << 30))
        #expect(paper.kvRowBytes == Double(512 << 10))
        #expect(paper.limitRatio == 32)
        #expect(paper.limitTimeRatio == Double((4 << 30) + (512 << 10)) / Double(256 << 20))
        // The batches the paper's ratios need (memory-bound, A100-80GB).
        #expect(paper.batchReaching(3.4) == 9)
        #expect(paper.largestBatch(.transformer, fitting: 80e9) == 15)
        #expect(try MemoryBoundDecoding.paper6_7B(context: 8_192, kvHeads: 4).kvCacheBytes == Double(1 << 30))
        let bench = DecodingCost.benchmarkShape
        let counted = try MemoryBoundDecoding(bench, context: 100, elementBytes: 4)
        let r = try DecodingCost.retnet(bench, context: 100, batch: 1, elementBytes: 4)
        let t = try DecodingCost.transformer(TransformerConfig(matching: bench), context: 100, batch: 1, elementBytes: 4)
        #expect(counted.bytes(.retnet, batch: 1) == Double(r.bytesReadPerStep))
        #expect(counted.bytesMoved(.retnet, batch: 1) == Double(r.bytesMovedPerStep))
        #expect(counted.kvCacheBytes == Double(t.stateBytes))
        #expect(counted.kvRowBytes == Double(t.stateBytesWritten))
        // The two models' weights differ by F′'s rounding only: under 0.1%.
        #expect(abs(Double(t.weightBytesRead) - counted.weightBytes) / counted.weightBytes < 1e-3)
        #expect(throws: TransformerError.self) { try MemoryBoundDecoding(bench, context: -1, elementBytes: 4) }
    }
}
