import Matrices
import TestSupport
import Testing

/// Every chapter run with random flags a reader may pick: it either holds every check (exit 0)
/// or refuses the flags with a usage error (exit 64, "Error:" and the flag on stderr) — never a
/// failed check (exit 1) and never a crash. The draws are seeded, so a failure names a flag set
/// that reproduces.
@Suite struct RandomFlagTests {
    /// Draws one flag set for a chapter: sizes around and past the limits the chapter states
    /// (odd widths where even ones are needed, chunk sizes above the length, γ = 1 and tiny γ).
    static func flags(for chapter: String, using rng: inout SplitMix64) -> [String] {
        func pick<T>(_ values: [T]) -> T { values[Int(rng.next() % UInt64(values.count))] }
        func int(_ range: ClosedRange<Int>) -> String { String(range.lowerBound + Int(rng.next() % UInt64(range.count))) }
        let gamma = pick(["1", "0.5", "0.96875", "0.001", String(rng.nextUnit())])
        let seed = String(rng.next() % 1000)
        switch chapter {
        case "01": return ["--length", int(1...30), "--dim", int(1...8), "--value-dim", int(1...6), "--seed", seed]
        case "02", "03", "04":
            return ["--length", int(1...30), "--dim", int(1...10), "--value-dim", int(1...6), "--gamma", gamma, "--seed", seed]
        case "05":
            return ["--length", int(1...30), "--chunk-size", int(1...35), "--dim", int(1...10), "--value-dim", int(1...6),
                    "--gamma", gamma, "--seed", seed]
        case "06":
            let heads = Int(int(1...4))!
            let dim = heads * 2 * Int(int(1...3))! + pick([0, 0, 0, 1])  // now and then not a multiple of h
            return ["--length", int(2...24), "--dim", String(dim), "--heads", String(heads),
                    "--value-dim", String(heads * Int(int(1...4))!), "--chunk-size", int(1...30),
                    "--eps", pick(["1e-6", "1e-3", "1e-9"]), "--seed", seed]
        case "07":
            let prompt = String((0..<Int(int(1...8))!).map { _ in pick(Array("abcdefghijklmnopqrstuvwxyz")) })
            return ["--prompt", prompt, "--generate", int(1...8), "--chunk-size", int(1...12), "--seed", seed]
        case "08":
            return ["--size", int(1...48), "--threads", int(1...3), "--length", int(1...40), "--dim", int(1...20),
                    "--chunk-size", int(1...45), "--seed", seed]
        case "09":
            let heads = Int(int(1...4))!
            let embed = heads * 2 * Int(int(1...4))! + pick([0, 0, 0, 1])  // now and then E/h odd
            return ["--layers", int(1...3), "--embed-dim", String(embed), "--heads", String(heads),
                    "--value-dim", String(heads * Int(int(1...6))!), "--ffn-dim", int(1...40), "--vocab", int(2...20),
                    "--length", int(1...40), "--context", pick(["1", "171", "8192", "65536", "2000000"]),
                    "--batch", pick(["0", "1", "8", "64", "1024"]), "--seed", seed]
        case "10":
            return ["--length", int(1...24), "--chunk-size", int(1...30), "--dim", int(1...10), "--value-dim", int(1...6),
                    "--gamma", gamma, "--seed", seed]
        case "11": return ["--iterations", int(100...120), "--threads", int(1...3), "--seed", seed]
        case "12": return ["--length", int(48...256), "--chunk-size", int(4...260), "--threads", int(1...3), "--seed", seed]
        default:
            return []
        }
    }

    @Test(arguments: Chapter.all.map(\.number))
    func randomFlagsHoldEveryCheckOrAreRefused(chapter: String) throws {
        var rng = SplitMix64(seed: 17 + UInt64(chapter)!)
        var ran = 0
        for _ in 0..<8 {
            let arguments = Self.flags(for: chapter, using: &rng)
            let run = try Chapter.run(chapter, arguments)
            let command = "chapter\(chapter) \(arguments.joined(separator: " "))"
            if run.status == 0 {
                ran += 1
                #expect(!run.stdout.contains("✗"), "\(command): a check failed but the chapter exited 0")
            } else {
                #expect(run.status == 64 && run.stderr.contains("Error:"),
                        "\(command): exit \(run.status), expected 0 or a usage error (64)\n\(run.stderr.suffix(1500))")
            }
        }
        #expect(ran > 0, "chapter\(chapter): every random flag set was refused; the draws are too far out of range")
    }
}
