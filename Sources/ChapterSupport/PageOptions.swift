import ArgumentParser

/// The flags every chapter shares for choosing where its notebook goes.
public struct PageOptions: ParsableArguments {
    @Flag(help: "Print the chapter as a Markdown notebook page (prose, code, output) instead of the terminal walkthrough.")
    public var markdown = false

    @Flag(help: "Regenerate the chapter's committed notebook page, Chapters/NN-slug/README.md. Run with default options only.")
    public var writePage = false

    public init() {}

    public func validate() throws {
        if markdown && writePage {
            throw ValidationError("Choose one of --markdown (print the page) and --write-page (write it), not both.")
        }
    }
}
