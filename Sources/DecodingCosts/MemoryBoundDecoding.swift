import RetNetModel
import Transformer

/// Decoding as a memory-bound machine runs it: a step of B sequences reads every weight once and
/// each sequence's state (the RetNet's) or KV cache (the Transformer's) once, writes back what
/// changed — all of the RetNet's state, one row of the Transformer's cache — and lasts as long as
/// moving those bytes takes at the memory's bandwidth; between steps, memory holds W + B·state.
/// So the two ratios differ: memory held is (W + B·cache)/(W + B·state), time is
/// (W + B·(cache + row))/(W + 2B·state). Multiply–adds are ignored: at batch 1 a step does about
/// one per element read, far below what any CPU or GPU does per element it can read (this is what
/// makes decoding memory-bound).
///
/// One configuration at one context n; `DecodingCost` supplies the counts.
public struct MemoryBoundDecoding: Sendable, Equatable {
    /// The two models compared.
    public enum Model: String, Sendable, CaseIterable {
        case retnet = "RetNet"
        case transformer = "Transformer"
    }

    /// Bytes of weights a step reads (once, whatever the batch).
    public let weightBytes: Double
    /// Bytes of one sequence's retention state (any n).
    public let retentionStateBytes: Double
    /// Bytes of one sequence's KV cache at the context n.
    public let kvCacheBytes: Double
    /// Bytes a step appends to one sequence's KV cache (its new key and value row).
    public let kvRowBytes: Double

    public init(weightBytes: Double, retentionStateBytes: Double, kvCacheBytes: Double, kvRowBytes: Double = 0) {
        (self.weightBytes, self.retentionStateBytes, self.kvCacheBytes, self.kvRowBytes)
            = (weightBytes, retentionStateBytes, kvCacheBytes, kvRowBytes)
    }

    /// The counts of `retnet` and the Transformer matching it (`TransformerConfig(matching:)`)
    /// at context n, elements `elementBytes` wide. The weights are the RetNet's as a batch-1 step
    /// reads them (the two models' differ by the rounding of F′ and the per-head norm, under
    /// 0.1% of them); the B − 1 further embedding rows a batch of B reads (E·s bytes each) are
    /// left out.
    public init(_ retnet: RetNetConfig, context n: Int, elementBytes: Int) throws(TransformerError) {
        let r = try DecodingCost.retnet(retnet, context: n, batch: 1, elementBytes: elementBytes)
        let t = try DecodingCost.transformer(TransformerConfig(matching: retnet), context: n, batch: 1, elementBytes: elementBytes)
        self.init(weightBytes: Double(r.weightBytesRead), retentionStateBytes: Double(r.stateBytes),
                  kvCacheBytes: Double(t.stateBytes), kvRowBytes: Double(t.stateBytesWritten))
    }

    /// The paper's 6.7B models at context n in fp16: 6.7·10⁹ weights of 2 bytes, and the state
    /// and cache of `DecodingCost.paper6_7B(context:kvHeads:)` (the paper's Transformer: V = E).
    public static func paper6_7B(context n: Int, kvHeads: Int? = nil) throws(TransformerError) -> MemoryBoundDecoding {
        let mixing = try DecodingCost.paper6_7B(context: n, kvHeads: kvHeads)
        return MemoryBoundDecoding(weightBytes: Double(paper6_7BParameters * DecodingCost.paper6_7B.elementBytes),
                                   retentionStateBytes: Double(mixing.retentionStateBytes),
                                   kvCacheBytes: Double(mixing.kvCacheBytes), kvRowBytes: Double(mixing.kvRowBytes))
    }

    /// The paper's count of the 6.7B model's weights.
    public static let paper6_7BParameters = 6_700_000_000

    /// One sequence's state or cache.
    public func stateBytes(_ model: Model) -> Double {
        model == .retnet ? retentionStateBytes : kvCacheBytes
    }

    /// Bytes held between steps, and read by each step, for a batch of B: W + B·state.
    public func bytes(_ model: Model, batch: Int) -> Double {
        weightBytes + Double(batch) * stateBytes(model)
    }

    /// Bytes one sequence's step writes back: the RetNet's whole state, the Transformer's one row.
    public func writtenBytes(_ model: Model) -> Double {
        model == .retnet ? retentionStateBytes : kvRowBytes
    }

