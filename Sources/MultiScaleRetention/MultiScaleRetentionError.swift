import Matrices
import Retention

/// Bad input to a multi-scale retention layer: a size that does not divide, a decay outside
/// (0, 1], a weight of the wrong shape, a state from another layer. Every message names the
/// field, the value the math needs and the value that was given.
public enum MultiScaleRetentionError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A configuration value, weight or argument that does not fit: `field` names it.
    case invalid(field: String, expected: String, got: String)
    /// An error from one head's retention (a shape or a chunk size), with the head's index.
    case head(Int, RetentionError)

    public var description: String {
        switch self {
        case .invalid(let field, let expected, let got):
            return "\(field): expected \(expected), got \(got)"
        case .head(let index, let error):
            return "head \(index): \(error)"
        }
    }

    /// Throws `.invalid` naming `field` unless `matrix` is `rows`×`columns`.
    package static func requireShape<E>(_ matrix: Matrix<E>, _ field: String, rows: Int, columns: Int, _ meaning: String)
        throws(MultiScaleRetentionError)
    {
        guard matrix.rows == rows && matrix.columns == columns else {
            throw .invalid(field: field, expected: "\(rows)×\(columns) (\(meaning))", got: "\(matrix.shape)")
        }
    }
}
