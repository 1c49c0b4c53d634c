import Foundation

/// A checkpoint directory packed into one fuzz input, as fuzz-checkpoint and fuzz-yar-checkpoint
/// read it: a 4-byte little-endian length n, then n bytes of config.json, then model.safetensors
/// (the rest; n is cut to what the input holds).
public enum PackedCheckpoint {
    /// Writes the input's two files into `directory`, replacing the previous input's; false (and
    /// nothing written) for an input shorter than its 4-byte length.
    public static func unpack(_ bytes: UnsafePointer<UInt8>?, count: Int, into directory: URL) -> Bool {
        guard let bytes, count >= 4 else { return false }
        let input = UnsafeBufferPointer(start: bytes, count: count)
        let declared = input.prefix(4).enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
        let split = 4 + min(declared, input.count - 4)
        do {
            try Data(input[4..<split]).write(to: directory.appendingPathComponent("config.json"))
            try Data(input[split...]).write(to: directory.appendingPathComponent("model.safetensors"))
        } catch {
            fatalError("cannot write the scratch checkpoint in \(directory.path): \(error)")
        }
        return true
    }

    /// One scratch directory per process, rewritten by every input: $FUZZ_SCRATCH when set (the
    /// run script makes one in /dev/shm and removes it), else `name`-pid in the temporary folder.
    public static func scratchDirectory(_ name: String) -> URL {
        let url = ProcessInfo.processInfo.environment["FUZZ_SCRATCH"].map { URL(fileURLWithPath: $0) }
            ?? FileManager.default.temporaryDirectory.appendingPathComponent("\(name)-\(getpid())")
        try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }
}
