import Foundation

/// A safetensors file, read and checked: the tensors' names, dtypes, shapes and byte ranges,
/// the optional `__metadata__`, and the raw bytes they index.
///
/// The format (huggingface/safetensors): an 8-byte little-endian header length N, N bytes of
/// UTF-8 JSON mapping each tensor name to `{"dtype", "shape", "data_offsets": [begin, end]}`
/// (offsets relative to the data section that follows the header), then the data section.
/// No Swift package for it is available here, so this is written by hand, with every length,
/// offset and size checked before any byte is read: a hostile file produces a
/// `SafeTensorsError`, never a crash.
public struct SafeTensors: Sendable {
    /// One tensor's entry in the header.
    public struct Tensor: Sendable, Equatable {
        public let name: String
        public let dtype: DType
        public let shape: [Int]
        /// Byte range within the data section.
        public let byteRange: Range<Int>
        /// Number of elements, the product of the shape (1 for a scalar, shape []).
        public var count: Int { shape.reduce(1, *) }
    }

    /// The tensors by name.
    public let tensors: [String: Tensor]
    /// The free-form string metadata (`__metadata__`), empty when absent.
    public let metadata: [String: String]
    /// The whole file.
    private let bytes: Data
    /// Where the data section starts in `bytes`.
    private let dataStart: Int

    /// Tensor names, sorted.
    public var names: [String] { tensors.keys.sorted() }

    /// Reads and checks a file (memory-mapped when the system allows).
    public init(contentsOf url: URL) throws(SafeTensorsError) {
        guard !isEmptyFile(url) else { throw .truncatedLength(fileSize: 0) }
        let data: Data
        do {
            data = try Data(contentsOf: url, options: .mappedIfSafe)
        } catch {
            throw .io(path: url.path, reason: (error as NSError).localizedDescription)
        }
        try self.init(data: data)
    }

