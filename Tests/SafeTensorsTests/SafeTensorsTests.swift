import Foundation
import Testing
@testable import SafeTensors

/// Builds raw safetensors bytes from a header string and data bytes, for hostile-file tests.
func file(header: String, data: [UInt8] = [], declaredLength: UInt64? = nil) -> Data {
    var out = Data()
    let headerBytes = Array(header.utf8)
    withUnsafeBytes(of: (declaredLength ?? UInt64(headerBytes.count)).littleEndian) { out.append(contentsOf: $0) }
    out.append(contentsOf: headerBytes)
    out.append(contentsOf: data)
    return out
}

func expectError(_ expected: SafeTensorsError, _ data: Data, sourceLocation: SourceLocation = #_sourceLocation) {
    do {
        let parsed = try SafeTensors(data: data)
        Issue.record("expected \(expected), but the file parsed with tensors \(parsed.names)", sourceLocation: sourceLocation)
    } catch {
        #expect(error == expected, sourceLocation: sourceLocation)
    }
}

@Suite struct RoundTrip {
    @Test func writtenTensorsReadBackExactly() throws {
        let entries = [
            SafeTensors.Entry(name: "a.weight", shape: [2, 3], values: [1, -2, 3.5, .pi, -0.0, 1e-38]),
            SafeTensors.Entry(name: "scalar", shape: [], values: [42]),
            SafeTensors.Entry(name: "empty", shape: [0, 4], values: []),
            SafeTensors.Entry(name: "γ \"quoted\" \\ name", shape: [1], values: [.infinity]),
        ]
        let data = try SafeTensors.encode(entries, metadata: ["format": "pt"])
        let file = try SafeTensors(data: data)
        #expect(file.names == ["a.weight", "empty", "scalar", "γ \"quoted\" \\ name"])
        #expect(file.metadata == ["format": "pt"])
        for entry in entries {
            let tensor = try file.tensor(entry.name)
            #expect(tensor.shape == entry.shape && tensor.dtype == .f32)
            let values = try file.floats(entry.name)
            #expect(values.map(\.bitPattern) == entry.values.map(\.bitPattern), "\(entry.name)")
        }
    }

    @Test func headerIsPaddedToEightBytesAndDeterministic() throws {
        let entries = [SafeTensors.Entry(name: "x", shape: [1], values: [1])]
        let a = try SafeTensors.encode(entries), b = try SafeTensors.encode(entries)
        #expect(a == b)
        let headerLength = a.withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) }
        #expect(headerLength % 8 == 0)
    }

    @Test func fileRoundTripThroughDisk() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("st-\(UUID().uuidString).safetensors")
        defer { try? FileManager.default.removeItem(at: url) }
        try SafeTensors.write([.init(name: "w", shape: [2, 2], values: [1, 2, 3, 4])], to: url)
        #expect(try SafeTensors(contentsOf: url).floats("w") == [1, 2, 3, 4])
    }

    @Test func writerRejectsBadEntries() {
        #expect(throws: SafeTensorsError.valueCountMismatch(tensor: "w", shape: [2, 2], values: 3)) {
            try SafeTensors.encode([.init(name: "w", shape: [2, 2], values: [1, 2, 3])])
        }
        #expect(throws: SafeTensorsError.duplicateTensor("w")) {
            try SafeTensors.encode([.init(name: "w", shape: [1], values: [1]), .init(name: "w", shape: [1], values: [2])])
        }
    }

    @Test func unwritableDirectoryIsAnIOError() {
        let url = URL(fileURLWithPath: "/nonexistent-dir/x.safetensors")
        #expect(throws: SafeTensorsError.self) { try SafeTensors.write([], to: url) }
        #expect(throws: SafeTensorsError.self) { try SafeTensors(contentsOf: url) }
    }
}

