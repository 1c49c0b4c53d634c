/// A line plot drawn as SVG: series of points on two axes, with optional vertical markers.
///
/// Written by hand because no Swift package available here draws plots; kept small: axes with
/// round ticks, a legend, polylines, labelled vertical lines. The output depends only on the
/// data (numbers through `Format`), so a committed plot regenerates byte for byte.
public struct LinePlot: Sendable {
    public struct Series: Sendable {
        public let name: String
        public let points: [(x: Double, y: Double)]
        public let color: String
        /// A dashed line (for references rather than data).
        public let dashed: Bool

        public init(_ name: String, points: [(x: Double, y: Double)], color: String, dashed: Bool = false) {
            (self.name, self.points, self.color, self.dashed) = (name, points, color, dashed)
        }
    }

    /// A labelled vertical line at x.
    public struct Marker: Sendable {
        public let x: Double
        public let label: String
        public let color: String

        public init(x: Double, label: String, color: String = "#888888") {
            (self.x, self.label, self.color) = (x, label, color)
        }
    }

    public let title: String
    public let x: Axis
    public let y: Axis
    public let series: [Series]
    public let markers: [Marker]
    /// Text under the plot (what was measured or modelled, on what), wrapped to the plot's width.
    public let caption: String?

    public init(title: String, x: Axis, y: Axis, series: [Series], markers: [Marker] = [], caption: String? = nil) {
        (self.title, self.x, self.y, self.series, self.markers, self.caption) = (title, x, y, series, markers, caption)
    }

    /// The plot as an SVG document, `width`×`height`.
    ///
    /// Throws `.noSeries` for a plot without a series, `.invalidSeries` for a series without
    /// points or with a point its axes cannot show (not finite, or not positive on a logarithmic
    /// axis). Points outside the ranges are drawn clipped to the plot area. A caption adds a line
    /// of 16 units below the plot per wrapped line.
    public func svg(width: Double = 800, height plotHeight: Double = 420) throws(PlotError) -> String {
        guard !series.isEmpty else { throw .noSeries(title) }
        for s in series {
            guard !s.points.isEmpty, s.points.allSatisfy({ p in
                p.x.isFinite && p.y.isFinite && (x.scale == .linear || p.x > 0) && (y.scale == .linear || p.y > 0)
            }) else { throw .invalidSeries(s.name) }
        }
        let captionLines = caption.map { Self.wrapped($0, characters: Int(width / 6.6)) } ?? []
        let height = plotHeight + Double(captionLines.count) * 16
        let (left, right, top, bottom) = (70.0, width - 250, 40.0, plotHeight - 55)
        func px(_ v: Double) -> Double { left + x.fraction(v) * (right - left) }
        func py(_ v: Double) -> Double { bottom - y.fraction(v) * (bottom - top) }
        let n = SVGText.number
        var body: [String] = [
            "<defs><clipPath id=\"area\"><rect x=\"\(n(left))\" y=\"\(n(top))\" width=\"\(n(right - left))\" "
                + "height=\"\(n(bottom - top))\"/></clipPath></defs>",
            SVGText.label(title, x: (left + right) / 2, y: 22, size: 15),
        ]
        for tick in x.ticks {
            body.append("<line x1=\"\(n(px(tick)))\" y1=\"\(n(top))\" x2=\"\(n(px(tick)))\" y2=\"\(n(bottom))\" stroke=\"#eeeeee\"/>")
            body.append(SVGText.label(x.tickLabel(tick), x: px(tick), y: bottom + 16, size: 11))
        }
        for tick in y.ticks {
            body.append("<line x1=\"\(n(left))\" y1=\"\(n(py(tick)))\" x2=\"\(n(right))\" y2=\"\(n(py(tick)))\" stroke=\"#eeeeee\"/>")
            body.append(SVGText.label(y.tickLabel(tick), x: left - 6, y: py(tick) + 4, size: 11, anchor: "end"))
        }
        body.append("<rect x=\"\(n(left))\" y=\"\(n(top))\" width=\"\(n(right - left))\" height=\"\(n(bottom - top))\" "
                    + "fill=\"none\" stroke=\"#999999\"/>")
        body.append(SVGText.label(x.label, x: (left + right) / 2, y: plotHeight - 14, size: 12))
        for (i, line) in captionLines.enumerated() {
            body.append(SVGText.label(line, x: 14, y: plotHeight + 4 + Double(i) * 16, size: 11, anchor: "start", color: "#555555"))
        }
        body.append(SVGText.label(y.label, x: 18, y: (top + bottom) / 2, size: 12, rotate: true))
        for marker in markers where x.range.contains(marker.x) {
            body.append("<line x1=\"\(n(px(marker.x)))\" y1=\"\(n(top))\" x2=\"\(n(px(marker.x)))\" y2=\"\(n(bottom))\" "
                        + "stroke=\"\(marker.color)\" stroke-dasharray=\"4 3\"/>")
            body.append(SVGText.label(marker.label, x: px(marker.x) - 3, y: top + 12, size: 10, anchor: "end",
                                      color: marker.color))
        }
        for (index, s) in series.enumerated() {
            let points = s.points.map { "\(n(px($0.x))),\(n(py($0.y)))" }.joined(separator: " ")
            body.append("<polyline points=\"\(points)\" fill=\"none\" stroke=\"\(s.color)\" stroke-width=\"2\""
                        + (s.dashed ? " stroke-dasharray=\"6 4\"" : "") + " clip-path=\"url(#area)\"/>")
            let legendY = top + 8 + Double(index) * 18
            body.append("<line x1=\"\(n(right + 14))\" y1=\"\(n(legendY))\" x2=\"\(n(right + 36))\" y2=\"\(n(legendY))\" "
                        + "stroke=\"\(s.color)\" stroke-width=\"2\"" + (s.dashed ? " stroke-dasharray=\"6 4\"" : "") + "/>")
            body.append(SVGText.label(s.name, x: right + 42, y: legendY + 4, size: 11, anchor: "start"))
        }
        return SVGText.document(width: width, height: height, title: title, body: body)
    }

    /// `text` cut at spaces into lines of at most `characters` characters (a longer word stands alone).
    static func wrapped(_ text: String, characters: Int) -> [String] {
        var lines: [String] = [], line = ""
        for word in text.split(separator: " ", omittingEmptySubsequences: true) {
            if !line.isEmpty && line.count + 1 + word.count > characters {
                lines.append(line)
                line = ""
            }
            line += (line.isEmpty ? "" : " ") + word
        }
        if !line.isEmpty { lines.append(line) }
        return lines
    }
}
