import Foundation

/// The workspace a forward pass leaves behind, kept for the next one: a forward pass of n rows
/// takes it when it has room for n rows, and otherwise allocates one of its own, so that a
/// model run again and again on inputs of one length allocates and faults in its buffers once.
///
/// A workspace taken out belongs to the one call that took it until that call gives it back;
/// two forward passes at once on one model (or on its copies, which share the cache) never
/// share one: the second finds nothing kept and allocates its own. Whichever call gives its
/// workspace back last leaves it here: the model holds on to the buffers its most recent
/// forward pass used until the next pass or until the model (and its copies) are gone.
final class WorkspaceCache: @unchecked Sendable {
    // Why `@unchecked Sendable` is safe: `spare` is read and written only with `lock` held, and a
    // workspace taken out belongs to the one call that took it until it is kept again.
    private let lock = NSLock()
    private var spare: Workspace?

    /// The kept workspace if it has room for `rows` rows, else a new one; either way the cache
    /// is left empty, so that a kept workspace too small for this call is freed before the new
    /// one is allocated (a run of longer and longer inputs never holds two at once).
    func take(_ model: FastRetNet, rows: Int) -> Workspace {
        lock.lock()
        let kept = spare
        spare = nil
        lock.unlock()
        if let kept, kept.rows >= rows { return kept }
        return Workspace(model, rows: rows)
    }

    /// Keeps `workspace` for the next forward pass, in place of any kept before.
    func keep(_ workspace: Workspace) {
        lock.lock()
        spare = workspace
        lock.unlock()
    }

    /// The rows the kept workspace has room for (nil when none is kept).
    var keptRows: Int? {
        lock.lock()
        defer { lock.unlock() }
        return spare?.rows
    }
}
