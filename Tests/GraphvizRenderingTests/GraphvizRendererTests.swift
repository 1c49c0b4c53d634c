import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Graphs
import GraphvizRendering
import Testing

/// Rendering through libgvc, in-process: well-formed SVG and real PNG files, every character of a
/// label drawn as itself, and clear errors for what cannot be rendered.
@Suite struct GraphvizRendererTests {
    static let tricky = "say \"hi\" \\ <x> & y\nγ^{n−m} θ Θ ζ ξ Qᵀ S₋₁ \\n \\N"

    static let graph = Graph(
        name: "smoke",
        attributes: [.fontName("DejaVu Sans")],
        nodeDefaults: [.shape(.box), .style(.rounded, .filled), .fillColor(Color(rgb: 0xDBE9F6)), .fontName("DejaVu Sans")],
        nodes: [Node(id: "a", label: tricky), Node(id: "b", label: "")],
        clusters: [Cluster(id: "c", label: "chunk <0> & \"1\"", nodes: [Node(id: "s", label: "S₀ = γ S₋₁ + K₀ᵀ V₀")])],
        edges: [Edge(from: "a", to: "s", label: "\\ edge \""), Edge(from: "s", to: "b")],
        ranks: [RankConstraint(.same, ["a", "b"])])

    func scratch(_ name: String) -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("graphviz-tests-\(getpid())")
        try? FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir.appendingPathComponent(name).path
    }

    @Test func svgIsWellFormedAndDrawsEveryLabelExactly() throws {
        let path = scratch("smoke.svg")
        try GraphvizRenderer().render(Self.graph, as: .svg, to: path)
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        let text = String(decoding: data, as: UTF8.self)
        #expect(text.contains("<svg") && text.hasSuffix("</svg>\n"))
        let collector = SVGText()
        let parser = XMLParser(data: data)
        parser.delegate = collector
        #expect(parser.parse(), "the SVG is not well-formed XML: \(parser.parserError.map { "\($0)" } ?? "")")
        let lines = Self.tricky.split(separator: "\n").map(String.init)
        for expected in lines + ["S₀ = γ S₋₁ + K₀ᵀ V₀", "chunk <0> & \"1\"", "\\ edge \""] {
            #expect(collector.texts.contains(expected), "no <text> reads «\(expected)»; texts: \(collector.texts)")
        }
    }

    @Test func pngHasTheSignatureAndAPlausibleSize() throws {
        let path = scratch("smoke.png")
        try GraphvizRenderer().render(Self.graph, as: .png, to: path)
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        #expect(bytes.starts(with: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]))
        // IHDR follows the signature: width and height, big-endian, at bytes 16…23.
        try #require(bytes.count > 24)
        let width = bytes[16..<20].reduce(0) { $0 << 8 | Int($1) }
        let height = bytes[20..<24].reduce(0) { $0 << 8 | Int($1) }
        #expect(width > 50 && height > 50, "\(width)×\(height)")
    }

    @Test func unknownFormatNamesAreRejectedClearly() {
        #expect(throws: RenderError.unknownFormat("gif")) { try OutputFormat(name: "gif") }
        #expect(RenderError.unknownFormat("gif").description == "unknown output format \"gif\": choose one of svg, png")
        #expect((try? OutputFormat(name: "PNG")) == .png)
    }

    @Test func anUnwritablePathIsAClearError() throws {
        let path = "/nonexistent-directory/figure.svg"
        #expect(throws: RenderError.cannotWrite(path: path, reason: "No such file or directory")) {
            try GraphvizRenderer().render(Self.graph, as: .svg, to: path)
        }
    }

    @Test func malformedDOTReportsGraphvizsSyntaxError() throws {
        do {
            try GraphvizRenderer().render(dot: "digraph { a -> }", as: .svg, to: scratch("never.svg"))
            Issue.record("malformed DOT rendered")
        } catch {
            guard case .unreadableDOT(let message) = error else { Issue.record("unexpected \(error)"); return }
            #expect(message.contains("syntax error"), "\(message)")
        }
        #expect(!FileManager.default.fileExists(atPath: scratch("never.svg")))
    }

    @Test func anInvalidGraphIsRejectedBeforeGraphvizSeesIt() throws {
        let broken = Graph(name: "g", nodes: [Node(id: "a", label: "a")], edges: [Edge(from: "a", to: "ghost")])
        #expect(throws: RenderError.invalidGraph(.unknownNode("ghost", in: "the edge a -> ghost"))) {
            try GraphvizRenderer().render(broken, as: .svg, to: scratch("ghost.svg"))
        }
    }

    @Test func renderersOnSeveralThreadsDoNotInterfere() async throws {
        try await withThrowingTaskGroup(of: Int.self) { group in
            for i in 0..<4 {
                let path = scratch("parallel-\(i).svg")
                group.addTask {
                    try GraphvizRenderer().render(Self.graph, as: .svg, to: path)
                    return try Data(contentsOf: URL(fileURLWithPath: path)).count
                }
            }
            var sizes: [Int] = []
            for try await size in group { sizes.append(size) }
            #expect(sizes.count == 4 && Set(sizes).count == 1 && sizes[0] > 0)
        }
    }
}

/// Collects the character data of every SVG <text> element.
final class SVGText: NSObject, XMLParserDelegate {
    var texts: [String] = []
    private var current: String?

    func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
                attributes: [String: String] = [:]) {
        if name == "text" { current = "" }
    }

    func parser(_ parser: XMLParser, foundCharacters string: String) {
        current? += string
    }

    func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
        if name == "text", let text = current { texts.append(text) }
        current = nil
    }
}
