import CLibFuzzer
import Foundation
import RetNetModel
import TorchscaleCheckpoint

/// One input: the text of a config.json. Every input must give a checked `RetNetConfig` or a
/// `CheckpointError`.
@_cdecl("LLVMFuzzerTestOneInput")
func fuzzConfig(_ bytes: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    guard let bytes else { return 0 }
    if let config = try? TorchscaleConfig.parse(Data(bytes: bytes, count: count), path: "config.json") {
        _ = config.keyDim + config.headDim + Int(config.embedScale)
    }
    return 0
}

// libFuzzer's main calls LLVMFuzzerTestOneInput; as SwiftPM links an executable's own main, it
// hands the same function to libFuzzer's driver.
var argc = CommandLine.argc
var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
exit(LLVMFuzzerRunDriver(&argc, &argv) { data, size in fuzzConfig(data, size) })