@Suite struct Conversions {
    @Test func f16DecodesExactly() throws {
        // 1.0 = 0x3C00, −2.0 = 0xC000, 65504 = 0x7BFF (max), 2⁻²⁴ = 0x0001 (min subnormal),
        // 2⁻¹⁴ = 0x0400 (min normal), +∞ = 0x7C00, −0 = 0x8000, 0.333 ≈ 0x3555.
        let bits: [UInt16] = [0x3C00, 0xC000, 0x7BFF, 0x0001, 0x0400, 0x7C00, 0x8000, 0x3555]
        let expected: [Float] = [1, -2, 65504, 0x1p-24, 0x1p-14, .infinity, -0.0, 0x1.554p-2]
        let data = file(header: #"{"h":{"dtype":"F16","shape":[8],"data_offsets":[0,16]}}"#,
                        data: bits.flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] })
        let values = try SafeTensors(data: data).floats("h")
        #expect(values.map(\.bitPattern) == expected.map(\.bitPattern))
        let nan = file(header: #"{"h":{"dtype":"F16","shape":[1],"data_offsets":[0,2]}}"#, data: [0x00, 0x7E])
        #expect(try SafeTensors(data: nan).floats("h")[0].isNaN)
    }

    @Test func bf16IsTheTopHalfOfFloat32() throws {
        let values: [Float] = [1, -3.5, .pi, 1e30, -1e-30]
        let bits = values.map { UInt16($0.bitPattern >> 16) }
        let data = file(header: #"{"b":{"dtype":"BF16","shape":[5],"data_offsets":[0,10]}}"#,
                        data: bits.flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] })
        let decoded = try SafeTensors(data: data).floats("b")
        #expect(decoded.map(\.bitPattern) == values.map { $0.bitPattern & 0xFFFF_0000 })
    }

    @Test func f64IsRoundedToFloat() throws {
        var bytes: [UInt8] = []
        withUnsafeBytes(of: (1.0 / 3.0).bitPattern.littleEndian) { bytes += $0 }
        let data = file(header: #"{"d":{"dtype":"F64","shape":[],"data_offsets":[0,8]}}"#, data: bytes)
        #expect(try SafeTensors(data: data).floats("d") == [Float(1.0 / 3.0)])
    }

    @Test func f64IsReadExactlyAsDouble() throws {
        var bytes: [UInt8] = []
        withUnsafeBytes(of: (1.0 / 3.0).bitPattern.littleEndian) { bytes += $0 }
        withUnsafeBytes(of: Float(0.1).bitPattern.littleEndian) { bytes += $0 }
        let data = file(header: #"{"d":{"dtype":"F64","shape":[],"data_offsets":[0,8]},"f":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}}"#,
                        data: bytes)
        let parsed = try SafeTensors(data: data)
        #expect(try parsed.doubles("d") == [1.0 / 3.0])
        #expect(try parsed.doubles("f") == [Double(Float(0.1))])
    }

    @Test func integerTensorsAreRecognisedButNotConverted() throws {
        let data = file(header: #"{"i":{"dtype":"I32","shape":[1],"data_offsets":[0,4]}}"#, data: [1, 0, 0, 0])
        let parsed = try SafeTensors(data: data)
        #expect(throws: SafeTensorsError.unsupportedDType(tensor: "i", dtype: .i32)) { try parsed.floats("i") }
        #expect(throws: SafeTensorsError.missingTensor("nope")) { try parsed.floats("nope") }
    }
}

@Suite struct HostileFiles {
    @Test func tooShortForTheLength() {
        expectError(.truncatedLength(fileSize: 5), Data([1, 2, 3, 4, 5]))
        expectError(.truncatedLength(fileSize: 0), Data())
    }

    @Test func absurdHeaderLengths() {
        expectError(.headerLengthOutOfBounds(declared: 1 << 63, available: 2), file(header: "{}", declaredLength: 1 << 63))
        expectError(.headerLengthOutOfBounds(declared: .max, available: 2), file(header: "{}", declaredLength: .max))
        expectError(.headerLengthOutOfBounds(declared: 3, available: 2), file(header: "{}", declaredLength: 3))
    }

    @Test func headerNotUTF8OrNotJSON() {
        var bad = Data()
        withUnsafeBytes(of: UInt64(3).littleEndian) { bad.append(contentsOf: $0) }
        bad.append(contentsOf: [0x7B, 0xFF, 0x7D])  // "{", invalid byte, "}"
        expectError(.headerNotUTF8, bad)
        for header in ["", "{", "not json", "[1, 2]", "\"text\"", "{\"a\": }"] {
            do {
                _ = try SafeTensors(data: file(header: header))
                Issue.record("header \(header) parsed")
            } catch {
                guard case .headerNotJSON = error else { Issue.record("header \(header): \(error)"); continue }
            }
        }
    }

    @Test func malformedEntries() throws {
        let cases: [(String, String)] = [
            (#"{"t": 3}"#, "entry is not an object"),
            (#"{"t": {"shape": [1], "data_offsets": [0, 4]}}"#, "'dtype' is missing or not a string"),
            (#"{"t": {"dtype": "F32", "data_offsets": [0, 4]}}"#, "'shape' is missing or not an array"),
            (#"{"t": {"dtype": "F32", "shape": [-1], "data_offsets": [0, 4]}}"#, "'shape' holds -1, not a non-negative integer"),
            (#"{"t": {"dtype": "F32", "shape": [1.5], "data_offsets": [0, 4]}}"#, "'shape' holds 1.5, not a non-negative integer"),
            (#"{"t": {"dtype": "F32", "shape": [1], "data_offsets": [0]}}"#, "'data_offsets' must be two non-negative integers [begin, end]"),
            (#"{"t": {"dtype": "F32", "shape": [1], "data_offsets": [0, "4"]}}"#, "'data_offsets' must be two non-negative integers [begin, end]"),
            (#"{"t": {"dtype": "F32", "shape": [1], "data_offsets": [0, 1e300]}}"#, "'data_offsets' must be two non-negative integers [begin, end]"),
            (#"{"t": {"dtype": "F32", "shape": [true], "data_offsets": [0, 4]}}"#, "'shape' holds 1, not a non-negative integer"),
        ]
        for (header, reason) in cases {
            expectError(.malformedEntry(tensor: "t", reason: reason), file(header: header, data: [0, 0, 0, 0]))
        }
        expectError(.unknownDType(tensor: "t", dtype: "F33"),
                    file(header: #"{"t": {"dtype": "F33", "shape": [1], "data_offsets": [0, 4]}}"#, data: [0, 0, 0, 0]))
        expectError(.malformedMetadata("value for 'k' is not a string"), file(header: #"{"__metadata__": {"k": 1}}"#))
    }

    @Test func offsetsAndSizesAreChecked() {
        expectError(.offsetsOutOfBounds(tensor: "t", begin: 0, end: 8, dataSize: 4),
                    file(header: #"{"t": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}}"#, data: [0, 0, 0, 0]))
        expectError(.offsetsOutOfBounds(tensor: "t", begin: 4, end: 0, dataSize: 4),
                    file(header: #"{"t": {"dtype": "F32", "shape": [0], "data_offsets": [4, 0]}}"#, data: [0, 0, 0, 0]))
        expectError(.byteLengthMismatch(tensor: "t", shape: [2], dtype: .f32, expectedBytes: 8, actualBytes: 4),
                    file(header: #"{"t": {"dtype": "F32", "shape": [2], "data_offsets": [0, 4]}}"#, data: [0, 0, 0, 0]))
        // A shape whose byte count overflows Int is a mismatch, not a crash.
        expectError(.byteLengthMismatch(tensor: "t", shape: [1 << 40, 1 << 40], dtype: .f32, expectedBytes: .max, actualBytes: 4),
                    file(header: #"{"t": {"dtype": "F32", "shape": [1099511627776, 1099511627776], "data_offsets": [0, 4]}}"#,
                         data: [0, 0, 0, 0]))
    }

    @Test func overlapsAndHolesAreRejected() {
        expectError(.overlappingTensors("a", "b"), file(header: """
            {"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},
             "b": {"dtype": "F32", "shape": [1], "data_offsets": [4, 8]}}
            """, data: [UInt8](repeating: 0, count: 8)))
        expectError(.uncoveredBytes(begin: 0, end: 4), file(header: """
            {"a": {"dtype": "F32", "shape": [1], "data_offsets": [4, 8]}}
            """, data: [UInt8](repeating: 0, count: 8)))
        expectError(.uncoveredBytes(begin: 4, end: 12), file(header: """
            {"a": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}}
            """, data: [UInt8](repeating: 0, count: 12)))
    }

    @Test func truncatedDataSectionIsCaughtBeforeReading() {
        // The header promises 16 bytes, the file holds 8: the tensor lies outside the data.
        expectError(.offsetsOutOfBounds(tensor: "t", begin: 0, end: 16, dataSize: 8),
                    file(header: #"{"t": {"dtype": "F32", "shape": [4], "data_offsets": [0, 16]}}"#,
                         data: [UInt8](repeating: 0, count: 8)))
    }

    @Test func randomGarbageNeverCrashes() {
        // Random bytes, and random corruptions of a valid file: each parse must either succeed
        // or throw a SafeTensorsError; reading every tensor of a parsed file must not crash.
        var state: UInt64 = 0x1234_5678
        func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        let valid = try! SafeTensors.encode([.init(name: "w", shape: [2, 3], values: [1, 2, 3, 4, 5, 6]),
                                             .init(name: "b", shape: [3], values: [7, 8, 9])])
        var parsed = 0
        for trial in 0..<2_000 {
            var bytes = [UInt8](valid)
            if trial % 4 == 0 {
                bytes = (0..<Int(next() % 96)).map { _ in UInt8(truncatingIfNeeded: next()) }
            } else {
                for _ in 0..<(1 + Int(next() % 4)) {
                    let index = Int(next() % UInt64(bytes.count))
                    bytes[index] = UInt8(truncatingIfNeeded: next())
                }
                if next() % 3 == 0 { bytes.removeLast(Int(next() % UInt64(bytes.count))) }
            }
            if let file = try? SafeTensors(data: Data(bytes)) {
                parsed += 1
                for name in file.names { _ = try? file.floats(name) }
            }
        }
        #expect(parsed > 0, "some corruptions (e.g. in the data bytes) leave a valid file")
    }
}
