import Foundation
import Matrices

/// yet-another-retnet's own logits for a checkpoint, as its fixture script records them in
/// `logits.json`: the tokens, the chunk size B, and the logits (float64) of its three forms —
/// `forward_parallel`, `forward_recurrent` token by token, and `forward_chunkwise` over chunks of
/// B tokens (the last holding the remainder).
public struct RecordedForms: Sendable {
    public let tokens: [Int]
    public let chunkSize: Int
    public let parallel: Matrix<Double>
    public let recurrent: Matrix<Double>
    public let chunkwise: Matrix<Double>

    /// Reads `logits.json`; every matrix must have one row per token.
    public init(contentsOf url: URL) throws(YetAnotherRetNetError) {
        guard let data = try? Data(contentsOf: url) else { throw .missingFile(url.path) }
        guard let json = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
            throw .unreadableConfig(path: url.path, reason: "not a JSON object")
        }
        guard let tokens = json["tokens"] as? [Int], !tokens.isEmpty, let chunk = json["chunk_size"] as? Int, chunk >= 1 else {
            throw .unreadableConfig(path: url.path, reason: "'tokens' (at least one) or 'chunk_size' (at least 1) is missing")
        }
        func matrix(_ key: String) throws(YetAnotherRetNetError) -> Matrix<Double> {
            guard let rows = json[key] as? [[NSNumber]], rows.count == tokens.count, let width = rows.first?.count, width > 0,
                  rows.allSatisfy({ $0.count == width }) else {
                throw .unreadableConfig(path: url.path, reason: "'\(key)' is not a matrix of numbers with one row per token")
            }
            return Matrix(rows.map { $0.map(\.doubleValue) })
        }
        self.tokens = tokens
        chunkSize = chunk
        parallel = try matrix("parallel")
        recurrent = try matrix("recurrent")
        chunkwise = try matrix("chunkwise")
    }
}
