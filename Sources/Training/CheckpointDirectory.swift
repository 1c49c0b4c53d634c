import Foundation

/// Writing the files of a checkpoint directory so that a crash never corrupts the last good one:
/// every file is first written in full (and flushed to disk) to a temporary name in the same directory, and only when
/// all of them are written are they renamed into place, one `rename` each (atomic on POSIX
/// file systems), the marker file `training.json` last. Each file carries the step it belongs to,
/// so a reader can tell a complete checkpoint from one whose renames were cut short.
///
/// A directory that exists, is not empty and holds no `training.json` is somebody else's: it is
/// refused, and nothing is written into it. In a checkpoint directory, only the checkpoint's own
/// file names are ever replaced.
enum CheckpointDirectory {
    /// The file that marks a directory as a training checkpoint, written last.
    static let marker = "training.json"

    /// Throws `.notACheckpoint` unless `directory` does not exist, is empty, or holds `marker`.
    static func check(_ directory: URL) throws(TrainingError) {
        let manager = FileManager.default
        var isDirectory: ObjCBool = false
        guard manager.fileExists(atPath: directory.path, isDirectory: &isDirectory) else { return }
        guard isDirectory.boolValue else { throw .notACheckpoint(path: directory.path, found: ["(a file, not a directory)"]) }
        let contents: [String]
        do { contents = try manager.contentsOfDirectory(atPath: directory.path) } catch {
            throw .file(path: directory.path, reason: (error as NSError).localizedDescription)
        }
        guard contents.isEmpty || contents.contains(marker) else {
            throw .notACheckpoint(path: directory.path, found: contents.sorted())
        }
    }

    /// `check`, then creates the directory when missing.
    static func prepare(_ directory: URL) throws(TrainingError) {
        try check(directory)
        do { try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true) } catch {
            throw .file(path: directory.path, reason: (error as NSError).localizedDescription)
        }
    }

    /// Writes `files` (name → bytes) into `directory`: all to temporary names, then renamed in
    /// the given order. On failure the temporary files are removed and the old files stay.
    static func write(_ files: [(name: String, data: Data)], to directory: URL) throws(TrainingError) {
        try prepare(directory)
        let pid = ProcessInfo.processInfo.processIdentifier
        var written: [(temporary: URL, final: URL)] = []
        func removeTemporaries() { for file in written { try? FileManager.default.removeItem(at: file.temporary) } }
        for file in files {
            let final = directory.appendingPathComponent(file.name)
            let temporary = directory.appendingPathComponent(".\(file.name).\(pid).tmp")
            do {
                try file.data.write(to: temporary)
                // On disk before the rename makes it the checkpoint's file.
                let handle = try FileHandle(forUpdating: temporary)
                defer { try? handle.close() }
                try handle.synchronize()
            } catch {
                removeTemporaries()
                throw .file(path: temporary.path, reason: (error as NSError).localizedDescription)
            }
            written.append((temporary, final))
        }
        for (index, file) in written.enumerated() where rename(file.temporary.path, file.final.path) != 0 {
            let reason = String(cString: strerror(errno))
            for pending in written[index...] { try? FileManager.default.removeItem(at: pending.temporary) }
            throw .file(path: file.final.path, reason: reason)
        }
    }

    /// The bytes of a file of the directory.
    static func read(_ name: String, in directory: URL) throws(TrainingError) -> Data {
        let url = directory.appendingPathComponent(name)
        do {
            return try Data(contentsOf: url)
        } catch {
            throw .checkpoint(path: directory.path, reason: "cannot read \(name): \((error as NSError).localizedDescription)")
        }
    }
}
