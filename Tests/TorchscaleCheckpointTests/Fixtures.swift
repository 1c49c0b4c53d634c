import Foundation
import Matrices

/// The committed torchscale fixtures (Tests/Fixtures/torchscale, made by make_fixtures.py).
enum Fixtures {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/torchscale")

    static let names = ["one-head-gelu", "two-heads-swish-wide-values", "four-heads-three-layers-eps0",
                        "scaled-embedding-eps0"]

    static func directory(_ name: String) -> URL { root.appendingPathComponent(name) }

    /// torchscale's recorded outputs for one fixture.
    struct Record {
        let tokens: [Int]
        let chunkSize: Int
        let eps: Double
        let parallel: Matrix<Double>
        let recurrent: Matrix<Double>
        let chunkwise: Matrix<Double>?
        let parallelFloat64: Matrix<Double>
    }

    static func record(_ name: String) throws -> Record {
        let data = try Data(contentsOf: directory(name).appendingPathComponent("logits.json"))
        let json = try JSONSerialization.jsonObject(with: data) as! [String: Any]
        func matrix(_ key: String) -> Matrix<Double>? {
            guard let rows = json[key] as? [[NSNumber]] else { return nil }
            return Matrix(rows.map { $0.map(\.doubleValue) })
        }
        return Record(tokens: (json["tokens"] as! [NSNumber]).map(\.intValue),
                      chunkSize: (json["chunk_size"] as! NSNumber).intValue,
                      eps: (json["layernorm_eps"] as! NSNumber).doubleValue,
                      parallel: matrix("parallel")!, recurrent: matrix("recurrent")!, chunkwise: matrix("chunkwise"),
                      parallelFloat64: matrix("parallel_float64")!)
    }
}
