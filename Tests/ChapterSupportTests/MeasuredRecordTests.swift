import ChapterSupport
import Foundation
import Testing

/// A record written by a run is read back field for field by the page, from the same path under
/// the package root; a missing record is an error, not an empty one.
@Suite struct MeasuredRecordTests {
    struct Example: MeasuredRecord, Equatable {
        static let path = "records/example.json"
        let machine: String
        let losses: [Double]
    }

    @Test func aRecordReadsBackAsWritten() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("measured-record-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        let record = Example(machine: "a CPU", losses: [1.7353, 1.6708, 0.1])
        try record.write(under: root)
        #expect(try Example.read(from: root) == record)
        let text = try String(contentsOf: root.appendingPathComponent(Example.path), encoding: .utf8)
        #expect(text.contains("\"losses\""), "\(text)")
        #expect(text.firstRange(of: "\"losses\"")!.lowerBound < text.firstRange(of: "\"machine\"")!.lowerBound,
                "keys are sorted: \(text)")
    }

    @Test func aMissingRecordIsAnError() {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("measured-record-none-\(UUID().uuidString)")
        #expect(throws: (any Error).self) { try Example.read(from: root) }
    }
}
