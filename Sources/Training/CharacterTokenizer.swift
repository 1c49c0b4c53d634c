/// A character-level tokenizer, as nanoGPT's `shakespeare_char` builds it: the vocabulary is the
/// text's distinct characters, sorted (`sorted(list(set(data)))`), and a character's token id is
/// its index there. Characters are Unicode scalars, as Python's string characters are (for
/// tiny Shakespeare, plain ASCII: 65 symbols from "\n" to "z").
public struct CharacterTokenizer: Sendable, Equatable, Codable {
    /// The characters, sorted by code point; token id i is vocabulary[i].
    public let vocabulary: [Unicode.Scalar]
    private let ids: [Unicode.Scalar: Int]

    /// The vocabulary of `text`: its distinct characters, sorted.
    public init(text: String) throws(TrainingError) {
        guard !text.isEmpty else { throw .emptyText("the text") }
        try self.init(vocabulary: Set(text.unicodeScalars).sorted { $0.value < $1.value })
    }

    /// A tokenizer with this vocabulary (distinct characters, in the order of their ids).
    public init(vocabulary: [Unicode.Scalar]) throws(TrainingError) {
        var ids: [Unicode.Scalar: Int] = [:]
        for (id, scalar) in vocabulary.enumerated() {
            guard ids[scalar] == nil else {
                throw .setting(name: "vocabulary", expected: "distinct characters", got: "\(scalar.escaped(asASCII: true)) twice")
            }
            ids[scalar] = id
        }
        guard !vocabulary.isEmpty else { throw .setting(name: "vocabulary", expected: "at least one character", got: "none") }
        self.vocabulary = vocabulary
        self.ids = ids
    }

    /// The number of tokens.
    public var count: Int { vocabulary.count }

    /// The token ids of `text`; throws `.unknownCharacter` for the first character outside the
    /// vocabulary, naming it and its offset.
    public func encode(_ text: String) throws(TrainingError) -> [Int] {
        var out: [Int] = []
        out.reserveCapacity(text.unicodeScalars.count)
        for (offset, scalar) in text.unicodeScalars.enumerated() {
            guard let id = ids[scalar] else {
                throw .unknownCharacter(character: "\"\(scalar.escaped(asASCII: true))\"", offset: offset)
            }
            out.append(id)
        }
        return out
    }

    /// The text of token ids; throws `.unknownToken` for an id outside the vocabulary.
    public func decode(_ tokens: [Int]) throws(TrainingError) -> String {
        var scalars = String.UnicodeScalarView()
        for id in tokens {
            guard id >= 0 && id < vocabulary.count else { throw .unknownToken(id: id, vocabularySize: vocabulary.count) }
            scalars.append(vocabulary[id])
        }
        return String(scalars)
    }

    enum CodingKeys: String, CodingKey {
        case kind, vocabulary
    }

    /// Stored as `{"kind": "characters", "vocabulary": ["\n", " ", "!", …]}`: one string per id.
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode("characters", forKey: .kind)
        try c.encode(vocabulary.map { String($0) }, forKey: .vocabulary)
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let kind = try c.decode(String.self, forKey: .kind)
        guard kind == "characters" else {
            throw TrainingError.setting(name: "tokenizer kind", expected: "\"characters\"", got: "\"\(kind)\"")
        }
        let entries = try c.decode([String].self, forKey: .vocabulary)
        var scalars: [Unicode.Scalar] = []
        for entry in entries {
            let view = entry.unicodeScalars
            guard view.count == 1, let scalar = view.first else {
                throw TrainingError.setting(name: "tokenizer vocabulary", expected: "one character per entry", got: "\"\(entry)\"")
            }
            scalars.append(scalar)
        }
        try self.init(vocabulary: scalars)
    }

    public static func == (lhs: Self, rhs: Self) -> Bool { lhs.vocabulary == rhs.vocabulary }
}
