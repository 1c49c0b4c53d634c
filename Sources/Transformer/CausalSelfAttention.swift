import Layers
import Matrices
import Recurrence

/// Multi-head causal attention with rotary positions, one layer:
///
///     Q = (X W_Qᵀ) rotated,  K = (X W_Kᵀ) rotated,  V = X W_Vᵀ
///     head_i = softmax(Q_i K_iᵀ / √d_k, causal) V_i        (chapter 01's `CausalAttention.softmax`)
///     Attn(X) = Concat(head_1, …, head_h) W_Oᵀ
///
/// or, when `scoring` is `.linear`, head_i = ((Q_i/√d_k) K_iᵀ ⊙ M) V_i (chapter 01's
/// `CausalAttention.linear`, on Q scaled as softmax scales its scores): linear attention.
///
/// Head i sees columns [i·d_k, (i+1)·d_k) of Q and K and [i·d_v, (i+1)·d_v) of V, exactly as a
/// retention head does, and rows are rotated by the same `Rotation` (angle n·θ_j on pair j at
/// position n). Weights [out, in], no biases: W_Q, W_K [E, E], W_V [V, E], W_O [E, V].
public struct CausalSelfAttention<E: RealScalar>: Sendable, Equatable {
    public let heads: Int
    public let qProj: Matrix<E>, kProj: Matrix<E>, vProj: Matrix<E>, outProj: Matrix<E>
    public let rotation: Rotation
    /// Softmax attention or linear attention.
    public let scoring: AttentionScoring

    /// A layer from its weights; checks their shapes against E, V and h, and the rotation's width.
    public init(heads: Int, qProj: Matrix<E>, kProj: Matrix<E>, vProj: Matrix<E>, outProj: Matrix<E>,
                rotation: Rotation, scoring: AttentionScoring = .softmax, field: String = "attention") throws(TransformerError)
    {
        let e = qProj.columns, v = vProj.rows
        guard heads >= 1 && e % heads == 0 && v % heads == 0 else {
            throw .config(field: "\(field).heads", expected: "a divisor of E = \(e) and V = \(v)", got: "\(heads)")
        }
        for (name, m, rows, columns) in [("q_proj", qProj, e, e), ("k_proj", kProj, e, e), ("v_proj", vProj, v, e),
                                         ("out_proj", outProj, e, v)]
            where m.rows != rows || m.columns != columns
        {
            throw .weight(field: "\(field).\(name).weight", expected: "\(rows)×\(columns)", got: "\(m.shape)")
        }
        guard rotation.keyDimension == e / heads else {
            throw .config(field: "\(field).rotation", expected: "\(e / heads) columns (key_dim)", got: "\(rotation.keyDimension)")
        }
        self.heads = heads
        (self.qProj, self.kProj, self.vProj, self.outProj) = (qProj, kProj, vProj, outProj)
        self.rotation = rotation
        self.scoring = scoring
    }

    /// One head's outputs from its rotated Q, K and its V (n rows each), as `scoring` says.
    func head(q: Matrix<E>, k: Matrix<E>, v: Matrix<E>) throws(ShapeError) -> Matrix<E> {
        switch scoring {
        case .softmax: try CausalAttention.softmax(q: q, k: k, v: v)
        case .linear: try CausalAttention.linear(q: (1 / E.sqrt(E(keyDimension))) * q, k: k, v: v)
        }
    }

    public var embedDimension: Int { qProj.columns }
    public var valueDimension: Int { vProj.rows }
    public var keyDimension: Int { embedDimension / heads }
    public var headDimension: Int { valueDimension / heads }

    /// The empty cache (position 0).
    public func emptyCache() -> AttentionCache<E> {
        AttentionCache(keys: Array(repeating: Matrix(rows: 0, columns: keyDimension), count: heads),
                       values: Array(repeating: Matrix(rows: 0, columns: headDimension), count: heads))
    }

    /// Attn(X) for a whole sequence X (n×E) from position 0, and the cache it leaves: every
    /// query against every key at once, through `CausalAttention.softmax`. Throws `.argument`
    /// unless X has E columns.
    public func callAsFunction(_ x: Matrix<E>) throws(TransformerError) -> (output: Matrix<E>, cache: AttentionCache<E>) {
        try checkWidth(x)
        let (dk, dv) = (keyDimension, headDimension)
        let q = x.applyingLinear(qProj), k = x.applyingLinear(kProj), v = x.applyingLinear(vProj)
        var outputs: [Matrix<E>] = [], cache = AttentionCache<E>(keys: [], values: [])
        for i in 0..<heads {
            let qi = try rotated(q.columnRange(i * dk..<(i + 1) * dk), offset: 0)
            let ki = try rotated(k.columnRange(i * dk..<(i + 1) * dk), offset: 0)
            let vi = v.columnRange(i * dv..<(i + 1) * dv)
            // Shapes agree by construction (the same n rows, d_k columns for Q and K); a mismatch
            // would be reported, not trapped.
            do {
                outputs.append(try head(q: qi, k: ki, v: vi))
            } catch {
                throw .argument(name: error.argument, expected: error.expected, got: error.got)
            }
            cache.keys.append(ki)
            cache.values.append(vi)
        }
        return (Matrix.concatenatingColumns(outputs, rows: x.rows).applyingLinear(outProj), cache)
    }

