import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
@testable import Plots
import Testing

@Suite struct PlotsTests {
    static func plot() throws -> LinePlot {
        LinePlot(title: "γ^k <&>", x: try Axis("k", range: 1...1000, scale: .logarithmic), y: try Axis("weight", range: 0...1),
                 series: [.init("a", points: [(1, 1), (10, 0.5), (1000, 0)], color: "#2171b5"),
                          .init("b", points: [(1, 0.25), (1000, 0.75)], color: "#cb181d", dashed: true)],
                 markers: [.init(x: 100, label: "100")])
    }

    @Test func aLinePlotIsWellFormedDeterministicAndEscaped() throws {
        let svg = try Self.plot().svg()
        #expect(try Self.plot().svg() == svg)
        #expect(svg.contains("γ^k &lt;&amp;&gt;"))
        let parser = XMLParser(data: Data(svg.utf8))
        #expect(parser.parse(), "not well-formed XML: \(String(describing: parser.parserError))")
    }

    @Test func pointsLandWhereTheAxesSay() throws {
        // 800×420 with the plot area from x = 70 to 550 and y = 40 to 365: (1, 1) is the top-left
        // corner, (1000, 0) the bottom-right, and 10 lies a third of the way along the log axis.
        let svg = try Self.plot().svg()
        #expect(svg.contains("points=\"70,40 230,202.5 550,365\""), "\(svg)")
    }

    @Test func ticksAreRoundValuesInsideTheRange() throws {
        #expect(try Axis("x", range: 0...1).ticks == [0, 0.2, 0.4, 0.6, 0.8, 1])
        #expect(try Axis("x", range: 1...8192, scale: .logarithmic).ticks == [1, 10, 100, 1000])
        #expect(try Axis("x", range: -3...7).ticks == [-2, 0, 2, 4, 6])
        #expect(try Axis("x", range: 0...8192).tickLabel(2000) == "2,000")
        #expect(try Axis("x", range: 0...1).tickLabel(0.2) == "0.2")
    }

    @Test func badRangesAndSeriesAreTypedErrors() throws {
        #expect(throws: PlotError.invalidRange(axis: "x", lower: 1, upper: 1)) { try Axis("x", range: 1...1) }
        #expect(throws: PlotError.invalidRange(axis: "x", lower: 0, upper: 1)) { try Axis("x", range: 0...1, scale: .logarithmic) }
        let empty = LinePlot(title: "t", x: try Axis("x", range: 0...1), y: try Axis("y", range: 0...1),
                             series: [.init("none", points: [], color: "#000000")])
        #expect(throws: PlotError.invalidSeries("none")) { try empty.svg() }
        let nan = LinePlot(title: "t", x: try Axis("x", range: 0...1), y: try Axis("y", range: 0...1),
                           series: [.init("nan", points: [(0.5, .nan)], color: "#000000")])
        #expect(throws: PlotError.invalidSeries("nan")) { try nan.svg() }
    }

    @Test func aPlotWithoutSeriesAndNonPositiveLogValuesAreTypedErrors() throws {
        let none = LinePlot(title: "nothing", x: try Axis("x", range: 0...1), y: try Axis("y", range: 0...1), series: [])
        #expect(throws: PlotError.noSeries("nothing")) { try none.svg() }
        let logAxes = (x: try Axis("x", range: 1...10, scale: .logarithmic), y: try Axis("y", range: 1...10, scale: .logarithmic))
        for (name, point) in [("zero y", (x: 2.0, y: 0.0)), ("negative x", (x: -2.0, y: 2.0)), ("infinite", (x: 2.0, y: .infinity))] {
            let plot = LinePlot(title: "t", x: logAxes.x, y: logAxes.y, series: [.init(name, points: [point], color: "#000000")])
            #expect(throws: PlotError.invalidSeries(name)) { try plot.svg() }
        }
    }

    @Test func aCaptionIsWrappedBelowThePlotAndGrowsTheDocument() throws {
        let base = try Self.plot()
        let captioned = LinePlot(title: base.title, x: base.x, y: base.y, series: base.series, markers: base.markers,
                                 caption: String(repeating: "word ", count: 60) + "<end>")
        let svg = try captioned.svg(width: 800, height: 420)
        // 800 / 6.6 = 121 characters per line: 305 characters of words make three lines, 48 units more.
        #expect(LinePlot.wrapped(captioned.caption ?? "", characters: 121).count == 3)
        #expect(svg.contains("height=\"468\""), "\(svg.prefix(300))")
        #expect(svg.contains("&lt;end&gt;"))
        // The plot itself is where it was without a caption.
        #expect(svg.contains("points=\"70,40 230,202.5 550,365\""))
        #expect(LinePlot.wrapped("a bb ccc", characters: 4) == ["a bb", "ccc"])
        #expect(LinePlot.wrapped("", characters: 4).isEmpty)
    }

    @Test func heatmapColoursRunFromWhiteToDeepBlue() throws {
        #expect(Heatmap.color(0, in: 0...1) == "#ffffff")
        #expect(Heatmap.color(1, in: 0...1) == "#08306b")
        #expect(Heatmap.color(-5, in: 0...1) == "#ffffff" && Heatmap.color(5, in: 0...1) == "#08306b")
        let map = Heatmap(title: "D", panels: [.init("head 0", values: [[1, 0], [0.5, 1]])], range: 0...1,
                          columnLabel: "m", rowLabel: "n")
        let svg = try map.svg(panelSize: 100)
        // Four cells of 50×50 from (40, 60): the top-left one is 1 (deep blue), the bottom-left 0.5
        // (halfway between the 2nd and 3rd stops, #4690c6), and the top-right 0 is the white
        // background, not drawn.
        #expect(svg.contains("<rect x=\"40\" y=\"60\" width=\"50\" height=\"50\" fill=\"#08306b\"/>"))
        #expect(svg.contains("<rect x=\"40\" y=\"110\" width=\"50\" height=\"50\" fill=\"#4690c6\"/>"))
        #expect(!svg.contains("<rect x=\"90\" y=\"60\""))
        let ragged = Heatmap(title: "D", panels: [.init("bad", values: [[1, 0], [1]])], range: 0...1, columnLabel: "m", rowLabel: "n")
        #expect(throws: PlotError.invalidGrid("bad")) { try ragged.svg() }
    }
}
