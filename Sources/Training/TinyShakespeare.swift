import Foundation

/// tiny Shakespeare: 1,115,394 characters of Shakespeare's plays (65 distinct characters), as
/// published with Karpathy's char-rnn and used by nanoGPT's `shakespeare_char` example. Shipped
/// with this module as a resource, beside its attribution (`README.md` in the same folder).
public enum TinyShakespeare {
    /// Where the bundled text file is.
    public static var url: URL? { Bundle.module.url(forResource: "tinyshakespeare", withExtension: "txt") }

    /// The whole text.
    public static func text() throws(TrainingError) -> String {
        guard let url else { throw .file(path: "tinyshakespeare.txt", reason: "the bundled resource is missing") }
        return try readText(url)
    }

    /// The text of a UTF-8 file; refuses a missing, unreadable or empty file.
    public static func readText(_ url: URL) throws(TrainingError) -> String {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory), isDirectory.boolValue {
            throw .file(path: url.path, reason: "is a directory, not a text file")
        }
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw .file(path: url.path, reason: (error as NSError).localizedDescription)
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw .file(path: url.path, reason: "not UTF-8 text")
        }
        guard !text.isEmpty else { throw .emptyText(url.path) }
        return text
    }
}
