/// One Graphviz attribute, `name="value"`: written with its value quoted, so any value that
/// passes `Graph.validate()` reaches Graphviz unchanged.
///
/// Labels are not attributes here: nodes, edges and clusters carry their label as plain text,
/// which the encoder writes as an HTML-like label so that every character is drawn as itself
/// (see `DOTEncoding`). The constructors below cover what the figures use; `init(_:_:)` takes
/// any other attribute Graphviz knows.
public struct Attribute: Sendable, Equatable {
    /// The attribute's name: ASCII letters, digits and underscores, not starting with a digit.
    public let name: String
    /// Its value, without quotes: no line breaks, double quotes or backslashes.
    public let value: String

    public init(_ name: String, _ value: String) {
        self.name = name
        self.value = value
    }

    /// The node's outline (`shape=`).
    public static func shape(_ shape: NodeShape) -> Attribute { Attribute("shape", shape.rawValue) }

    /// Drawing styles, combined (`style="rounded,filled"`).
    public static func style(_ styles: Style...) -> Attribute {
        Attribute("style", styles.map(\.rawValue).joined(separator: ","))
    }

    /// The fill colour (needs `.style(.filled)` on nodes).
    public static func fillColor(_ color: Color) -> Attribute { Attribute("fillcolor", color.value) }

    /// The outline (or edge) colour.
    public static func color(_ color: Color) -> Attribute { Attribute("color", color.value) }

    /// The text colour.
    public static func fontColor(_ color: Color) -> Attribute { Attribute("fontcolor", color.value) }

    /// The font family, e.g. "DejaVu Sans" (whose glyphs include γ, θ, ξ, ζ and the sub- and
    /// superscript digits).
    public static func fontName(_ name: String) -> Attribute { Attribute("fontname", name) }

    /// The font size in points.
    public static func fontSize(_ points: Double) -> Attribute { Attribute("fontsize", number(points)) }

    /// The line width in points.
    public static func penWidth(_ points: Double) -> Attribute { Attribute("penwidth", number(points)) }

    /// A CSS class: written into the SVG, so a figure can be restyled; also how tests find
    /// nodes by kind.
    public static func className(_ name: String) -> Attribute { Attribute("class", name) }

    /// `rankdir`: the direction in which edges point.
    public static func rankDirection(_ direction: RankDirection) -> Attribute {
        Attribute("rankdir", direction.rawValue)
    }

    /// A number written without an exponent or trailing zeros (2 → "2", 0.25 → "0.25"), so the
    /// DOT text does not depend on how a platform prints floating point.
    static func number(_ value: Double) -> String {
        if value == value.rounded(), abs(value) < 1e15 { return String(Int(value)) }
        return String(value)
    }
}

/// Node outlines used by the figures (a subset of Graphviz's shapes; `record` shapes are left
/// out on purpose, because they give `|`, `{`, `}`, `<` and `>` in labels a meaning).
public enum NodeShape: String, Sendable, CaseIterable {
    case box, ellipse, oval, circle, doublecircle, diamond, hexagon, octagon, doubleoctagon
    case note, tab, folder, cylinder, component, plaintext, plain, point
}

/// Drawing styles for nodes, edges and clusters.
public enum Style: String, Sendable, CaseIterable {
    case filled, rounded, dashed, dotted, bold, solid, invis
}

/// Graphviz's `rankdir`.
public enum RankDirection: String, Sendable, CaseIterable {
    case topToBottom = "TB", leftToRight = "LR", bottomToTop = "BT", rightToLeft = "RL"
}

/// A colour: `#rrggbb` or a Graphviz colour name.
public struct Color: Sendable, Equatable {
    public let value: String

    /// A colour from its red, green and blue bytes, written `#rrggbb`.
    public init(red: UInt8, green: UInt8, blue: UInt8) {
        func hex(_ byte: UInt8) -> String {
            let digits = Array("0123456789abcdef")
            return String([digits[Int(byte >> 4)], digits[Int(byte & 15)]])
        }
        value = "#" + hex(red) + hex(green) + hex(blue)
    }

    /// A colour from `0xRRGGBB`.
    public init(rgb: UInt32) {
        self.init(red: UInt8((rgb >> 16) & 0xff), green: UInt8((rgb >> 8) & 0xff), blue: UInt8(rgb & 0xff))
    }

    /// A colour by Graphviz name, e.g. "black", "gray40".
    public init(named name: String) { value = name }

    public static let black = Color(named: "black")
    public static let white = Color(named: "white")
}
