import FastLayers

/// The heads of one block's token mixer in one of their forms — every (sequence, head) pair one
/// item (b·h + i), which writes only its own rows and columns, so that items are split between
/// threads, each thread with its own `HeadScratch`:
///
///     forward    O = heads(Q, K, V)                 for the item's T rows
///     backward   dQ, dK, dV from dO                 into the item's columns of the projections' gradient
///
/// `CausalHeads` is the parallel form for any score map (T×T scores per item); `ChunkwiseHeads`
/// is retention's chunkwise form (B×B scores per chunk and a state between chunks). Both gather
/// their Q, K, V and scatter their gradients through the same `HeadLayout`.
protocol MixerHeads {
    var layout: HeadLayout { get }
    /// The forward pass of item `item`: its Q, K (scaled), V gathered from `projected` (R ×
    /// projectionWidth) and rotated, and O into `out` (T rows `stride` apart).
    func forward(_ item: Int, projected: UnsafePointer<Float>, into out: UnsafeMutablePointer<Float>, stride: Int,
                 scratch: HeadScratch)
    /// The backward pass of item `item`, given dO (T rows `stride` apart): dQ, dK (through the
    /// rotation and K's scale) and dV into the item's columns of `dProjected` (R × projectionWidth).
    func backward(_ item: Int, outputGradient dO: UnsafePointer<Float>, stride: Int,
                  into dProjected: UnsafeMutablePointer<Float>, scratch: HeadScratch)
}

extension MixerHeads {
    /// T.
    var length: Int { layout.length }
    /// Offsets of item `item` = b·h + i: its first row in the batch, and its head.
    func place(_ item: Int) -> (firstRow: Int, head: Int) { layout.place(item) }
}

/// Where an item's Q, K and V come from and where their gradients go: the stacked projections
/// [Q K V …] of R = B·T rows, the heads' columns in them, K's scale (d_k^{-1/2} for retention, 1
/// for attention, whose map scales) and the rotation of positions; Q, K and V are kept rotated
/// (and K scaled) in `buffers`, per item at item·T·d.
struct HeadLayout {
    let shape: MixerShape
    let keyScale: Float
    /// T.
    let length: Int
    let rotation: RotationTable
    let buffers: HeadActivations

    func place(_ item: Int) -> (firstRow: Int, head: Int) {
        (item / shape.heads * length, item % shape.heads)
    }

    /// The item's Q, K (scaled) and V (T×d_k, T×d_k, T×d_v) in the kept buffers.
    func qkv(_ item: Int) -> (q: UnsafeMutablePointer<Float>, k: UnsafeMutablePointer<Float>, v: UnsafeMutablePointer<Float>) {
        let (n, dk, dv) = (length, shape.keyDimension, shape.headDimension)
        return (buffers.q.pointer + item * n * dk, buffers.k.pointer + item * n * dk, buffers.v.pointer + item * n * dv)
    }

    /// Q, K (times the key scale) and V of item `item` gathered from `projected` and rotated
    /// into the kept buffers.
    func gather(_ item: Int, projected: UnsafePointer<Float>) {
        let (n, e, dk, dv, width) = (length, shape.embed, shape.keyDimension, shape.headDimension, shape.projectionWidth)
        let (first, h) = place(item)
        let (q, k, values) = qkv(item)
        for t in 0..<n {
            let row = projected + (first + t) * width
            rotation.rotate(row + h * dk, into: q + t * dk, row: t)
            rotation.rotate(row + e + h * dk, scaledBy: keyScale, into: k + t * dk, row: t)
            (values + t * dv).update(from: row + 2 * e + h * dv, count: dv)
        }
    }

    /// The gradients of positions `positions` of item `item` with respect to its rotated Q and
    /// scaled K (row j of `dQ` and `dK` for position positions.lowerBound + j, d_k apart), turned
    /// back through the rotation and K's scale, into the item's Q and K columns of `dProjected`.
    /// Overwrites `dQ` and `dK`.
    func scatter(_ item: Int, dQ: UnsafeMutablePointer<Float>, dK: UnsafeMutablePointer<Float>, positions: Range<Int>,
                 into dProjected: UnsafeMutablePointer<Float>) {
        let (e, dk, width) = (shape.embed, shape.keyDimension, shape.projectionWidth)
        let (first, h) = place(item)
        for t in positions {
            let j = t - positions.lowerBound
            let row = dProjected + (first + t) * width
            let (dq, dkRow) = (dQ + j * dk, dK + j * dk)
            rotation.rotateBack(dq, row: t)
            rotation.rotateBack(dkRow, row: t)
            (row + h * dk).update(from: dq, count: dk)
            for c in 0..<dk { row[e + h * dk + c] = keyScale * dkRow[c] }
        }
    }
}

/// A mixer's heads in one of its two forms, chosen per gradient pass: retention's parallel or
/// chunkwise form (`RetentionHeads`), attention's naive or tiled form (`AttentionHeads`).
enum EitherHeads<First: MixerHeads, Second: MixerHeads>: MixerHeads {
    case first(First)
    case second(Second)

    var layout: HeadLayout {
        switch self {
        case .first(let heads): heads.layout
        case .second(let heads): heads.layout
        }
    }

    func forward(_ item: Int, projected: UnsafePointer<Float>, into out: UnsafeMutablePointer<Float>, stride: Int,
                 scratch: HeadScratch) {
        switch self {
        case .first(let heads): heads.forward(item, projected: projected, into: out, stride: stride, scratch: scratch)
        case .second(let heads): heads.forward(item, projected: projected, into: out, stride: stride, scratch: scratch)
        }
    }

    func backward(_ item: Int, outputGradient dO: UnsafePointer<Float>, stride: Int,
                  into dProjected: UnsafeMutablePointer<Float>, scratch: HeadScratch) {
        switch self {
        case .first(let heads): heads.backward(item, outputGradient: dO, stride: stride, into: dProjected, scratch: scratch)
        case .second(let heads): heads.backward(item, outputGradient: dO, stride: stride, into: dProjected, scratch: scratch)
        }
    }
}
