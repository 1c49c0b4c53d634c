import Foundation

/// Places in this package's folder, found from this file's own path
/// (Tests/TestSupport/PackagePaths.swift), so that the tests read the committed files wherever
/// the package is checked out and whatever the working directory.
public enum PackagePaths {
    /// The package root: three levels above this file.
    public static let root = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// `path`, relative to the package root (e.g. "Figures/parallel.dot").
    public static func url(_ path: String) -> URL { root.appendingPathComponent(path) }
}

/// The committed torchscale 0.3.0 checkpoints, Tests/Fixtures/torchscale/<name>/, made by
/// make_fixtures.py: each holds config.json, model.safetensors and logits.json (torchscale's
/// own logits for a recorded prompt, in each of its modes), and gradients.safetensors and
/// gradients.json (torch autograd's gradients of the next-token loss on that prompt, in float64
/// and float32).
public enum Fixtures {
    public static let root = PackagePaths.url("Tests/Fixtures/torchscale")

    /// Every fixture, smallest first (a test checks this list against the folders on disk).
    public static let names = ["one-head-gelu", "two-heads-swish-wide-values", "four-heads-three-layers-eps0",
                               "scaled-embedding-eps0", "wide-head-key-dim-128",
                               "float64-built-saved-f32", "saved-f16", "saved-bf16"]

    /// The fixture's folder: a checkpoint directory as torchscale writes it.
    public static func directory(_ name: String) -> URL { root.appendingPathComponent(name) }
    /// The fixture's config.json.
    public static func config(_ name: String) -> URL { directory(name).appendingPathComponent("config.json") }
    /// The fixture's model.safetensors.
    public static func weights(_ name: String) -> URL { directory(name).appendingPathComponent("model.safetensors") }
    /// The fixture's logits.json: torchscale's outputs, read with `RecordedLogits`.
    public static func logits(_ name: String) -> URL { directory(name).appendingPathComponent("logits.json") }
    /// The fixture's gradients.safetensors: "float64/<name>" and "float32/<name>" per parameter.
    public static func gradients(_ name: String) -> URL { directory(name).appendingPathComponent("gradients.safetensors") }
    /// The fixture's gradients.json: the tokens and the loss of each run.
    public static func gradientRecord(_ name: String) -> URL { directory(name).appendingPathComponent("gradients.json") }

    /// The folders under `root` that hold a config.json, sorted.
    public static var onDisk: [String] {
        let folders = (try? FileManager.default.contentsOfDirectory(atPath: root.path)) ?? []
        return folders.filter { FileManager.default.fileExists(atPath: config($0).path) }.sorted()
    }
}

/// The committed yet-another-retnet 0.5.1 checkpoints, Tests/Fixtures/yet-another-retnet/<name>/,
/// made by its make_fixtures.py: each holds config.json (the keyword arguments of its `RetNet`),
/// model.safetensors (float64) and logits.json (its float64 logits in each of its three forms).
public enum YetAnotherRetNetFixtures {
    public static let root = PackagePaths.url("Tests/Fixtures/yet-another-retnet")

    /// Every fixture, smallest first (a test checks this list against the folders on disk).
    public static let names = ["one-head-one-layer", "two-heads-two-layers", "four-heads-three-layers", "eight-heads-wide"]

    /// The fixture's folder: a checkpoint directory.
    public static func directory(_ name: String) -> URL { root.appendingPathComponent(name) }
    /// The fixture's logits.json.
    public static func logits(_ name: String) -> URL { directory(name).appendingPathComponent("logits.json") }

    /// The folders under `root` that hold a config.json, sorted.
    public static var onDisk: [String] {
        let folders = (try? FileManager.default.contentsOfDirectory(atPath: root.path)) ?? []
        return folders.filter {
            FileManager.default.fileExists(atPath: directory($0).appendingPathComponent("config.json").path)
        }.sorted()
    }
}

/// A chapter of the book: its folder Chapters/NN-slug/ (source and committed page) and its
/// executable, `chapterNN`.
public struct Chapter: Sendable {
    /// "01", "02", …
    public let number: String
    /// "01-a-state-that-remembers", …
    public let folder: String

    /// The committed notebook page, Chapters/NN-slug/README.md.
    public var page: URL { PackagePaths.url("Chapters/\(folder)/README.md") }

    /// Every chapter folder under Chapters/ (two digits, a dash, a slug), in order.
    public static var all: [Chapter] {
        let folders = (try? FileManager.default.contentsOfDirectory(atPath: PackagePaths.url("Chapters").path)) ?? []
        return folders.sorted().compactMap { folder in
            let number = String(folder.prefix(2))
            return folder.count > 3 && number.allSatisfy(\.isNumber) ? Chapter(number: number, folder: folder) : nil
        }
    }

    /// Runs the built `chapterNN` with `arguments`.
    public static func run(_ number: String, _ arguments: [String]) throws -> ProductRunner.Run {
        try ProductRunner.run("chapter\(number)", arguments)
    }
}
