/// The image formats figures are rendered to, by Graphviz's `dot` layout.
///
/// SVG is Graphviz's own renderer, exact and resolution-free (for the notebook pages); PNG comes
/// from the cairo plugin that libgraphviz-dev's dependencies install (for slides).
public enum OutputFormat: String, Sendable, CaseIterable {
    case svg
    case png

    /// A format by name ("svg", "png"; case-insensitive), or `.unknownFormat` naming the ones
    /// there are.
    public init(name: String) throws(RenderError) {
        guard let format = OutputFormat(rawValue: name.lowercased()) else { throw .unknownFormat(name) }
        self = format
    }

    /// The file extension, which is also Graphviz's name for the renderer.
    public var fileExtension: String { rawValue }
}
