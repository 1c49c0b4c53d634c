import Foundation

/// Writing the files of a checkpoint directory so that a crash never corrupts the last good one:
/// every file is first written in full (and flushed to disk) to a temporary name in the same directory, and only when
/// all of them are written are they renamed into place, one `rename` each (atomic on POSIX
/// file systems), the marker file `training.json` last. Each file carries the step it belongs to,
/// so a reader can tell a complete checkpoint from one whose renames were cut short.
///
/// A directory that exists, is not empty and holds no `training.json` is somebody else's: it is
/// refused, and nothing is written into it. In a checkpoint directory, only the checkpoint's own
/// file names are ever replaced. A run holds an exclusive lock on the directory's `.lock` for its
/// whole length (`lock`), which also removes the temporaries of runs that died mid-write.
enum CheckpointDirectory {
    /// The file that marks a directory as a training checkpoint, written last.
    static let marker = "training.json"
    /// The file a run holds an exclusive lock on (`flock`) while it writes into the directory,
    /// holding the run's process id.
    static let lockFile = ".lock"
    /// Held while a checkpoint is written: whoever stops the process (a signal's handler) takes it
    /// first, so that a write in progress finishes and leaves no temporary file.
    static let writing = NSLock()

    /// Whether `name` is a temporary file of a write (`.<file>.<pid>.tmp`), and its process id.
    static func temporaryProcess(_ name: String) -> Int32? {
        guard name.hasPrefix("."), name.hasSuffix(".tmp") else { return nil }
        let parts = name.dropLast(4).split(separator: ".")
        return parts.count >= 2 ? Int32(parts[parts.count - 1]) : nil
    }

    /// Whether process `pid` is alive (or cannot be told: it exists under another user).
    static func isAlive(_ pid: Int32) -> Bool {
        kill(pid, 0) == 0 || errno == EPERM
    }

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
        // The lock file and the temporaries of writes cut short are the checkpoint's own.
        let foreign = contents.filter { $0 != lockFile && temporaryProcess($0) == nil }
        guard foreign.isEmpty || contents.contains(marker) else {
            throw .notACheckpoint(path: directory.path, found: foreign.sorted())
        }
    }

    /// Takes the exclusive lock of `directory` (created when missing, after `check`) for as long as
    /// the returned handle lives, and removes the temporaries that processes no longer alive left
    /// behind. Throws `.file` naming the process that holds the lock: two runs never write into one
    /// directory.
    static func lock(_ directory: URL) throws(TrainingError) -> FileHandle {
        try prepare(directory)
        let path = directory.appendingPathComponent(lockFile).path
        let descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw .file(path: path, reason: String(cString: strerror(errno))) }
        let handle = FileHandle(fileDescriptor: descriptor, closeOnDealloc: true)
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            let holder = (try? handle.readToEnd()).flatMap { String(decoding: $0, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines) }
            throw .file(path: directory.path, reason: "in use by pid \(holder.map { $0.isEmpty ? "?" : $0 } ?? "?") "
                        + "(another run writes into it); wait for it to end, or choose another --out")
        }
        let pid = Data("\(ProcessInfo.processInfo.processIdentifier)\n".utf8)
        _ = ftruncate(descriptor, 0)
        _ = pid.withUnsafeBytes { pwrite(descriptor, $0.baseAddress, $0.count, 0) }
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        for name in names {
            if let owner = temporaryProcess(name), !isAlive(owner) || owner == ProcessInfo.processInfo.processIdentifier {
                try? FileManager.default.removeItem(at: directory.appendingPathComponent(name))
            }
        }
        return handle
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
        writing.lock()
        defer { writing.unlock() }
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
                // The temporary that failed (a full disk leaves it half written) and those before it.
                try? FileManager.default.removeItem(at: temporary)
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
