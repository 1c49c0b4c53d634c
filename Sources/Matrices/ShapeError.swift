import ComplexModule
import RealModule
/// Bad input to a computation: an argument whose shape or value is not what the math needs.
/// The message names the argument, what was expected and what was given.
public struct ShapeError: Error, Equatable, Sendable, CustomStringConvertible {
    public let argument: String
    public let expected: String
    public let got: String

    public init(argument: String, expected: String, got: String) {
        self.argument = argument
        self.expected = expected
        self.got = got
    }

    public var description: String { "\(argument): expected \(expected), got \(got)" }

    /// Throws unless `matrix` is `rows`×`columns` (nil means "any").
    public static func require<E>(_ matrix: Matrix<E>, _ argument: String, rows: Int? = nil, columns: Int? = nil,
                                  _ meaning: String = "") throws(ShapeError) {
        if let rows, matrix.rows != rows {
            throw ShapeError(argument: argument, expected: "\(rows) rows\(meaning)", got: "\(matrix.shape)")
        }
        if let columns, matrix.columns != columns {
            throw ShapeError(argument: argument, expected: "\(columns) columns\(meaning)", got: "\(matrix.shape)")
        }
    }
}
