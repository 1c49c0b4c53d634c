import Foundation
import Testing
import Training

@Suite struct DataTests {
    @Test func shippedTextIsTinyShakespeare() throws {
        let text = try TinyShakespeare.text()
        #expect(text.unicodeScalars.count == 1_115_394)
        #expect(text.hasPrefix("First Citizen:\nBefore we proceed any further, hear me speak."))
        let readme = TinyShakespeare.url?.deletingLastPathComponent().appendingPathComponent("README.md")
        let attribution = try String(contentsOf: try #require(readme), encoding: .utf8)
        #expect(attribution.contains("char-rnn") && attribution.contains("nanoGPT"))
    }

    @Test func vocabularyIsTheSortedCharacters() throws {
        let tokenizer = try CharacterTokenizer(text: try TinyShakespeare.text())
        #expect(tokenizer.count == 65)
        // nanoGPT's prepare.py prints: all the unique characters: \n !$&',-.3:;?ABC…XYZabc…xyz
        let expected = "\n !$&',-.3:;?" + "ABCDEFGHIJKLMNOPQRSTUVWXYZ" + "abcdefghijklmnopqrstuvwxyz"
        #expect(String(String.UnicodeScalarView(tokenizer.vocabulary)) == expected)
        #expect(try tokenizer.encode("hi there") == [46, 47, 1, 58, 46, 43, 56, 43])  // nanoGPT's example ids
        #expect(try tokenizer.decode(tokenizer.encode("ROMEO:\nO, she doth teach")) == "ROMEO:\nO, she doth teach")
    }

    @Test func unknownCharactersAndTokensAreRefused() throws {
        let tokenizer = try CharacterTokenizer(text: "abc")
        #expect(throws: TrainingError.unknownCharacter(character: "\"d\"", offset: 2)) { try tokenizer.encode("abd") }
        #expect(throws: TrainingError.unknownToken(id: 3, vocabularySize: 3)) { try tokenizer.decode([0, 3]) }
        #expect(throws: TrainingError.emptyText("the text")) { try CharacterTokenizer(text: "") }
        #expect(throws: TrainingError.self) { try Corpus(text: "abz", tokenizer: tokenizer) }
    }

    @Test func tokenizerRoundTripsThroughJSON() throws {
        let tokenizer = try CharacterTokenizer(text: "ROMEO:\nJuliet é")
        let data = try JSONEncoder().encode(tokenizer)
        #expect(try JSONDecoder().decode(CharacterTokenizer.self, from: data) == tokenizer)
        #expect(throws: (any Error).self) {
            try JSONDecoder().decode(CharacterTokenizer.self, from: Data(#"{"kind":"characters","vocabulary":["ab"]}"#.utf8))
        }
    }

    @Test func splitIsNanoGPTs() throws {
        let corpus = try Corpus(text: try TinyShakespeare.text())
        #expect(corpus.train.count == 1_003_854)
        #expect(corpus.validation.count == 111_540)
        #expect(try corpus.tokenizer.decode(Array(corpus.validation.prefix(10))) == "?\n\nGREMIO:")
    }

    @Test func batchesAreSeededWindows() throws {
        let tokens = Array(0..<100)
        let sampler = try BatchSampler(tokens: tokens, context: 9, batchSize: 4, seed: 3)
        let batch = sampler.batch(5)
        #expect(batch.count == 4)
        for sequence in batch {
            #expect(sequence.count == 10)
            #expect(sequence == Array(sequence[0]...(sequence[0] + 9)))  // consecutive tokens
            #expect(sequence[0] >= 0 && sequence[0] <= 90)
        }
        #expect(sampler.batch(5) == batch)  // batch k depends on (seed, k) only
        #expect(sampler.batch(6) != batch)
        #expect(try BatchSampler(tokens: tokens, context: 9, batchSize: 4, seed: 4).batch(5) != batch)
        // Windows reach both ends of the data over many draws.
        let starts = Set((0..<200).flatMap { sampler.offsets($0) })
        #expect(starts.contains(0) && starts.contains(90) && starts.allSatisfy { (0...90).contains($0) })
    }

    @Test func badBatchSettingsAreRefused() {
        #expect(throws: TrainingError.self) { try BatchSampler(tokens: [1, 2, 3], context: 3, batchSize: 1, seed: 0) }
        #expect(throws: TrainingError.self) { try BatchSampler(tokens: [1, 2, 3], context: 2, batchSize: 0, seed: 0) }
        #expect(throws: TrainingError.self) { try BatchSampler(tokens: [1, 2, 3], context: 0, batchSize: 1, seed: 0) }
        #expect((try? BatchSampler(tokens: [1, 2, 3], context: 2, batchSize: 1, seed: 0)) != nil)
    }
}
