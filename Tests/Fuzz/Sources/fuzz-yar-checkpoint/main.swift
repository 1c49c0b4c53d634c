import CLibFuzzer
import Foundation
import YetAnotherRetNetCheckpoint

/// One input: a yet-another-retnet checkpoint directory packed as a 4-byte little-endian length
/// n, then n bytes of config.json, then model.safetensors (the rest). Every input must load into
/// a model or fail with a `YetAnotherRetNetError`.
@_cdecl("LLVMFuzzerTestOneInput")
func fuzzYetAnotherRetNetCheckpoint(_ bytes: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    guard let bytes else { return 0 }
    let input = UnsafeBufferPointer(start: bytes, count: count)
    guard input.count >= 4 else { return 0 }
    let declared = input.prefix(4).enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
    let split = 4 + min(declared, input.count - 4)
    do {
        try Data(input[4..<split]).write(to: directory.appendingPathComponent("config.json"))
        try Data(input[split...]).write(to: directory.appendingPathComponent("model.safetensors"))
    } catch {
        fatalError("cannot write the scratch checkpoint in \(directory.path): \(error)")
    }
    if let checkpoint = try? YetAnotherRetNetCheckpoint(directory: directory) {
        _ = checkpoint.parameterCount
        _ = try? checkpoint.model(Float.self)
    }
    return 0
}

/// One scratch directory per process, rewritten by every input: $FUZZ_SCRATCH when set (the run
/// script makes one in /dev/shm and removes it), else one in the temporary folder.
let directory: URL = {
    let url = ProcessInfo.processInfo.environment["FUZZ_SCRATCH"].map { URL(fileURLWithPath: $0) }
        ?? FileManager.default.temporaryDirectory.appendingPathComponent("fuzz-yar-checkpoint-\(getpid())")
    try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}()

// libFuzzer's main calls LLVMFuzzerTestOneInput; as SwiftPM links an executable's own main, it
// hands the same function to libFuzzer's driver.
var argc = CommandLine.argc
var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
exit(LLVMFuzzerRunDriver(&argc, &argv) { data, size in fuzzYetAnotherRetNetCheckpoint(data, size) })