    /// Attn for one new row per sequence: row b of x (B×E) is the next token of the sequence
    /// whose cache is caches[b], at position caches[b].position. Each query attends to its own
    /// sequence's cached keys and its own key — sequences never see each other — and each cache
    /// grows by one row. Projections act on all B rows at once (row by row, so a row's numbers
    /// do not depend on the others).
    ///
    /// One query against the n + 1 keys of its sequence: s_m = q·k_m/√d_k, then
    /// softmax(s) V = Σ_m e^{s_m − max s} v_m / Σ_m e^{s_m − max s}.
    ///
    /// Throws `.argument` unless X has E columns and one row per cache (at least one), `.cache`
    /// for a cache of another shape; then changes nothing.
    public func step(_ x: Matrix<E>, caches: inout [AttentionCache<E>]) throws(TransformerError) -> Matrix<E> {
        try checkWidth(x)
        guard x.rows >= 1 && x.rows == caches.count else {
            throw .argument(name: "x", expected: "one row per cache, at least one (\(caches.count) caches)", got: "\(x.shape)")
        }
        let (dk, dv) = (keyDimension, headDimension)
        for (b, cache) in caches.enumerated() {
            let n = cache.position
            guard cache.keys.count == heads && cache.values.count == heads
                && cache.keys.allSatisfy({ $0.rows == n && $0.columns == dk })
                && cache.values.allSatisfy({ $0.rows == n && $0.columns == dv })
            else {
                throw .cache(field: "caches[\(b)]", expected: "\(heads) heads of n×\(dk) keys and n×\(dv) values, one n",
                             got: "keys \(cache.keys.map(\.shape)), values \(cache.values.map(\.shape))")
            }
        }
        let q = x.applyingLinear(qProj), k = x.applyingLinear(kProj), v = x.applyingLinear(vProj)
        let scale = 1 / E.sqrt(E(dk))
        var rows: [Matrix<E>] = []
        for b in 0..<x.rows {
            let position = caches[b].position
            var heads: [Matrix<E>] = []
            for i in 0..<self.heads {
                let qi = try rotated(q.row(b).columnRange(i * dk..<(i + 1) * dk), offset: position)
                let ki = try rotated(k.row(b).columnRange(i * dk..<(i + 1) * dk), offset: position)
                let keys = caches[b].keys[i].stacked(above: ki)
                let values = caches[b].values[i].stacked(above: v.row(b).columnRange(i * dv..<(i + 1) * dv))
                // The same arithmetic as `CausalAttention.softmax` does for its last row: scores
                // q·k_m scaled after the dot product, the maximum subtracted, weights normalised
                // before they multiply V.
                let weights: Matrix<E>
                switch scoring {
                case .softmax:
                    let scores = (0...position).map { m in
                        scale * (0..<dk).reduce(E.zero) { $0 + qi[0, $1] * keys[m, $1] }
                    }
                    let peak = scores.max()!
                    let total = scores.reduce(E.zero) { $0 + E.exp($1 - peak) }
                    weights = Matrix(rows: 1, columns: position + 1, entries: scores.map { E.exp($0 - peak) / total })
                case .linear:
                    // As `CausalAttention.linear` computes its last row: (q/√d_k)·k_m, unnormalised.
                    let scaled = scale * qi
                    weights = Matrix(rows: 1, columns: position + 1, entries: (0...position).map { m in
                        (0..<dk).reduce(E.zero) { $0 + scaled[0, $1] * keys[m, $1] }
                    })
                }
                heads.append(weights * values)
                caches[b].keys[i] = keys
                caches[b].values[i] = values
            }
            rows.append(Matrix.concatenatingColumns(heads, rows: 1))
        }
        return rows.dropFirst().reduce(rows[0]) { $0.stacked(above: $1) }.applyingLinear(outProj)
    }

    func checkWidth(_ x: Matrix<E>) throws(TransformerError) {
        guard x.columns == embedDimension else {
            throw .argument(name: "x", expected: "\(embedDimension) columns (E)", got: "\(x.shape)")
        }
    }

    /// x rotated as rows at positions offset, offset + 1, …; the rotation's width was checked
    /// against d_k when the layer was made, so an error here would be reported, not trapped.
    func rotated(_ x: Matrix<E>, offset: Int) throws(TransformerError) -> Matrix<E> {
        do {
            return try rotation.apply(x, offset: offset)
        } catch {
            throw .argument(name: "rotated rows", expected: "\(rotation.keyDimension) columns (d_k)", got: "\(x.shape)")
        }
    }
}
