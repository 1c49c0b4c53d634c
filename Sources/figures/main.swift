import ArgumentParser
import Foundation
import Graphs
import GraphvizRendering
import RetentionFigures

/// `swift run figures`: traces the parallel, recurrent and chunkwise forms, a multi-scale
/// retention layer, a RetNet block and the parallel form's backward pass on small examples and writes each computation graph to
/// Figures/ as DOT (committed and checked in CI), SVG (for the notebook pages) and PNG (for slides);
/// and plots what each head's decay remembers, the rotation's shift invariance and what decoding
/// costs (modelled, chapter 09), as SVG.
struct Figures: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "figures",
        abstract: "Regenerate the computation graphs in Figures/ (DOT, SVG, PNG) from traced runs of the retention forms, a multi-scale retention layer and a RetNet block.",
        discussion: """
            Each figure is recorded from a real run: the same calls the chapters make, with a tracer handed to the \
            retention code. The defaults are the chapters' sizes; the committed DOT files are made with them. The msr and \
            block figures use --length tokens and --heads heads of 4 key and 8 value columns each.
            """)

    @Option(help: "The folder to write into (created if missing).")
    var output = "Figures"

    @Option(name: .customLong("format"), parsing: .upToNextOption,
            help: ArgumentHelp("The formats to write, any of dot, svg, png.", valueName: "format"))
    var formats: [FigureFormat] = FigureFormat.allCases

    @Option(help: "Sequence length n of the parallel, recurrent, msr and block figures (1…16).")
    var length = 6

    @Option(help: "Sequence length n of the chunkwise figure (1…32).")
    var chunkwiseLength = 10

    @Option(help: "Chunk size B of the chunkwise figure (≥ 1; need not divide n).")
    var chunkSize = 4

    @Option(help: "Width d of X, Q and K; even (rotations act on pairs).")
    var dim = 4

    @Option(help: "Width d_v of V.")
    var valueDim = 3

    @Option(help: "Number of heads h of the msr and block figures (1…4).")
    var heads = 2

    enum FigureFormat: String, ExpressibleByArgument, CaseIterable {
        case dot, svg, png
    }

    func validate() throws {
        guard (1...16).contains(length) else { throw ValidationError("--length must be in 1...16 (a figure, not a benchmark), got \(length).") }
        guard (1...32).contains(chunkwiseLength) else {
            throw ValidationError("--chunkwise-length must be in 1...32, got \(chunkwiseLength).")
        }
        guard chunkSize >= 1 else { throw ValidationError("--chunk-size must be at least 1, got \(chunkSize).") }
        guard dim >= 2, dim % 2 == 0, dim <= 64 else {
            throw ValidationError("--dim must be even (rotations act on pairs) and in 2...64, got \(dim).")
        }
        guard (1...64).contains(valueDim) else { throw ValidationError("--value-dim must be in 1...64, got \(valueDim).") }
        guard (1...4).contains(heads) else { throw ValidationError("--heads must be in 1...4 (a figure, not a model), got \(heads).") }
        guard !formats.isEmpty else { throw ValidationError("--format needs at least one of dot, svg, png.") }
    }

    func run() throws {
        let directory = URL(fileURLWithPath: output)
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        } catch {
            throw FiguresError.cannotCreate(output, reason: Self.reason(error))
        }
        let figures = [
            try RetentionFigures.parallel(FigureExample(length: length, dim: dim, valueDim: valueDim)),
            try RetentionFigures.recurrent(FigureExample(length: length, dim: dim, valueDim: valueDim, seed: 4)),
            try RetentionFigures.chunkwise(FigureExample(length: chunkwiseLength, dim: dim, valueDim: valueDim, seed: 5),
                                           chunkSize: chunkSize),
            try RetentionFigures.multiScale(LayerFigureExample(length: length, heads: heads)),
            try RetentionFigures.block(LayerFigureExample(length: length, heads: heads)),
            try RetentionFigures.parallelBackward(FigureExample(length: length, dim: dim, valueDim: valueDim)),
        ]
        let renderer = formats.contains { $0 != .dot } ? try GraphvizRenderer() : nil
        for figure in figures {
            try figure.graph.validate()
            for format in formats {
                let file = "\(figure.name).\(format.rawValue)"
                let path = directory.appendingPathComponent(file).path
                switch format {
                case .dot:
                    do {
                        try Data(figure.graph.dot.utf8).write(to: URL(fileURLWithPath: path))
                    } catch {
                        throw FiguresError.cannotWrite(path, reason: Self.reason(error))
                    }
                case .svg: try renderer?.render(figure.graph, as: .svg, to: path)
                case .png: try renderer?.render(figure.graph, as: .png, to: path)
                }
                print("wrote \(output)/\(file)")
            }
        }
        // Plots of what retention remembers: drawn as SVG directly (no graph, no Graphviz).
        guard formats.contains(.svg) else { return }
        for plot in [try DecayPlots.decayHeatmaps(), try DecayPlots.receptiveFields(), try DecayPlots.shiftInvariance()]
            + (try DecodingCostPlots.all())
        {
            let path = directory.appendingPathComponent("\(plot.name).svg").path
            do {
                try Data(plot.svg.utf8).write(to: URL(fileURLWithPath: path))
            } catch {
                throw FiguresError.cannotWrite(path, reason: Self.reason(error))
            }
            print("wrote \(output)/\(plot.name).svg")
        }
    }

    /// The system's words for a file error ("Permission denied"), without Foundation's wrapping.
    static func reason(_ error: Error) -> String {
        let underlying = (error as NSError).userInfo[NSUnderlyingErrorKey] as? NSError
        return underlying.map { String(cString: strerror(Int32($0.code))) } ?? error.localizedDescription
    }
}

/// Files that could not be written.
enum FiguresError: Error, CustomStringConvertible {
    case cannotCreate(String, reason: String)
    case cannotWrite(String, reason: String)

    var description: String {
        switch self {
        case .cannotCreate(let path, let reason): "cannot create the output folder \(path): \(reason)"
        case .cannotWrite(let path, let reason): "cannot write \(path): \(reason)"
        }
    }
}

Figures.main()
