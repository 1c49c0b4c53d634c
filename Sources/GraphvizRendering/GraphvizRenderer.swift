import CGraphviz
import Graphs
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Renders graphs in-process with libgvc: the DOT text that `Graph.dot` encodes is read back by
/// cgraph (`agmemread`), laid out by `dot` (`gvLayout`) and drawn into a file the renderer opens
/// itself (`gvRender` to a `FILE*`).
///
/// Going through DOT text rather than building the graph with cgraph's API keeps one source of
/// truth, the committed `.dot` file, and avoids cgraph's mutable `char*` parameters and its
/// global `Agdirected` descriptor altogether. Opening the file in Swift means an unwritable path
/// is a `RenderError.cannotWrite` with the system's reason, before Graphviz sees it.
///
/// Graphviz keeps global state (cgraph's error buffer, its string pool), so every call into it,
/// from any renderer, is serialised by one lock: renderers may be used from several threads
/// (tests run in parallel) without interleaving inside the library.
public final class GraphvizRenderer: @unchecked Sendable {
    /// The GVC_t context (plugins loaded, as by `gvContext()`), freed in `deinit`.
    private let context: OpaquePointer

    /// Starts a Graphviz context with its installed plugins (the `dot` layout, the SVG renderer,
    /// cairo's PNG renderer).
    public init() throws(RenderError) {
        guard let context = graphviz.withLock({ _ in gvContext() }) else {
            throw .graphvizFailed("gvContext() returned no context")
        }
        self.context = context
    }

    deinit {
        let context = self.context
        graphviz.withLock { _ in _ = gvFreeContext(context) }
    }

    /// Validates `graph`, then renders its DOT text as `format` into the file at `path`
    /// (created or replaced).
    public func render(_ graph: Graph, as format: OutputFormat, to path: String) throws(RenderError) {
        do {
            try graph.validate()
        } catch {
            throw .invalidGraph(error)
        }
        try render(dot: graph.dot, as: format, to: path)
    }

    /// Renders DOT text as `format` into the file at `path` (created or replaced). A file that
    /// could not be completed is removed rather than left half-written.
    public func render(dot: String, as format: OutputFormat, to path: String) throws(RenderError) {
        let context = self.context
        try graphviz.withLock { _ throws(RenderError) in
            let g = try Self.read(dot)
            defer { agclose(g) }
            guard gvLayout(context, g, "dot") == 0 else { throw .graphvizFailed("the dot layout failed") }
            defer { gvFreeLayout(context, g) }
            guard let file = fopen(path, "wb") else {
                throw .cannotWrite(path: path, reason: String(cString: strerror(errno)))
            }
            let rendered = gvRender(context, g, format.rawValue, file) == 0
            let failedWrite = ferror(file) != 0
            let closed = fclose(file) == 0
            guard rendered else {
                remove(path)
                throw .renderFailed(format: format, path: path)
            }
            guard closed, !failedWrite else {
                let reason = String(cString: strerror(errno))
                remove(path)
                throw .cannotWrite(path: path, reason: reason)
            }
        }
    }

    /// Parses DOT text with cgraph, numbering its objects in the order they appear
    /// (`SequentialIdentifiers`), so the same text always gives the same drawing. Syntax errors
    /// are collected from cgraph's error buffer (not printed) and returned as the error's
    /// message. Call only while holding the lock.
    private static func read(_ dot: String) throws(RenderError) -> UnsafeMutablePointer<Agraph_t> {
        let previous = agseterr(AGMAX)
        defer { agseterr(previous) }
        var text = Array(dot.utf8)
        let graph: UnsafeMutablePointer<Agraph_t>? = text.withUnsafeMutableBytes { bytes in
            guard bytes.count > 0, let stream = fmemopen(bytes.baseAddress, bytes.count, "r") else { return nil }
            defer { fclose(stream) }
            return agread(UnsafeMutableRawPointer(stream), SequentialIdentifiers.discipline)
        }
        if let g = graph { return g }
        var message = "no graph in the text"
        if let last = aglasterr() {
            let text = String(cString: last).split(whereSeparator: \.isNewline).joined(separator: " ")
            if !text.isEmpty { message = text }
            free(last)
        }
        throw .unreadableDOT(message)
    }
}

/// The one lock around all calls into Graphviz (see `GraphvizRenderer`).
private let graphviz = Mutex(())
