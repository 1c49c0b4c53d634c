import Foundation
import Layers
import Matrices
import TestSupport
import MultiScaleRetention
import RetNetModel
import Retention
import Testing

@Suite("Configuration, weights, tokens and states are validated")
struct ConfigTests {
    func configError(_ json: String) -> String {
        do {
            _ = try JSONDecoder().decode(RetNetConfig.self, from: Data(json.utf8))
            return "decoded"
        } catch let error as RetNetError {
            return "\(error)"
        } catch {
            return "other: \(error)"
        }
    }

    static let base = #""decoder_embed_dim": 8, "decoder_value_embed_dim": 12, "decoder_retention_heads": 2, "decoder_ffn_embed_dim": 10, "decoder_layers": 2, "vocab_size": 11"#

    @Test("torchscale's keys decode; defaults follow torchscale; the JSON round-trips")
    func decoding() throws {
        let config = try JSONDecoder().decode(RetNetConfig.self, from: Data("{\(Self.base), \"dropout\": 0.1}".utf8))
        #expect(config.variant == .torchscale && config.layernormEps == 1e-6 && config.activationFn == .gelu)
        #expect(config.noScaleEmbedding && config.recurrentChunkSize == 512 && config.float32Buffers)
        #expect(config.keyDim == 4 && config.headDim == 6 && config.embedScale == 1)
        let scaled = try JSONDecoder().decode(RetNetConfig.self, from: Data("{\(Self.base), \"no_scale_embedding\": false, \"variant\": \"paper\"}".utf8))
        #expect(scaled.embedScale == 8.0.squareRoot() && !scaled.float32Buffers)
        let again = try JSONDecoder().decode(RetNetConfig.self, from: Data(try scaled.json().utf8))
        #expect(again == scaled)
        #expect(try scaled.json().contains("\"decoder_value_embed_dim\" : 12"))
    }

    @Test("bad configurations name the field and the expected value")
    func badConfigs() {
        let cases: [(String, String)] = [
            (#""decoder_embed_dim": 9, "decoder_value_embed_dim": 12, "decoder_retention_heads": 2, "decoder_ffn_embed_dim": 10, "decoder_layers": 2, "vocab_size": 11"#,
             "decoder_embed_dim: expected a positive multiple of decoder_retention_heads = 2, got 9"),
            (#""decoder_embed_dim": 8, "decoder_value_embed_dim": 13, "decoder_retention_heads": 2, "decoder_ffn_embed_dim": 10, "decoder_layers": 2, "vocab_size": 11"#,
             "decoder_value_embed_dim: expected a positive multiple of decoder_retention_heads = 2, got 13"),
            (#""decoder_embed_dim": 6, "decoder_value_embed_dim": 12, "decoder_retention_heads": 2, "decoder_ffn_embed_dim": 10, "decoder_layers": 2, "vocab_size": 11"#,
             "key_dim: expected an even decoder_embed_dim / decoder_retention_heads (the rotation acts on pairs), got 6 / 2 = 3"),
            (Self.base + #", "activation_fn": "relu""#, #"activation_fn: expected "gelu" or "swish", got "relu""#),
            (Self.base + #", "variant": "v2""#, #"variant: expected "paper" or "torchscale", got "v2""#),
            (Self.base + #", "decay_schedule": "cosine""#, #"decay_schedule: expected "eq8" or "linspace", got "cosine""#),
            (Self.base + #", "layernorm_eps": -1"#, "layernorm_eps: expected a finite ε ≥ 0, got -1.0"),
            (Self.base + #", "recurrent_chunk_size": 0"#, "recurrent_chunk_size: expected at least 1, got 0"),
            // c-chunk1e15: a hostile config.json's chunk size, once accepted and then hanging `logits --mode chunkwise`.
            (Self.base + #", "recurrent_chunk_size": 1000000000000000"#, "recurrent_chunk_size: expected at most 65536, got 1000000000000000"),
            (#""decoder_embed_dim": 8, "decoder_value_embed_dim": 12, "decoder_retention_heads": 2, "decoder_ffn_embed_dim": 10, "decoder_layers": 2, "vocab_size": -1"#,
             "vocab_size: expected at least 1, got -1"),
        ]
        for (json, message) in cases {
            #expect(configError("{\(json)}") == message)
        }
    }

    @Test("token ids outside the vocabulary, states of other configurations, bad sampling arguments")
    func badInputs() throws {
        let model = try tinyModel(.torchscale)
        #expect(throws: RetNetError.token(position: 2, id: 11, vocabularySize: 11)) { _ = try model.logits([0, 1, 11]) }
        #expect(throws: RetNetError.token(position: 0, id: -1, vocabularySize: 11)) { _ = try model.step(-1, state: model.emptyState()) }
        #expect("\(RetNetError.token(position: 2, id: 11, vocabularySize: 11))" == "tokens[2]: expected a token id in 0..<11 (vocab_size), got 11")

        var deeper = tinyConfig(.torchscale)
        deeper.layers = 3
        let state3 = try RetNet<Double>.random(config: deeper, seed: 1).prefill([1, 2], form: .parallel).state
        #expect(throws: RetNetError.state(field: "state.layers", expected: "2 layers (decoder_layers)", got: "3")) {
            _ = try model.step(0, state: state3)
        }
        var wider = tinyConfig(.torchscale)
        wider.valueEmbedDim = 16
        let wideState = try RetNet<Double>.random(config: wider, seed: 1).prefill([1], form: .parallel).state
        #expect(throws: RetNetError.state(field: "state.layers[0].heads[0].s", expected: "4×6 (key_dim×head_dim)", got: "4×8")) {
            _ = try model.step(0, state: wideState)
        }
        var skewed = try model.prefill([1, 2, 3], form: .parallel).state
        for h in 0..<2 { skewed.layers[1].heads[h].position = 2 }
        #expect(throws: RetNetError.state(field: "state.layers[1].position", expected: "3 (the position of layer 0)", got: "2")) {
            _ = try model.step(0, state: skewed)
        }
        let started = try model.prefill([1, 2], form: .parallel).state
        #expect(throws: RetNetError.self) { _ = try model.prefill([3], form: .parallel, from: started) }
        #expect(throws: RetNetError.layer(0, .head(0, .chunkSize(0)))) { _ = try model.logits([1, 2], form: .chunkwise(chunkSize: 0)) }
    }

    @Test("weights of the wrong shape name their checkpoint key")
    func badWeights() throws {
        let model = try tinyModel(.paper)
        #expect(throws: RetNetError.weight(field: "embed_tokens.weight", expected: "11×8 ([vocab_size, E])", got: "8×11")) {
            _ = try RetNet(config: model.config, embedTokens: model.embedTokens.transposed, blocks: model.blocks,
                           layerNorm: model.layerNorm, outputProjection: model.outputProjection)
        }
        var blocks = model.blocks
        blocks[1] = RetNetBlock(retentionLayerNorm: blocks[1].retentionLayerNorm, retention: blocks[1].retention,
                                finalLayerNorm: .layerNorm(weight: [1], bias: [0], eps: 0), ffn: blocks[1].ffn)
        #expect(throws: RetNetError.weight(field: "layers.1.final_layer_norm.weight/bias", expected: "8 entries each (decoder_embed_dim)", got: "1 and 1")) {
            _ = try RetNet(config: model.config, embedTokens: model.embedTokens, blocks: blocks, layerNorm: model.layerNorm,
                           outputProjection: model.outputProjection)
        }
        #expect(throws: RetNetError.weight(field: "layers", expected: "2 blocks (decoder_layers)", got: "1")) {
            _ = try RetNet(config: model.config, embedTokens: model.embedTokens, blocks: [model.blocks[0]],
                           layerNorm: model.layerNorm, outputProjection: model.outputProjection)
        }
    }

