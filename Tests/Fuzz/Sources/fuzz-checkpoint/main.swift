import CLibFuzzer
import Foundation
import PackedCheckpoint
import TorchscaleCheckpoint

/// One input: a checkpoint directory as `PackedCheckpoint` packs it (config.json, then
/// model.safetensors). Every input must load into a model or fail with a `CheckpointError`.
@_cdecl("LLVMFuzzerTestOneInput")
func fuzzCheckpoint(_ bytes: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    guard PackedCheckpoint.unpack(bytes, count: count, into: directory) else { return 0 }
    if let checkpoint = try? TorchscaleCheckpoint(directory: directory) {
        _ = try? checkpoint.storedBuffers()
        _ = try? checkpoint.model(Float.self)
    }
    return 0
}

let directory = PackedCheckpoint.scratchDirectory("fuzz-checkpoint")

// libFuzzer's main calls LLVMFuzzerTestOneInput; as SwiftPM links an executable's own main, it
// hands the same function to libFuzzer's driver.
var argc = CommandLine.argc
var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
exit(LLVMFuzzerRunDriver(&argc, &argv) { data, size in fuzzCheckpoint(data, size) })
