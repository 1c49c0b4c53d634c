import TestSupport
import Testing

/// Flags the chapters once accepted and then ran for half an hour, hung or trapped on: refused
/// with a usage error naming the bound, and the largest accepted chunk costs the sequence, not B.
@Suite struct ChapterBoundsTests {
    @Test(arguments: [
        // ch05-chunk-huge: an overflow trap (length + chunkSize − 1); ch06-chunk-huge, ch06-chunk-1e9: hangs.
        ("05", ["--chunk-size", "9223372036854775807"], "--chunk-size must be at most 65536"),
        ("06", ["--chunk-size", "1000000000"], "--chunk-size must be at most 65536"),
        ("07", ["--chunk-size", "9223372036854775807"], "--chunk-size must be at most 65536"),
        ("10", ["--chunk-size", "9223372036854775807"], "--chunk-size must be at most 65536"),
        // ch01-len-2000: about half an hour in a debug build.
        ("01", ["--length", "2000"], "keep --length ≤ 200"),
        ("01", ["--dim", "256"], "--dim, --value-dim ≤ 64"),
    ])
    func hugeFlagsAreAUsageError(chapter: String, arguments: [String], message: String) throws {
        let run = try Chapter.run(chapter, arguments)
        #expect(run.status == 64 && run.stderr.contains(message), "chapter\(chapter) \(arguments): exit \(run.status), \(run.stderr)")
    }

    /// The largest chunk size chapter 06 takes runs its checks on its default sequence (torchscale's
    /// chunk scales once summed B powers of γ: 10⁷ took 19 s on 6 tokens).
    @Test func theLargestChunkSizeRunsLikeOneChunk() throws {
        let run = try Chapter.run("06", ["--chunk-size", "65536"])
        #expect(run.status == 0 && !run.stdout.contains("✗"), "\(run.stderr.suffix(500))")
    }
}
