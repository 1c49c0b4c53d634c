/// Why a recall task or run was refused: the setting, what it must be, what it was.
public enum RecallError: Error, Equatable, Sendable, CustomStringConvertible {
    case setting(name: String, expected: String, got: String)

    public var description: String {
        switch self {
        case let .setting(name, expected, got): "\(name): expected \(expected), got \(got)"
        }
    }
}
