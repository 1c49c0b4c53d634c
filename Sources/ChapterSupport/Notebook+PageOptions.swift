import ArgumentParser
import Notebook

extension Notebook {
    /// Starts a chapter's notebook, going where the chapter's page flags say: the terminal, or a
    /// Markdown page (`--markdown` prints it, `--write-page` writes it). `sourcePath` defaults to
    /// the calling file, the chapter's `main.swift`, whose code the page shows.
    public convenience init(title: String, command: String, options: PageOptions, sourcePath: String = #filePath,
                            write: @escaping (String) -> Void = { print($0) }) {
        self.init(title: title, command: command, destination: options.destination, sourcePath: sourcePath, write: write)
    }

    /// Ends the chapter (`Notebook.conclude()`) and exits non-zero, by throwing ArgumentParser's
    /// `ExitCode.failure`, when any check failed.
    public func finish() throws {
        guard try conclude() else { throw ExitCode.failure }
    }
}

extension PageOptions {
    /// Where the notebook goes for these flags.
    public var destination: Notebook.Destination {
        writePage ? .pageFile : markdown ? .markdown : .terminal
    }
}
