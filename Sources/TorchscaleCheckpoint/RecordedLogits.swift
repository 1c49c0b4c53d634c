import Foundation
import Matrices

/// torchscale's own logits for a checkpoint, as `make_fixtures.py` records them in
/// `logits.json`: the tokens, the chunk size and ε, and the logits of its parallel, recurrent
/// and chunkwise modes in float32 (chunkwise is absent where torchscale produced NaN), and of
/// its parallel mode in float64 with the same weights.
public struct RecordedLogits: Sendable {
    public let tokens: [Int]
    public let chunkSize: Int
    public let layernormEps: Double
    public let parallel: Matrix<Double>
    public let recurrent: Matrix<Double>
    public let chunkwise: Matrix<Double>?
    public let parallelFloat64: Matrix<Double>

    /// Reads `logits.json` (in a checkpoint directory made by the fixture script).
    public init(contentsOf url: URL) throws(CheckpointError) {
        let data: Data
        do { data = try Data(contentsOf: url) } catch { throw .missingFile(url.path) }
        guard let json = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
            throw .unreadableConfig(path: url.path, reason: "not a JSON object")
        }
        func matrix(_ key: String) throws(CheckpointError) -> Matrix<Double>? {
            guard let value = json[key], !(value is NSNull) else { return nil }
            guard let rows = value as? [[NSNumber]], let width = rows.first?.count, rows.allSatisfy({ $0.count == width })
            else { throw .unreadableConfig(path: url.path, reason: "'\(key)' is not a matrix of numbers") }
            return Matrix(rows.map { $0.map(\.doubleValue) })
        }
        func required(_ key: String) throws(CheckpointError) -> Matrix<Double> {
            guard let m = try matrix(key) else { throw .unreadableConfig(path: url.path, reason: "'\(key)' is missing") }
            return m
        }
        guard let tokens = json["tokens"] as? [NSNumber], let chunk = json["chunk_size"] as? NSNumber,
              let eps = json["layernorm_eps"] as? NSNumber else {
            throw .unreadableConfig(path: url.path, reason: "'tokens', 'chunk_size' or 'layernorm_eps' is missing")
        }
        self.tokens = tokens.map(\.intValue)
        chunkSize = chunk.intValue
        layernormEps = eps.doubleValue
        parallel = try required("parallel")
        recurrent = try required("recurrent")
        chunkwise = try matrix("chunkwise")
        parallelFloat64 = try required("parallel_float64")
    }
}