    @Test("variant pieces: RMSNorm, LayerNorm, GLU and plain FFN, embedding scale, float32 buffers")
    func variantPieces() throws {
        let x = Matrix<Double>([[1, 2, 3, 6]])  // mean 3, variance 3.5, mean square 12.5
        expectClose(BlockNorm.rms(weight: [1, 2, 1, 1], eps: 0).apply(x),
                    Matrix([[1, 4, 3, 6]].map { $0.map { $0 / 12.5.squareRoot() } }), relative: 1e-15, "RMSNorm")
        expectClose(BlockNorm.layerNorm(weight: [1, 1, 1, 2], bias: [0, 0, 1, 0], eps: 0).apply(x),
                    Matrix([[-2, -1, 0, 6]].map { $0.map { $0 / 3.5.squareRoot() } }).map { $0 } + Matrix([[0, 0, 1, 0]]),
                    relative: 1e-15, "LayerNorm")
        let fc1 = Matrix<Double>([[1, 0, 0, 0], [0, 1, 0, 0]]), gate = Matrix<Double>([[0, 0, 1, 0], [0, 0, 0, 1]])
        let fc2 = Matrix<Double>([[1, 1], [0, 0], [0, 0], [2, 0]])
        let glu = FeedForward.glu(fc1: fc1, gate: gate, fc2: fc2, activation: .swish)(x)
        let s1 = 1 / (1 + Double.exp(-1)), s2 = 2 / (1 + Double.exp(-2))
        expectClose(glu, Matrix([[s1 * 3 + s2 * 6, 0, 0, 2 * s1 * 3]]), relative: 1e-15, "GLU")
        let plain = FeedForward.plain(fc1: fc1, fc2: fc2, activation: .gelu)(x)
        let g1 = 0.5 * (1 + Double.erf(1 / 2.0.squareRoot())), g2 = 2 * 0.5 * (1 + Double.erf(2 / 2.0.squareRoot()))
        expectClose(plain, Matrix([[g1 + g2, 0, 0, 2 * g1]]), relative: 1e-15, "plain FFN with erf-form gelu")
        // √E on the embeddings: X⁰ of a model with no_scale_embedding = false.
        var config = tinyConfig(.torchscale)
        config.noScaleEmbedding = false
        let model = try RetNet<Double>.random(config: config, seed: 3)
        #expect(try model.forward([4]).hidden[0] == 8.0.squareRoot() * model.embedTokens.row(4))
        // torchscale's float32 buffers: γ from the float32 log, θ from float32 angles.
        #expect(model.blocks[0].retention.gammas == DecaySchedule.eq8.float32Gammas(heads: 2))
        #expect(model.blocks[0].retention.rotation == (try Rotation(keyDimension: 4, precision: .float32)))
        #expect(try tinyModel(.paper).blocks[0].retention.gammas == [0.96875, 0.984375])
    }
}
