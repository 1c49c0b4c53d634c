import Foundation
import TestSupport
import Testing

/// Two runs of `figures` write the same bytes, SVG and PNG included (on one Graphviz version).
/// Before objects were numbered in the order of the DOT text, the clusters of the recurrent,
/// chunkwise and msr figures came out in a different order from run to run.
@Suite struct ReproducibleFiguresTests {
    @Test func twoRunsWriteIdenticalFiles() throws {
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("figures-twice-\(getpid())")
        defer { try? FileManager.default.removeItem(at: base) }
        var outputs: [[String: Data]] = []
        for run in ["one", "two"] {
            let dir = base.appendingPathComponent(run).path
            let result = try ProductRunner.run("figures", ["--output", dir, "--format", "svg", "--format", "png"])
            #expect(result.status == 0, "\(result.stderr)")
            var files: [String: Data] = [:]
            for name in try FileManager.default.contentsOfDirectory(atPath: dir) {
                files[name] = try Data(contentsOf: URL(fileURLWithPath: dir).appendingPathComponent(name))
            }
            outputs.append(files)
        }
        #expect(outputs[0].keys.sorted() == outputs[1].keys.sorted())
        #expect(outputs[0].count == 19, "expected 6 graphs × SVG and PNG and 7 plots (SVG), got \(outputs[0].keys.sorted())")
        for (name, bytes) in outputs[0] {
            #expect(outputs[1][name] == bytes, "\(name) differs between two runs")
        }
    }
}