    /// Bytes a step of B moves, read and written: W + B·(state + written).
    public func bytesMoved(_ model: Model, batch: Int) -> Double {
        bytes(model, batch: batch) + Double(batch) * writtenBytes(model)
    }

    /// Seconds a step of B tokens takes at `bandwidth` bytes per second, moving its bytes — also
    /// the latency of each of its tokens.
    public func secondsPerStep(_ model: Model, batch: Int, bandwidth: Double) -> Double {
        bytesMoved(model, batch: batch) / bandwidth
    }

    /// Tokens per second of a batch of B at `bandwidth`: B tokens per step.
    public func tokensPerSecond(_ model: Model, batch: Int, bandwidth: Double) -> Double {
        Double(batch) / secondsPerStep(model, batch: batch, bandwidth: bandwidth)
    }

    /// The Transformer's memory over the RetNet's at batch B, (W + B·cache)/(W + B·state).
    public func ratio(batch: Int) -> Double {
        bytes(.transformer, batch: batch) / bytes(.retnet, batch: batch)
    }

    /// The Transformer's bytes moved per step over the RetNet's at batch B,
    /// (W + B·(cache + row))/(W + 2B·state): its latency, and the inverse of its throughput,
    /// relative to the RetNet's.
    public func timeRatio(batch: Int) -> Double {
        bytesMoved(.transformer, batch: batch) / bytesMoved(.retnet, batch: batch)
    }

    /// The memory ratio's limit as B grows: cache/state.
    public var limitRatio: Double { kvCacheBytes / retentionStateBytes }

    /// The time ratio's limit as B grows: (cache + row)/(2·state), half the memory ratio's.
    public var limitTimeRatio: Double { (kvCacheBytes + kvRowBytes) / (2 * retentionStateBytes) }

    /// The smallest batch at which `ratio(batch:)` reaches r, or nil when no batch does (r at
    /// or beyond `limitRatio`, which it only approaches). Solved from W + B·c = r·(W + B·s):
    /// B = (r − 1)·W / (c − r·s), rounded up.
    public func batchReaching(_ r: Double) -> Int? {
        Self.batch(reaching: r, weights: weightBytes, transformer: kvCacheBytes, retnet: retentionStateBytes)
    }

    /// The smallest batch at which `timeRatio(batch:)` reaches r, or nil when no batch does:
    /// B = (r − 1)·W / (c + row − 2r·s), rounded up.
    public func batchReachingTime(_ r: Double) -> Int? {
        Self.batch(reaching: r, weights: weightBytes, transformer: kvCacheBytes + kvRowBytes, retnet: 2 * retentionStateBytes)
    }

    /// The smallest B with (W + B·t)/(W + B·r) ≥ ratio, or nil when none.
    private static func batch(reaching ratio: Double, weights: Double, transformer: Double, retnet: Double) -> Int? {
        guard ratio > 1 else { return 1 }
        let denominator = transformer - ratio * retnet
        guard denominator > 0 else { return nil }
        return max(1, Int(((ratio - 1) * weights / denominator).rounded(.up)))
    }

    /// The largest batch whose bytes fit in `memory` bytes (0 when not even the weights and one
    /// sequence do).
    public func largestBatch(_ model: Model, fitting memory: Double) -> Int {
        guard memory >= bytes(model, batch: 1) else { return 0 }
        return Int(((memory - weightBytes) / stateBytes(model)).rounded(.down))
    }
}

extension MemoryBoundDecoding {
    /// The GPU the paper decodes on (Sec. 3.4): an A100 with 80 GB, whose data sheet gives
    /// 2,039 GB/s (SXM; the PCIe card's 1,935 GB/s changes no ratio, only the times) and
    /// 312 TFLOP/s of dense fp16 on its tensor cores.
    public static let a100 = (memoryBytes: 80e9, bandwidth: 2_039e9, fp16Flops: 312e12)
}

extension DecodingCost {
    /// The shape the project's decoding benchmarks run (`Sources/bench/compare_retnet.py`):
    /// torchscale's variant, 6 layers, E = 512, V = 1024, 4 heads (d_k = 128, d_v = 256),
    /// FFN 1024, vocabulary 256.
    public static let benchmarkShape = RetNetConfig(variant: .torchscale, embedDim: 512, valueEmbedDim: 1024, retentionHeads: 4,
                                                    ffnEmbedDim: 1024, layers: 6, vocabSize: 256)
}
