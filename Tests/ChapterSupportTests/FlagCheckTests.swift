import ArgumentParser
import Testing
import ChapterSupport

@Suite struct FlagCheckTests {
    func message(_ body: () throws -> Void) -> String? {
        do {
            try body()
            return nil
        } catch let error as ValidationError {
            return error.message
        } catch {
            return "unexpected \(error)"
        }
    }

    @Test func acceptsTheDocumentedRanges() {
        #expect(message { try FlagCheck.length(1) } == nil)
        #expect(message { try FlagCheck.length(2_000) } == nil)
        #expect(message { try FlagCheck.pairedWidth(256, reason: "pairs") } == nil)
        #expect(message { try FlagCheck.width(1) } == nil)
        #expect(message { try FlagCheck.gamma(1) } == nil)
        #expect(message { try FlagCheck.chunkSize(1) } == nil)
    }

    @Test func rejectsWithAMessageNamingTheFlag() {
        #expect(message { try FlagCheck.length(0) } == "--length must be in 1...2000, got 0.")
        #expect(message { try FlagCheck.length(1, minimum: 2, reason: "it splits") } == "--length must be in 2...2000 (it splits), got 1.")
        #expect(message { try FlagCheck.length(2_001) } != nil)
        #expect(message { try FlagCheck.pairedWidth(3, reason: "pairs") } == "--dim must be even (pairs) and in 2...256, got 3.")
        #expect(message { try FlagCheck.pairedWidth(258, reason: "pairs") } != nil)
        #expect(message { try FlagCheck.width(0) } == "--value-dim must be in 1...256, got 0.")
        for bad in [0, -0.5, 1.000001, .nan, .infinity] {
            #expect(message { try FlagCheck.gamma(bad) } != nil, "γ = \(bad) accepted")
        }
        #expect(message { try FlagCheck.chunkSize(0) } == "--chunk-size must be at least 1, got 0.")
    }

    @Test func aRangeNamesItsBoundsAndWhy() {
        #expect(message { try FlagCheck.range(1, in: 1...4, flag: "--layers") } == nil)
        #expect(message { try FlagCheck.range(4, in: 1...4, flag: "--layers") } == nil)
        #expect(message { try FlagCheck.range(5, in: 1...4, flag: "--layers") } == "--layers must be in 1...4, got 5.")
        #expect(message { try FlagCheck.range(0, in: 1...4, flag: "--layers", reason: "a checked model") }
                == "--layers must be in 1...4 (a checked model), got 0.")
    }
}
