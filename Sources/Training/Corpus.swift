/// A text as token ids, split as nanoGPT's `shakespeare_char` splits it: the first 90% of the
/// characters (`int(n * 0.9)`) for training, the rest for validation.
public struct Corpus: Sendable {
    public let tokenizer: CharacterTokenizer
    public let train: [Int]
    public let validation: [Int]

    /// Encodes `text` with `tokenizer` (the text's own vocabulary when nil) and splits it.
    /// Throws for an empty text or, with a given tokenizer, a character outside it.
    public init(text: String, tokenizer given: CharacterTokenizer? = nil, trainFraction: Double = 0.9) throws(TrainingError) {
        guard !text.isEmpty else { throw .emptyText("the text") }
        guard trainFraction > 0 && trainFraction < 1 else {
            throw .setting(name: "train fraction", expected: "a fraction in (0, 1)", got: "\(trainFraction)")
        }
        let tokenizer: CharacterTokenizer
        if let given { tokenizer = given } else { tokenizer = try CharacterTokenizer(text: text) }
        let tokens = try tokenizer.encode(text)
        let cut = Int(Double(tokens.count) * trainFraction)
        self.tokenizer = tokenizer
        train = Array(tokens[..<cut])
        validation = Array(tokens[cut...])
    }
}
