import Matrices

/// Multi-query associative recall (MQAR), the synthetic task of Zoology (Arora et al. 2023): a
/// sequence shows key–value pairs, then asks for some of the keys again; the model must answer
/// each query with the value that followed that key. An example of T + 1 tokens:
///
///     k₁ v₁ k₂ v₂ … k_P v_P | filler … k_a v_a filler … k_b v_b filler …
///     └─ the 2P pairs ─────┘ └─ Q queries at pairs of slots 2P + 2g, 2P + 2g + 1 ─┘
///
/// As Zoology's generator: keys are P distinct tokens of 1 ..< V/2, values P distinct tokens of
/// V/2 ..< V, paired at random; the Q queried keys are distinct, drawn from the P; the gap g of
/// each query (which of the (T + 1 − 2P)/2 slot pairs after the pairs it takes) is drawn without
/// replacement with probability ∝ a·(g + 1)^(a − 1) (Zoology's power law, a = 0.01: queries
/// cluster early, near their keys) or uniformly; every other token after the pairs is drawn
/// uniformly from the whole vocabulary. Only the answers count: the weight of the prediction made
/// after reading a query key (whose target is its value) is 1, every other weight 0.
///
/// One difference from Zoology's code: there the value is only a label and the input after a
/// query is filler; here an example is one token sequence whose next token is the target (the
/// trainer's form), so the value stands in the sequence after its query. It is read only after
/// the answer is scored, and a causal model cannot see it before.
///
/// Deterministic: example `i` of batch `n` is a function of (seed, n, i) alone.
public struct MQAR: Sendable, Equatable {
    /// Where the queries go among the slots after the pairs.
    public enum Placement: Sendable, Equatable {
        /// Gap g drawn ∝ a·(g + 1)^(a − 1) (Zoology's `power_a`, 0.01 by default there).
        case powerLaw(Double)
        /// Every gap equally likely.
        case uniform
    }

    /// V: tokens 0 ..< V.
    public let vocabulary: Int
    /// T: the tokens a model reads (an example is T + 1 tokens; its last is only a target).
    public let length: Int
    /// P: key–value pairs shown.
    public let pairs: Int
    /// Q: keys asked for again (≤ P).
    public let queries: Int
    public let placement: Placement
    public let seed: UInt64

    /// The largest vocabulary and length accepted: beyond them a batch would not fit in memory.
    public static let largest = 65_536

    /// Throws `.setting` naming the numbers for a vocabulary or length outside 1 … 65,536, no
    /// pairs, no queries or more queries than pairs, more pairs and queries than the sequence
    /// holds (2P + 2Q ≤ T + 1), a vocabulary too small for P distinct keys and values
    /// (V/2 − 1 ≥ P), or a power-law exponent outside (0, 1].
    public init(vocabulary: Int = 256, length: Int = 64, pairs: Int = 8, queries: Int? = nil,
                placement: Placement = .powerLaw(0.01), seed: UInt64 = 13) throws(RecallError)
    {
        let queries = queries ?? pairs
        for (name, value) in [("vocabulary", vocabulary), ("length", length)] where !(1...Self.largest).contains(value) {
            throw .setting(name: name, expected: "1 … \(Self.largest)", got: "\(value)")
        }
        guard pairs >= 1 else { throw .setting(name: "pairs", expected: "at least 1 key–value pair", got: "\(pairs)") }
        guard queries >= 1 else { throw .setting(name: "queries", expected: "at least 1 query (the only positions scored)", got: "\(queries)") }
        guard queries <= pairs else {
            throw .setting(name: "queries", expected: "at most the \(pairs) pairs (each key is asked for once)", got: "\(queries)")
        }
        guard 2 * pairs + 2 * queries <= length + 1 else {
            throw .setting(name: "pairs", expected: "2·pairs + 2·queries ≤ length + 1 = \(length + 1) tokens "
                           + "(\(pairs) pairs and \(queries) queries take \(2 * pairs + 2 * queries))", got: "\(pairs)")
        }
        guard vocabulary / 2 - 1 >= pairs else {
            throw .setting(name: "vocabulary", expected: "at least \(2 * pairs + 2) tokens for \(pairs) distinct keys "
                           + "(1 ..< V/2) and values (V/2 ..< V)", got: "\(vocabulary)")
        }
        if case .powerLaw(let a) = placement, !(a > 0 && a <= 1) {
            throw .setting(name: "power-law exponent", expected: "a in (0, 1]", got: "\(a)")
        }
        (self.vocabulary, self.length, self.pairs, self.queries, self.placement, self.seed)
            = (vocabulary, length, pairs, queries, placement, seed)
    }

