import CLibFuzzer
import Foundation
import PackedCheckpoint
import YetAnotherRetNetCheckpoint

/// One input: a yet-another-retnet checkpoint directory as `PackedCheckpoint` packs it
/// (config.json, then model.safetensors). Every input must load into a model or fail with a
/// `YetAnotherRetNetError`.
@_cdecl("LLVMFuzzerTestOneInput")
func fuzzYetAnotherRetNetCheckpoint(_ bytes: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    guard PackedCheckpoint.unpack(bytes, count: count, into: directory) else { return 0 }
    if let checkpoint = try? YetAnotherRetNetCheckpoint(directory: directory) {
        _ = checkpoint.parameterCount
        _ = try? checkpoint.model(Float.self)
    }
    return 0
}

let directory = PackedCheckpoint.scratchDirectory("fuzz-yar-checkpoint")

// libFuzzer's main calls LLVMFuzzerTestOneInput; as SwiftPM links an executable's own main, it
// hands the same function to libFuzzer's driver.
var argc = CommandLine.argc
var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
exit(LLVMFuzzerRunDriver(&argc, &argv) { data, size in fuzzYetAnotherRetNetCheckpoint(data, size) })
