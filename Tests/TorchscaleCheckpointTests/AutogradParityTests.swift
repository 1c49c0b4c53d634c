import Foundation
import Matrices
import SafeTensors
import TestSupport
import Testing
import TorchscaleCheckpoint

/// Our explicit backward pass, on torchscale's own checkpoints, gives torch autograd's gradients
/// (gradients.safetensors, made by make_fixtures.py) for the next-token loss
/// F.cross_entropy(logits[0, :-1], tokens[1:]) in torchscale's parallel mode — every parameter,
/// named as the checkpoint names it.
///
/// torchscale's parallel mode is exact retention times the paper's row factors, D̃ then R̃
/// (`RowScaling.paper`), and 0.3.0 detaches R̃'s denominator (`qk_mat.detach()…`; D̃ is built
/// from the decay buffer, a constant), so autograd holds the factors constant, as our backward
/// pass does. ε is the config's `layernorm_eps` in every norm, so at ε = 1e-6 the factors'
/// constancy matters, and both sides make the same choice.
///
/// Tolerances, relative per tensor (max |Δ| / max |torch's|):
/// - Double against float64 autograd, 1e-6. Both compute the same function from the same
///   stored weights and buffers, but torch's "float64" run is not float64 throughout: torchscale's
///   `RMSNorm.forward` computes `self._norm(x.float())`, so every block norm and per-head norm —
///   forward and, through autograd, backward — rounds to float32 (2⁻²⁴ ≈ 6e-8 relative), and
///   our rotation takes cos and sin in float32 as its float32 angle buffer asks (`Rotation.float32`)
///   where torch takes them in float64, the last bits of the two libraries' float32 sin and cos
///   differing too. Measured: ours against torch's float64 run, 2.5e-7 to 5.0e-7 per tensor
///   (printed); against a float64 run with torch's norms patched to stay in float64 and its sin
///   and cos taken in float32, 0.8e-7 to 3.8e-7 — the norms' float32 accounts for the rest. Each
///   source is a few float32 roundings carried through two layers of norms and the softmax, so
///   ~1e-7 to 5e-7; 1e-6 holds with a factor 2 over the worst measured, and fails on any real
///   mismatch: leaving out torchscale's row factors moves gradients by 0.05 to 0.25 at
///   ε = 1e-6 (tested below, > 1e-3 required), a wrong norm term or key scale by ≥ 1e-2.
/// - Float against float32 autograd, 1e-4. Two float32 implementations differ by rounding in
///   different orders: the logits by ~1e-6 relative (`TorchscaleParity`), and a gradient is a
///   difference softmax − one-hot, then sums over the sequence of products of such terms, which
///   loses a factor of up to ~10–100 more where gradients of O(1) terms cancel to small tensors.
///   Measured: 4.5e-7 to 3.4e-6 (printed); 1e-4 leaves ~30× over the worst.
@Suite("Gradients = torch autograd on torchscale's checkpoints")
struct AutogradParityTests {
    static let doubleBound = 1e-6
    static let floatBound = 1e-4

    /// torch's gradients and losses for one fixture.
    struct Recorded {
        let tokens: [Int]
        let loss: [String: Double]
        let tensors: SafeTensors

