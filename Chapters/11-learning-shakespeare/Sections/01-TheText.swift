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

extension Chapter11 {
    /// Tiny Shakespeare, its character tokens and splits, and the unigram entropy H the loss is
    /// measured against.
    func theText(_ nb: Notebook) throws -> (corpus: Corpus, tokenizer: CharacterTokenizer, entropy: Double) {
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
            which characters follow which.
            """)
        return (corpus, tokenizer, entropy)
    }
}