    /// Parses and checks the bytes of a safetensors file.
    public init(data: Data) throws(SafeTensorsError) {
        // Offsets below count from 0: rebase a slice, but never copy a whole (mapped) file.
        let bytes = data.startIndex == 0 ? data : Data(data)
        guard bytes.count >= 8 else { throw .truncatedLength(fileSize: bytes.count) }
        let declared = bytes.withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self)) }
        let available = bytes.count - 8
        guard declared <= UInt64(available) else {
            throw .headerLengthOutOfBounds(declared: declared, available: available)
        }
        let headerLength = Int(declared)
        let headerBytes = bytes.subdata(in: 8..<(8 + headerLength))
        guard String(data: headerBytes, encoding: .utf8) != nil else { throw .headerNotUTF8 }
        let json: Any
        do {
            json = try JSONSerialization.jsonObject(with: headerBytes, options: [])
        } catch {
            throw .headerNotJSON((error as NSError).localizedDescription)
        }
        guard let header = json as? [String: Any] else { throw .headerNotJSON("the top level is not an object") }

        let dataSize = available - headerLength
        var tensors: [String: Tensor] = [:]
        var metadata: [String: String] = [:]
        for (name, value) in header {
            if name == "__metadata__" {
                guard let entries = value as? [String: Any] else { throw .malformedMetadata("is not an object") }
                for (key, item) in entries {
                    guard let text = item as? String else { throw .malformedMetadata("value for '\(key)' is not a string") }
                    metadata[key] = text
                }
                continue
            }
            tensors[name] = try Self.tensor(name, value, dataSize: dataSize)
        }
        try Self.checkLayout(Array(tensors.values), dataSize: dataSize)
        self.tensors = tensors
        self.metadata = metadata
        self.bytes = bytes
        self.dataStart = 8 + headerLength
    }

    /// The entry for `name`.
    public func tensor(_ name: String) throws(SafeTensorsError) -> Tensor {
        guard let tensor = tensors[name] else { throw .missingTensor(name) }
        return tensor
    }

    /// The values of tensor `name` in row-major order, converted to Float (F64 is rounded,
    /// F32 is exact, F16 and BF16 are widened exactly).
    public func floats(_ name: String) throws(SafeTensorsError) -> [Float] {
        let tensor = try tensor(name)
        guard tensor.dtype.convertsToFloat else { throw .unsupportedDType(tensor: name, dtype: tensor.dtype) }
        let start = dataStart + tensor.byteRange.lowerBound
        return bytes.withUnsafeBytes { (raw: UnsafeRawBufferPointer) -> [Float] in
            let base = raw.baseAddress!.advanced(by: start)
            let n = tensor.count
            switch tensor.dtype {
            case .f32:
                return (0..<n).map { Float(bitPattern: UInt32(littleEndian: base.loadUnaligned(fromByteOffset: 4 * $0, as: UInt32.self))) }
            case .f64:
                return (0..<n).map { Float(Double(bitPattern: UInt64(littleEndian: base.loadUnaligned(fromByteOffset: 8 * $0, as: UInt64.self)))) }
            case .f16:
                return (0..<n).map { HalfPrecision.float(fromF16: UInt16(littleEndian: base.loadUnaligned(fromByteOffset: 2 * $0, as: UInt16.self))) }
            case .bf16:
                return (0..<n).map { HalfPrecision.float(fromBF16: UInt16(littleEndian: base.loadUnaligned(fromByteOffset: 2 * $0, as: UInt16.self))) }
            default:
                return []  // excluded by the guard above
            }
        }
    }

    /// `floats(name)`, refused unless every value is finite: a model's weights (or an optimiser's
    /// moments) with a NaN or an infinity would only ever compute NaN. Throws `.nonFinite` naming
    /// the tensor, the first such value's place and the value.
    public func finiteFloats(_ name: String) throws(SafeTensorsError) -> [Float] {
        let values = try floats(name)
        if let index = values.firstIndex(where: { !$0.isFinite }) {
            throw .nonFinite(tensor: name, index: Self.coordinates(of: index, in: try tensor(name).shape), value: values[index])
        }
        return values
    }

    /// The row-major coordinates of flat index `index` in a tensor of `shape`.
    static func coordinates(of index: Int, in shape: [Int]) -> [Int] {
        var rest = index
        var out = [Int](repeating: 0, count: shape.count)
        for axis in shape.indices.reversed() where shape[axis] > 0 {
            (rest, out[axis]) = rest.quotientAndRemainder(dividingBy: shape[axis])
        }
        return out
    }

    /// The values of tensor `name` in row-major order as Double: F64 exactly (where `floats`
    /// rounds it: float64 references such as autograd's gradients need every bit), the other
    /// floating-point types widened exactly from `floats`.
    public func doubles(_ name: String) throws(SafeTensorsError) -> [Double] {
        let tensor = try tensor(name)
        guard tensor.dtype == .f64 else { return try floats(name).map(Double.init) }
        let start = dataStart + tensor.byteRange.lowerBound
        return bytes.withUnsafeBytes { (raw: UnsafeRawBufferPointer) -> [Double] in
            let base = raw.baseAddress!.advanced(by: start)
            return (0..<tensor.count).map {
                Double(bitPattern: UInt64(littleEndian: base.loadUnaligned(fromByteOffset: 8 * $0, as: UInt64.self)))
            }
        }
    }

    // MARK: - Checking the header

    private static func tensor(_ name: String, _ value: Any, dataSize: Int) throws(SafeTensorsError) -> Tensor {
        guard let entry = value as? [String: Any] else { throw .malformedEntry(tensor: name, reason: "entry is not an object") }
        guard let dtypeName = entry["dtype"] as? String else {
            throw .malformedEntry(tensor: name, reason: "'dtype' is missing or not a string")
        }
        guard let dtype = DType(rawValue: dtypeName) else { throw .unknownDType(tensor: name, dtype: dtypeName) }
        guard let shapeValues = entry["shape"] as? [Any] else {
            throw .malformedEntry(tensor: name, reason: "'shape' is missing or not an array")
        }
        var shape: [Int] = []
        for item in shapeValues {
            guard let extent = nonNegativeInteger(item) else {
                throw .malformedEntry(tensor: name, reason: "'shape' holds \(item), not a non-negative integer")
            }
            shape.append(extent)
        }
        guard let offsets = entry["data_offsets"] as? [Any], offsets.count == 2,
              let begin = nonNegativeInteger(offsets[0]), let end = nonNegativeInteger(offsets[1]) else {
            throw .malformedEntry(tensor: name, reason: "'data_offsets' must be two non-negative integers [begin, end]")
        }
        guard begin <= end, end <= dataSize else {
            throw .offsetsOutOfBounds(tensor: name, begin: begin, end: end, dataSize: dataSize)
        }
        // shape × dtype size, with overflow treated as "too many bytes".
        var expected = dtype.size
        var overflow = false
        for extent in shape where !overflow {
            (expected, overflow) = expected.multipliedReportingOverflow(by: extent)
        }
        guard !overflow, expected == end - begin else {
            throw .byteLengthMismatch(tensor: name, shape: shape, dtype: dtype,
                                      expectedBytes: overflow ? Int.max : expected, actualBytes: end - begin)
        }
        return Tensor(name: name, dtype: dtype, shape: shape, byteRange: begin..<end)
    }

    /// Tensors must tile the data section exactly: no overlaps, no bytes left over.
    private static func checkLayout(_ tensors: [Tensor], dataSize: Int) throws(SafeTensorsError) {
        let ordered = tensors.sorted {
            ($0.byteRange.lowerBound, $0.byteRange.upperBound, $0.name) < ($1.byteRange.lowerBound, $1.byteRange.upperBound, $1.name)
        }
        var covered = 0
        var previous: Tensor?
        for tensor in ordered {
            if let previous, tensor.byteRange.lowerBound < previous.byteRange.upperBound {
                throw .overlappingTensors(previous.name, tensor.name)
            }
            if tensor.byteRange.lowerBound > covered {
                throw .uncoveredBytes(begin: covered, end: tensor.byteRange.lowerBound)
            }
            covered = Swift.max(covered, tensor.byteRange.upperBound)
            if !tensor.byteRange.isEmpty { previous = tensor }
        }
        if covered < dataSize { throw .uncoveredBytes(begin: covered, end: dataSize) }
    }

    /// A JSON number that is an exact non-negative integer small enough to index memory.
    private static func nonNegativeInteger(_ value: Any) -> Int? {
        // JSON `true`/`false` arrive as a boolean NSNumber (type code "c"); they are not sizes.
        guard let number = value as? NSNumber, String(cString: number.objCType) != "c" else { return nil }
        let double = number.doubleValue
        guard double >= 0, double <= 0x1p52, double == double.rounded() else { return nil }
        return Int(double)
    }
}