        init(_ fixture: String) throws {
            let json = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: Fixtures.gradientRecord(fixture)))
                as? [String: Any], "\(fixture): gradients.json is an object")
            tokens = try #require(json["tokens"] as? [Int], "\(fixture): tokens")
            loss = try ["float64", "float32"].reduce(into: [:]) { out, dtype in
                out[dtype] = try #require(json["loss_\(dtype)"] as? Double, "\(fixture): loss_\(dtype)")
            }
            #expect(json["mode"] as? String == "parallel", "\(fixture): recorded in parallel mode")
            tensors = try SafeTensors(contentsOf: Fixtures.gradients(fixture))
        }

        /// torch's gradient of `name` from the run in `dtype`, shaped as `shape` ([n] as 1×n).
        func gradient(_ name: String, _ dtype: String, shape: [Int]) throws -> Matrix<Double> {
            let values = try tensors.doubles("\(dtype)/\(name)")
            let stored = try tensors.tensor("\(dtype)/\(name)").shape
            #expect(stored == shape, "\(dtype)/\(name): torch's shape \(stored), ours \(shape)")
            return Matrix(rows: shape.count == 2 ? shape[0] : 1, columns: shape.last ?? 0, entries: values)
        }
    }

    @Test("Double = float64 autograd (≤ 1e-6 per tensor), Float = float32 autograd (≤ 1e-4)", arguments: Fixtures.names)
    func parity(fixture: String) throws {
        let recorded = try Recorded(fixture)
        let logits = try Fixtures.record(fixture)
        #expect(recorded.tokens == logits.tokens, "\(fixture): gradients.json's tokens are logits.json's")
        let checkpoint = try TorchscaleCheckpoint(directory: Fixtures.directory(fixture))
        let torchNames = Set(recorded.tensors.names)

        func compare<E: RealScalar>(_: E.Type, dtype: String, bound: Double) throws -> (Double, String) {
            let (loss, gradients) = try checkpoint.model(E.self).gradients(recorded.tokens, form: .parallel, scaling: .paper)
            let torchLoss = recorded.loss[dtype]!
            #expect(Swift.abs(Double(loss) - torchLoss) <= bound * torchLoss,
                    "\(fixture) \(E.name): loss \(loss), torch \(dtype) \(torchLoss)")
            let named = gradients.named
            #expect(Set(named.map { "\(dtype)/\($0.name)" }) == torchNames.filter { $0.hasPrefix(dtype + "/") },
                    "\(fixture) \(E.name): one gradient per torch parameter, same names")
            var worst = (0.0, "none")
            for entry in named {
                let ours = Matrix(rows: entry.shape.count == 2 ? entry.shape[0] : 1, columns: entry.shape.last ?? 0,
                                  entries: entry.values.map(Double.init))
                let theirs = try recorded.gradient(entry.name, dtype, shape: entry.shape)
                let m = expectClose(ours, theirs, relative: bound, "\(fixture) \(E.name) vs torch \(dtype): \(entry.name)")
                if m.error > worst.0 { worst = (m.error, entry.name) }
            }
            return worst
        }
        let double = try compare(Double.self, dtype: "float64", bound: Self.doubleBound)
        let float = try compare(Float.self, dtype: "float32", bound: Self.floatBound)
        print("autograd parity, \(fixture): Double worst \(Format.scientific(double.0, 2)) (\(double.1)), "
              + "Float worst \(Format.scientific(float.0, 2)) (\(float.1))")
    }

    /// The comparison can tell the row factors apart: at ε = 1e-6 the gradients of exact
    /// retention (no factors) are far from torch's — the per-head norm removes the factors only
    /// when ε = 0 — so matching torch to 1e-6 above says the factors are applied, and held
    /// constant as torchscale holds them.
    @Test("without torchscale's row factors, the gradients differ at ε = 1e-6", arguments: Fixtures.names)
    func rowFactorsMatter(fixture: String) throws {
        let recorded = try Recorded(fixture)
        let checkpoint = try TorchscaleCheckpoint(directory: Fixtures.directory(fixture))
        guard checkpoint.config.layernormEps > 0 else { return }
        let (_, gradients) = try checkpoint.model(Double.self).gradients(recorded.tokens, form: .parallel, scaling: .exact)
        var largest = 0.0
        for entry in gradients.named {
            let theirs = try recorded.gradient(entry.name, "float64", shape: entry.shape)
            largest = Swift.max(largest, relativeError(Matrix(rows: theirs.rows, columns: theirs.columns, entries: entry.values),
                                                       theirs))
        }
        #expect(largest > 1e-3, "\(fixture): exact retention's gradients should be far from torch's, largest gap \(largest)")
        print("autograd parity, \(fixture): without the row factors, largest relative gap \(Format.scientific(largest, 2))")
    }
}
