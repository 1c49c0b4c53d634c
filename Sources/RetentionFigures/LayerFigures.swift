import Graphs
import Matrices
import RetNetModel
import Tracing

extension RetentionFigures {
    /// Gated multi-scale retention (Sec. 2.2), one layer of the paper's variant, traced from
    /// `MultiScaleRetentionLayer.pass`: X projected by W_Q, W_K, W_V, W_G; each head's columns of
    /// Q and K rotated and its columns of V, in a box labelled with its γᵢ, with the parallel form
    /// recording itself inside; the heads side by side, GroupNorm_h, swish(X W_G) ⊙ Y, and W_O.
    public static func multiScale(_ example: LayerFigureExample = LayerFigureExample()) throws(FigureError) -> Figure {
        let x = try example.input()
        let layer = try example.layer()
        let trace = Tracer<Double>()
        let outputs: Matrix<Double>
        do {
            outputs = try layer.pass(x, form: .parallel, trace: trace).output
        } catch {
            throw .retention("\(error)")
        }
        var graph = TraceDrawing().graph(
            of: trace.trace, name: "msr",
            caption: "Gated multi-scale retention (Sec. 2.2), the paper's variant: \(example.sizes)\n"
                + "(·)ᵢ = head i's columns,   γᵢ = 1 − 2⁻⁵⁻ⁱ (Eq. 8),   each head in the parallel form (Eq. 5)")
        // Layout only (the nodes, edges and boxes are the trace's): each value's consumers left to
        // right in the order they ran (Q before K), and the heads' boxes declared last first,
        // which is the order in which dot places them left to right (head 0 leftmost).
        graph.attributes.append(Attribute("ordering", "out"))
        graph.clusters.reverse()
        return Figure(name: "msr", trace: trace.trace, outputs: outputs, graph: graph)
    }

    /// One RetNet block (Sec. 2.3) in torchscale 0.3.0's variant, traced from `RetNetBlock`:
    /// RMSNorm, multi-scale retention as one node, the residual sum, RMSNorm, the GLU
    /// feed-forward network step by step, the second residual sum. Weights are named in the
    /// labels rather than drawn.
    public static func block(_ example: LayerFigureExample = LayerFigureExample()) throws(FigureError) -> Figure {
        let x = try example.input()
        let block = try example.block()
        let trace = Tracer<Double>()
        let outputs: Matrix<Double>
        do {
            outputs = try block(x, form: .parallel, from: nil, trace: trace).output
        } catch {
            throw .retention("\(error)")
        }
        let drawing = TraceDrawing(hidden: [.parameter])
        return Figure(name: "block", trace: trace.trace, outputs: outputs,
                      graph: drawing.graph(of: trace.trace, name: "block",
                                           caption: "A RetNet block (Sec. 2.3), torchscale 0.3.0's variant\n"
                                               + "RMSNorm, GLU feed-forward;   n = \(example.length), E = \(example.embedDim), "
                                               + "F = \(example.ffnDim), h = \(example.heads)\n"
                                               + "Y = MSR(RMSNorm(X)) + X,   X′ = FFN(RMSNorm(Y)) + Y"))
    }
}
