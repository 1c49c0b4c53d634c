import CLibFuzzer
import Foundation
import SafeTensors

/// One input: a whole safetensors file. Every input must give a parsed file or a
/// `SafeTensorsError`; every tensor of a parsed file must convert or throw.
@_cdecl("LLVMFuzzerTestOneInput")
func fuzzSafeTensors(_ bytes: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    guard let bytes else { return 0 }
    guard let file = try? SafeTensors(data: Data(bytes: bytes, count: count)) else { return 0 }
    for name in file.names { _ = try? file.floats(name) }
    return 0
}

// libFuzzer's main calls LLVMFuzzerTestOneInput; as SwiftPM links an executable's own main, it
// hands the same function to libFuzzer's driver.
var argc = CommandLine.argc
var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
exit(LLVMFuzzerRunDriver(&argc, &argv) { data, size in fuzzSafeTensors(data, size) })
