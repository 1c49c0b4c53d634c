import Foundation

/// A chapter's record of a measured run (`--full-run` and the like): written once as sorted,
/// pretty-printed JSON at `path` (relative to the package root) by the run, read by the page.
public protocol MeasuredRecord: Codable {
    /// Where the record lives, relative to the package root.
    static var path: String { get }
}

extension MeasuredRecord {
    /// Writes the record to `path` under `root`, making its folder when needed.
    public func write(under root: URL) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let url = root.appendingPathComponent(Self.path)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try encoder.encode(self).write(to: url)
    }

    /// The record committed under `root`.
    public static func read(from root: URL) throws -> Self {
        try JSONDecoder().decode(Self.self, from: Data(contentsOf: root.appendingPathComponent(path)))
    }
}
