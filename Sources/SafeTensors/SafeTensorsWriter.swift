import Foundation

extension SafeTensors {
    /// A tensor to write: a name, a shape, and its values in row-major order.
    public struct Entry: Sendable {
        public let name: String
        public let shape: [Int]
        public let values: [Float]
        public init(name: String, shape: [Int], values: [Float]) {
            self.name = name
            self.shape = shape
            self.values = values
        }
    }

    /// Encodes F32 tensors as a safetensors file: tensors laid out in the order given, the
    /// header's keys sorted (so the same tensors always give the same bytes) and padded with
    /// spaces to a multiple of 8 bytes, as the reference implementation does.
    public static func encode(_ entries: [Entry], metadata: [String: String] = [:]) throws(SafeTensorsError) -> Data {
        var header: [String: Any] = [:]
        var offset = 0
        for entry in entries {
            guard entry.name != "__metadata__", header[entry.name] == nil else { throw .duplicateTensor(entry.name) }
            guard entry.shape.allSatisfy({ $0 >= 0 }), entry.shape.reduce(1, *) == entry.values.count else {
                throw .valueCountMismatch(tensor: entry.name, shape: entry.shape, values: entry.values.count)
            }
            let size = 4 * entry.values.count
            header[entry.name] = ["dtype": "F32", "shape": entry.shape, "data_offsets": [offset, offset + size]] as [String: Any]
            offset += size
        }
        if !metadata.isEmpty { header["__metadata__"] = metadata }
        var json: Data
        do {
            json = try JSONSerialization.data(withJSONObject: header, options: [.sortedKeys, .withoutEscapingSlashes])
        } catch {
            throw .io(path: "<header>", reason: (error as NSError).localizedDescription)
        }
        json.append(contentsOf: [UInt8](repeating: 0x20, count: (8 - json.count % 8) % 8))
        var out = Data()
        withUnsafeBytes(of: UInt64(json.count).littleEndian) { out.append(contentsOf: $0) }
        out.append(json)
        for entry in entries {
            for value in entry.values {
                withUnsafeBytes(of: value.bitPattern.littleEndian) { out.append(contentsOf: $0) }
            }
        }
        return out
    }

    /// Writes F32 tensors to `url` (see `encode`).
    public static func write(_ entries: [Entry], metadata: [String: String] = [:], to url: URL) throws(SafeTensorsError) {
        let data = try encode(entries, metadata: metadata)
        do {
            try data.write(to: url, options: .atomic)
        } catch {
            throw .io(path: url.path, reason: (error as NSError).localizedDescription)
        }
    }
}