    /// One example: T + 1 tokens, the weight of each of the T predictions (1 at the answers),
    /// and the positions t whose prediction (of token t + 1) is an answer, in order.
    public struct Example: Sendable, Equatable {
        public let tokens: [Int]
        public let weights: [Float]
        public let answers: [Int]
    }

    /// The slot pairs after the key–value pairs: where a query may go.
    public var gaps: Int { (length + 1 - 2 * pairs) / 2 }

    /// Example `index` of batch `number`.
    public func example(batch number: Int, index: Int) -> Example {
        var g = SplitMix64(seed: seed ^ (UInt64(truncatingIfNeeded: number) &* 0x9E37_79B9_7F4A_7C15)
                           ^ (UInt64(truncatingIfNeeded: index) &* 0xD1B5_4A32_D192_ED03))
        let keys = Self.distinct(pairs, from: 1..<(vocabulary / 2), &g)
        let values = Self.distinct(pairs, from: (vocabulary / 2)..<vocabulary, &g)
        var tokens = (0...length).map { _ in Int(g.next() % UInt64(vocabulary)) }
        for i in 0..<pairs { (tokens[2 * i], tokens[2 * i + 1]) = (keys[i], values[i]) }
        let asked = Self.distinct(queries, from: 0..<pairs, &g)
        let slots = Self.gaps(queries, of: gaps, placement, &g)
        var weights = [Float](repeating: 0, count: length)
        var answers: [Int] = []
        for (pair, gap) in zip(asked, slots) {
            let at = 2 * pairs + 2 * gap
            (tokens[at], tokens[at + 1]) = (keys[pair], values[pair])
            weights[at] = 1
            answers.append(at)
        }
        return Example(tokens: tokens, weights: weights, answers: answers.sorted())
    }

    /// Batch `number`: `size` examples' tokens and weights, as the trainer reads them.
    public func batch(_ number: Int, size: Int) -> (sequences: [[Int]], weights: [[Float]]) {
        let examples = (0..<size).map { example(batch: number, index: $0) }
        return (examples.map(\.tokens), examples.map(\.weights))
    }

    /// `count` distinct members of `range` in random order (a partial Fisher–Yates shuffle).
    static func distinct(_ count: Int, from range: Range<Int>, _ g: inout SplitMix64) -> [Int] {
        var pool = Array(range)
        for i in 0..<count {
            let j = i + Int(g.next() % UInt64(pool.count - i))
            pool.swapAt(i, j)
        }
        return Array(pool.prefix(count))
    }

    /// `count` distinct gaps of 0 ..< `gaps`, drawn one after another without replacement with
    /// the placement's probabilities (as numpy's `choice(replace=False, p=…)`).
    static func gaps(_ count: Int, of gaps: Int, _ placement: Placement, _ g: inout SplitMix64) -> [Int] {
        var weights: [Double] = switch placement {
        case .uniform: [Double](repeating: 1, count: gaps)
        case .powerLaw(let a): (0..<gaps).map { a * Double.pow(Double($0 + 1), a - 1) }
        }
        var chosen: [Int] = []
        for _ in 0..<count {
            let total = weights.reduce(0, +)
            var u = g.nextUnit() * total
            var pick = weights.lastIndex { $0 > 0 }!
            for (i, w) in weights.enumerated() where w > 0 {
                if u < w { pick = i; break }
                u -= w
            }
            chosen.append(pick)
            weights[pick] = 0
        }
        return chosen
    }
}
