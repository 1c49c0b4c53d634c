import ChapterSupport
import FastRetNet
import FastTraining
import Foundation
import Matrices
import MultiScaleRetention
import Notebook
import Plots
import RetNetModel
import TorchscaleCheckpoint
import Training

/// The losses of the simplest models of the text, in nats per character: character frequencies
/// alone (the unigram entropy of the training split) and a table of character pairs.
struct Yardsticks {
    let unigram: Double
    let bigramTrain: Double
    let bigramValidation: Double
}

extension Chapter11 {
    /// Tiny Shakespeare, its character tokens and splits, and the yardsticks the loss is measured
    /// against: the unigram entropy H and the bigram table's loss on each split.
    func theText(_ nb: Notebook) throws -> (corpus: Corpus, tokenizer: CharacterTokenizer, yardsticks: Yardsticks) {
        nb.section("The text and its tokens")
        nb.prose("""
            The text ships with the `Training` module (with its attribution). Like nanoGPT's
            `shakespeare_char`, the vocabulary is the text's distinct characters in sorted order, a
            character's token is its index, and the first 90% of the text is for training, the last
            10% held out for validation.
            """)
        let text = try TinyShakespeare.text()
        let corpus = try Corpus(text: text)
        let tokenizer = corpus.tokenizer
        nb.say("characters: \(Format.grouped(text.unicodeScalars.count)); train \(Format.grouped(corpus.train.count)), "
               + "validation \(Format.grouped(corpus.validation.count))",
               "vocabulary (\(tokenizer.count)): " + tokenizer.vocabulary.map { $0.escaped(asASCII: true) }.joined())
        nb.check("the vocabulary has 65 characters", tokenizer.count == 65, "\(tokenizer.count)")
        nb.check("decode(encode(text)) = text on the first 1,000 characters",
                 try tokenizer.decode(tokenizer.encode(String(text.prefix(1000)))) == String(text.prefix(1000)), "round trip")
        nb.prose("""
            A yardstick for the loss to come. A model that knew only how often each character occurs,
            and nothing about order, would lose on average the text's unigram entropy per character:
            """)
        nb.equation("H = −Σ_c p_c ln p_c,   p_c = count(c) / N",
                    latex: #"H = -\sum_c p_c \ln p_c, \qquad p_c = \frac{\operatorname{count}(c)}{N}"#)
        var counts = [Int](repeating: 0, count: tokenizer.count)
        for token in corpus.train { counts[token] += 1 }
        let total = Double(corpus.train.count)
        let entropy = counts.reduce(0.0) { sum, count in count == 0 ? sum : sum - Double(count) / total * Double.log(Double(count) / total) }
        nb.say("H = \(Format.fixed(entropy, 4)) nats per character on the training split (ln 65 = \(Format.fixed(Double.log(65), 4)): every character equally likely)")
        nb.prose("""
            A loss below H is something frequencies alone cannot give: the model must have learned
            which characters follow which. The next yardstick is the simplest model that knows
            order: a table of which character follows which (a bigram model, where Karpathy's lecture
            starts). Counted on the training split, its loss on that split is the conditional entropy
            H(next | current); on the validation split it is the cross-entropy of the training
            table's probabilities (with one added to every count, so that a pair never seen in
            training costs a finite amount):
            """)
        nb.equation("H₂ = −Σ_{a,b} p(a, b) ln p(b | a),   p(b | a) = (count(a, b) + 1) / (count(a) + 65) on validation",
                    latex: #"H_2 = -\sum_{a,b} p(a, b) \ln p(b \mid a), \qquad p(b \mid a) = \frac{\operatorname{count}(a, b) + 1}{\operatorname{count}(a) + 65} \ \text{on validation}"#)
        let v = tokenizer.count
        var pairs = [Int](repeating: 0, count: v * v)
        for (a, b) in zip(corpus.train, corpus.train.dropFirst()) { pairs[a * v + b] += 1 }
        let rowTotals = (0..<v).map { a in pairs[(a * v)..<(a * v + v)].reduce(0, +) }
        let pairCount = Double(corpus.train.count - 1)
        let bigramTrain = pairs.indices.reduce(0.0) { sum, i in
            pairs[i] == 0 ? sum : sum - Double(pairs[i]) / pairCount * Double.log(Double(pairs[i]) / Double(rowTotals[i / v]))
        }
        let bigramValidation = zip(corpus.validation, corpus.validation.dropFirst()).reduce(0.0) { sum, pair in
            sum - Double.log(Double(pairs[pair.0 * v + pair.1] + 1) / Double(rowTotals[pair.0] + v))
        } / Double(corpus.validation.count - 1)
        nb.say("bigram table: \(Format.fixed(bigramTrain, 4)) nats per character on the training split, "
               + "\(Format.fixed(bigramValidation, 4)) on validation")
        nb.check("the bigram table's loss lies below H on both splits (order carries information)",
                 bigramTrain < entropy && bigramValidation < entropy,
                 "\(Format.fixed(bigramTrain, 4)) and \(Format.fixed(bigramValidation, 4)) < H = \(Format.fixed(entropy, 4))")
        nb.prose("""
            So a model that has learned pairs of characters and nothing more reaches about
            \(Format.fixed(bigramValidation, 2)) nats on validation; a loss below that line is the
            first sign of using more than one character of context.
            """)
        return (corpus, tokenizer, Yardsticks(unigram: entropy, bigramTrain: bigramTrain, bigramValidation: bigramValidation))
    }
}
