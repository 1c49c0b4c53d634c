import Graphs
import Testing

@Suite struct DOTEncodingTests {
    /// A small graph with every kind of declaration, built afresh on each call.
    static func makeSample() -> Graph {
        Graph(
            name: "sample",
            attributes: [.rankDirection(.leftToRight), .fontName("DejaVu Sans")],
            nodeDefaults: [.shape(.box), .fontSize(14)],
            edgeDefaults: [.penWidth(1.5)],
            nodes: [Node(id: "x", label: "X\n6×4", attributes: [.shape(.ellipse)])],
            clusters: [Cluster(id: "t0", label: "t = 0", attributes: [.style(.rounded, .dashed)],
                               nodes: [Node(id: "s0", label: "S₀ = γ S₋₁ + K₀ᵀ V₀",
                                            attributes: [.fillColor(Color(rgb: 0xFDE3C8)), .style(.filled), .className("state-update")])])],
            edges: [Edge(from: "x", to: "s0", label: "row 0", attributes: [.color(.black)])],
            ranks: [RankConstraint(.same, ["x", "s0"])])
    }

    /// The exact DOT the sample must produce, written by hand.
    static let sampleDOT = """
        digraph "sample" {
          graph [rankdir="LR", fontname="DejaVu Sans"];
          node [shape="box", fontsize="14"];
          edge [penwidth="1.5"];
          "x" [label=<X<BR/>6×4>, shape="ellipse"];
          subgraph "cluster_t0" {
            label=<t = 0>;
            style="rounded,dashed";
            "s0" [label=<S₀ = γ S₋₁ + K₀ᵀ V₀>, fillcolor="#fde3c8", style="filled", class="state-update"];
          }
          { rank="same"; "x"; "s0"; }
          "x" -> "s0" [label=<row 0>, color="black"];
        }

        """

    @Test func aSmallGraphEncodesToTheExpectedDOT() {
        #expect(Self.makeSample().dot == Self.sampleDOT)
    }

    /// Equal graphs give the same bytes, however often they are built and encoded, and the
    /// declaration order is kept: a node appended to the graph is written after the others,
    /// before the clusters.
    @Test func encodingIsDeterministic() throws {
        for build in 1...3 {
            #expect(Self.makeSample().dot == Self.sampleDOT, "build \(build) of the sample encoded differently")
        }
        var grown = Self.makeSample()
        grown.nodes.append(Node(id: "y", label: "y"))
        var lines = Self.sampleDOT.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let x = try #require(lines.firstIndex(of: #"  "x" [label=<X<BR/>6×4>, shape="ellipse"];"#))
        lines.insert(#"  "y" [label=<y>];"#, at: x + 1)
        #expect(grown.dot == lines.joined(separator: "\n"), "with node y appended:\n\(grown.dot)")
        grown.nodes.removeLast()
        #expect(grown.dot == Self.sampleDOT, "with node y removed again:\n\(grown.dot)")
    }

    @Test(arguments: [
        ("plain", "<plain>"),
        ("say \"hi\"", "<say &quot;hi&quot;>"),
        (#"back\slash and \n and \N and a trailing \"#, #"<back\\slash and \\n and \\N and a trailing \\>"#),
        ("a < b > c & d", "<a &lt; b &gt; c &amp; d>"),
        ("<BR/> as text", "<&lt;BR/&gt; as text>"),
        ("two\nlines", "<two<BR/>lines>"),
        ("crlf\r\nand cr\rend", "<crlf<BR/>and cr<BR/>end>"),
        ("tab\tkept, bell\u{07} replaced", "<tab\tkept, bell\u{FFFD} replaced>"),
        ("γ^{n−m}, θ, Θ̄, ζ, ξ, Qᵀ, S₋₁, ⊙", "<γ^{n−m}, θ, Θ̄, ζ, ξ, Qᵀ, S₋₁, ⊙>"),
        ("", "\"\""),
    ])
    func labelsAreEncodedAsHTMLLabelsThatDrawEveryCharacter(text: String, encoded: String) {
        #expect(DOT.htmlLabel(text) == encoded)
    }

    /// Over many random strings from an alphabet of troublemakers, the encoded label is always
    /// well formed (its only tags are line breaks, every `&` starts an entity, no raw quotes) and
    /// decodes back to the text.
    @Test func randomLabelsStayWellFormedAndDecodeBack() {
        let alphabet: [Character] = ["a", "Z", " ", "\"", "\\", "<", ">", "&", "\n", "/", "B", "R", ";", "#", "γ", "θ",
                                     "ᵀ", "₋", "{", "}", "|", "]", "[", "=", "'", "\t", "é"]
        var state: UInt64 = 0x5EED
        for _ in 0..<500 {
            var text = ""
            state = state &* 6364136223846793005 &+ 1442695040888963407
            for _ in 0..<Int(state >> 60) + 1 {
                state = state &* 6364136223846793005 &+ 1442695040888963407
                text.append(alphabet[Int(state >> 33) % alphabet.count])
            }
            let encoded = DOT.htmlLabel(text)
            #expect(encoded.hasPrefix("<") && encoded.hasSuffix(">"))
            let body = String(encoded.dropFirst().dropLast())
            let withoutBreaks = body.replacingAll("<BR/>", with: "")
            #expect(!withoutBreaks.contains("<") && !withoutBreaks.contains(">") && !withoutBreaks.contains("\""),
                    "raw markup left in \(encoded) for \(text.debugDescription)")
            #expect(decode(body) == text, "\(text.debugDescription) → \(encoded)")
        }
    }

    @Test func quotedStringsEscapeQuotesAndBackslashes() {
        #expect(DOT.quoted(#"a"b\c"#) == #""a\"b\\c""#)
        #expect(DOT.quoted("line\nbreak") == #""line\nbreak""#)
    }

    @Test func numbersAndColoursAreWrittenPlatformIndependently() {
        #expect(Attribute.penWidth(2).value == "2")
        #expect(Attribute.penWidth(0.25).value == "0.25")
        #expect(Attribute.fontSize(-3).value == "-3")
        #expect(Color(red: 0, green: 0x0A, blue: 0xFF).value == "#000aff")
        #expect(Color(rgb: 0xDBE9F6).value == "#dbe9f6")
    }

    /// Inverts `DOT.htmlLabel` for the entities and tags it writes.
    private func decode(_ body: String) -> String {
        body.replacingAll("<BR/>", with: "\n").replacingAll("&lt;", with: "<").replacingAll("&gt;", with: ">")
            .replacingAll("&quot;", with: "\"").replacingAll("&amp;", with: "&").replacingAll("\\\\", with: "\\")
    }
}

extension String {
    /// Every occurrence of `target` replaced (a Foundation-free `replacingOccurrences`).
    func replacingAll(_ target: String, with replacement: String) -> String {
        split(separator: target, omittingEmptySubsequences: false).joined(separator: replacement)
    }
}
