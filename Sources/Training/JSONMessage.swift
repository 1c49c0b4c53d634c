import Foundation

/// A JSON decoding error in words: where in the file (the keys' path) and what was wrong, not
/// Foundation's `DecodingError` dump.
enum JSONMessage {
    static func describe(_ error: any Error, data: Data) -> String {
        guard let error = error as? DecodingError else { return (error as NSError).localizedDescription }
        func path(_ context: DecodingError.Context) -> String {
            let keys = context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }
            return keys.isEmpty ? "the top level" : keys.joined(separator: ".")
        }
        switch error {
        case .typeMismatch(let type, let context):
            return "\(path(context)): expected a value of type \(type)"
        case .valueNotFound(let type, let context):
            return "\(path(context)): expected a value of type \(type), found null"
        case .keyNotFound(let key, let context):
            return "\(path(context)): missing key '\(key.stringValue)'"
        case .dataCorrupted(let context):
            // A number that does not fit the field's type: 40.5 for an integer, or an integer
            // beyond 64 bits.
            // Foundation reports such a number as corrupted data at that field's path, or on Linux
            // with no path at all: then the text parses as JSON, and it is a value, not the syntax.
            let fits = "not a value of the field's type (an integer field holds a whole number of at most 64 bits)"
            if !context.codingPath.isEmpty { return "\(path(context)): \(fits)" }
            return (try? JSONSerialization.jsonObject(with: data)) == nil
                ? "not valid JSON"
                : "valid JSON, but a field holds a value of another type (an integer field holds a whole number of at most 64 bits)"
        @unknown default:
            return "\(error)"
        }
    }
}
