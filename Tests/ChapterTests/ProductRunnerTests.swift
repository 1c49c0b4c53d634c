import Foundation
import TestSupport
import Testing

/// The runner finds the products the build made, and says clearly when one is missing.
@Suite struct ProductRunnerTests {
    @Test func theProductsFolderHoldsEveryChapter() throws {
        let folder = ProductRunner.productsDirectory
        let chapters = Chapter.all
        try #require(chapters.count >= 2, "chapters found: \(chapters.map(\.folder))")
        for chapter in chapters {
            let path = folder.appendingPathComponent("chapter\(chapter.number)").path
            #expect(FileManager.default.isExecutableFile(atPath: path), "chapter\(chapter.number) not found at \(path)")
        }
    }

    @Test func aProductThatIsNotBuiltIsAClearError() {
        let error = #expect(throws: ProductRunner.RunnerError.self) { try ProductRunner.run("chapter99", []) }
        let message = error.map(String.init(describing:)) ?? ""
        #expect(message.hasPrefix("chapter99 is not built: no executable chapter99 in \(ProductRunner.productsDirectory.path)"),
                "message: \(message)")
    }
}
