/// Heatmaps drawn as SVG: one or more grids of values side by side, each cell shaded from white
/// (the smallest value) to a deep blue (the largest), with a shared scale bar.
///
/// Written by hand, like `LinePlot`; the output depends only on the values.
public struct Heatmap: Sendable {
    /// One grid: rows of equal length, row 0 at the top.
    public struct Panel: Sendable {
        public let title: String
        public let values: [[Double]]

        public init(_ title: String, values: [[Double]]) {
            (self.title, self.values) = (title, values)
        }
    }

    public let title: String
    public let panels: [Panel]
    /// The values mapped to white and to the darkest shade.
    public let range: ClosedRange<Double>
    /// Labels under and beside each panel (e.g. "m (key position)", "n (query position)").
    public let columnLabel: String, rowLabel: String

    public init(title: String, panels: [Panel], range: ClosedRange<Double>, columnLabel: String, rowLabel: String) {
        (self.title, self.panels, self.range, self.columnLabel, self.rowLabel) = (title, panels, range, columnLabel, rowLabel)
    }

    /// The colour of `value`: white → #08306b through #2171b5, linear in (value − lower)/(upper − lower).
    static func color(_ value: Double, in range: ClosedRange<Double>) -> String {
        let t = max(0, min(1, (value - range.lowerBound) / (range.upperBound - range.lowerBound)))
        let stops: [(Double, Double, Double)] = [(255, 255, 255), (107, 174, 214), (33, 113, 181), (8, 48, 107)]
        let scaled = t * Double(stops.count - 1)
        let i = min(Int(scaled), stops.count - 2), f = scaled - Double(i)
        let (a, b) = (stops[i], stops[i + 1])
        func channel(_ x: Double, _ y: Double) -> String {
            let v = Int((x + (y - x) * f).rounded())
            let digits = Array("0123456789abcdef")
            return String([digits[v / 16], digits[v % 16]])
        }
        return "#" + channel(a.0, b.0) + channel(a.1, b.1) + channel(a.2, b.2)
    }

    /// The heatmaps as an SVG document; each panel is `panelSize` units square.
    ///
    /// Throws `.invalidGrid` for a panel with no cell or ragged rows, `.invalidRange` for an
    /// empty colour range.
    public func svg(panelSize: Double = 200) throws(PlotError) -> String {
        guard range.lowerBound < range.upperBound else {
            throw .invalidRange(axis: "colour", lower: range.lowerBound, upper: range.upperBound)
        }
        for panel in panels {
            guard let width = panel.values.first?.count, width > 0, panel.values.allSatisfy({ $0.count == width })
            else { throw .invalidGrid(panel.title) }
        }
        let n = SVGText.number
        let (margin, gap, top) = (40.0, 30.0, 60.0)
        let width = margin * 2 + Double(panels.count) * panelSize + Double(max(panels.count - 1, 0)) * gap + 60
        let height = top + panelSize + 60
        var body: [String] = [SVGText.label(title, x: width / 2, y: 24, size: 15)]
        for (index, panel) in panels.enumerated() {
            let x0 = margin + Double(index) * (panelSize + gap)
            let rows = panel.values.count, columns = panel.values[0].count
            let (cw, ch) = (panelSize / Double(columns), panelSize / Double(rows))
            body.append(SVGText.label(panel.title, x: x0 + panelSize / 2, y: top - 10, size: 12))
            for (r, row) in panel.values.enumerated() {
                // White cells are the background already: only the others are drawn.
                for (c, value) in row.enumerated() {
                    let fill = Self.color(value, in: range)
                    guard fill != "#ffffff" else { continue }
                    body.append("<rect x=\"\(n(x0 + Double(c) * cw))\" y=\"\(n(top + Double(r) * ch))\" width=\"\(n(cw))\" "
                                + "height=\"\(n(ch))\" fill=\"\(fill)\"/>")
                }
            }
            body.append("<rect x=\"\(n(x0))\" y=\"\(n(top))\" width=\"\(n(panelSize))\" height=\"\(n(panelSize))\" "
                        + "fill=\"none\" stroke=\"#999999\"/>")
            body.append(SVGText.label(columnLabel, x: x0 + panelSize / 2, y: top + panelSize + 18, size: 11))
            if index == 0 {
                body.append(SVGText.label(rowLabel, x: margin - 12, y: top + panelSize / 2, size: 11, rotate: true))
            }
        }
        // The scale bar: ten steps from the range's start (bottom) to its end (top).
        let barX = width - 50
        for step in 0..<10 {
            let value = range.lowerBound + (Double(step) + 0.5) / 10 * (range.upperBound - range.lowerBound)
            body.append("<rect x=\"\(n(barX))\" y=\"\(n(top + panelSize - Double(step + 1) * panelSize / 10))\" width=\"14\" "
                        + "height=\"\(n(panelSize / 10))\" fill=\"\(Self.color(value, in: range))\"/>")
        }
        body.append("<rect x=\"\(n(barX))\" y=\"\(n(top))\" width=\"14\" height=\"\(n(panelSize))\" fill=\"none\" stroke=\"#999999\"/>")
        body.append(SVGText.label(SVGText.number(range.upperBound), x: barX + 7, y: top - 4, size: 10))
        body.append(SVGText.label(SVGText.number(range.lowerBound), x: barX + 7, y: top + panelSize + 14, size: 10))
        return SVGText.document(width: width, height: height, title: title, body: body)
    }
}
