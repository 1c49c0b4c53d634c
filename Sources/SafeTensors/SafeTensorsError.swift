/// Everything that can be wrong with a safetensors file, each with what was found and what was
/// expected. The reader never trusts the header: every length and offset is checked before use.
public enum SafeTensorsError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Fewer than the 8 bytes of the header length.
    case truncatedLength(fileSize: Int)
    /// The declared header length does not fit in the file (or is absurd, e.g. 2⁶³).
    case headerLengthOutOfBounds(declared: UInt64, available: Int)
    /// The header bytes are not UTF-8.
    case headerNotUTF8
    /// The header is not a JSON object (the text says what the parser reported).
    case headerNotJSON(String)
    /// A tensor entry lacks a field or has one of the wrong kind.
    case malformedEntry(tensor: String, reason: String)
    /// `__metadata__` is not an object of strings.
    case malformedMetadata(String)
    /// A dtype name this format does not define.
    case unknownDType(tensor: String, dtype: String)
    /// A dtype that exists but is not converted to Float by this reader.
    case unsupportedDType(tensor: String, dtype: DType)
    /// shape × dtype size ≠ the byte length given by data_offsets.
    case byteLengthMismatch(tensor: String, shape: [Int], dtype: DType, expectedBytes: Int, actualBytes: Int)
    /// data_offsets reach outside the data section, or end before they begin.
    case offsetsOutOfBounds(tensor: String, begin: Int, end: Int, dataSize: Int)
    /// Two tensors share bytes.
    case overlappingTensors(String, String)
    /// Bytes of the data section that no tensor covers (the format forbids holes).
    case uncoveredBytes(begin: Int, end: Int)
    /// A tensor name that is not in the file.
    case missingTensor(String)
    /// A tensor name given twice when writing.
    case duplicateTensor(String)
    /// Writing: the number of values does not match the shape.
    case valueCountMismatch(tensor: String, shape: [Int], values: Int)
    /// Reading or writing the file failed.
    case io(path: String, reason: String)
    /// A value that is not finite (NaN or ±infinity) where only finite ones are accepted, at its
    /// row-major coordinates in the tensor.
    case nonFinite(tensor: String, index: [Int], value: Float)

    public var description: String {
        switch self {
        case .truncatedLength(let size):
            "safetensors: file has \(size) bytes, fewer than the 8-byte header length"
        case .headerLengthOutOfBounds(let declared, let available):
            "safetensors: header length \(declared) exceeds the \(available) bytes after the length field"
        case .headerNotUTF8:
            "safetensors: header is not valid UTF-8"
        case .headerNotJSON(let reason):
            "safetensors: header is not a JSON object (\(reason))"
        case .malformedEntry(let tensor, let reason):
            "safetensors: tensor '\(tensor)': \(reason)"
        case .malformedMetadata(let reason):
            "safetensors: __metadata__ \(reason)"
        case .unknownDType(let tensor, let dtype):
            "safetensors: tensor '\(tensor)' has unknown dtype '\(dtype)'"
        case .unsupportedDType(let tensor, let dtype):
            "safetensors: tensor '\(tensor)' has dtype \(dtype.rawValue); only F64, F32, F16 and BF16 convert to Float"
        case .byteLengthMismatch(let tensor, let shape, let dtype, let expected, let actual):
            "safetensors: tensor '\(tensor)' of shape \(shape) and dtype \(dtype.rawValue) needs \(expected) bytes, data_offsets give \(actual)"
        case .offsetsOutOfBounds(let tensor, let begin, let end, let size):
            "safetensors: tensor '\(tensor)' data_offsets [\(begin), \(end)] are outside the \(size)-byte data section"
        case .overlappingTensors(let a, let b):
            "safetensors: tensors '\(a)' and '\(b)' overlap"
        case .uncoveredBytes(let begin, let end):
            "safetensors: data bytes [\(begin), \(end)) belong to no tensor"
        case .missingTensor(let name):
            "safetensors: no tensor named '\(name)'"
        case .duplicateTensor(let name):
            "safetensors: tensor '\(name)' given twice"
        case .valueCountMismatch(let tensor, let shape, let values):
            "safetensors: tensor '\(tensor)' of shape \(shape) needs \(shape.reduce(1, *)) values, got \(values)"
        case .io(let path, let reason):
            "safetensors: \(path): \(reason)"
        case .nonFinite(let tensor, let index, let value):
            "safetensors: tensor '\(tensor)' holds \(value.isNaN ? "NaN" : "\(value)") at index \(index); its values must be finite"
        }
    }
}
