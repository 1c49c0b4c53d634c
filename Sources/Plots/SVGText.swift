import Matrices

/// Text for SVG files that reads the same on every machine: numbers through `Format.fixed`
/// (written without printf, so no locale or C library changes a digit) and text escaped for XML.
enum SVGText {
    /// A coordinate or size with two decimals, trailing zeros kept off ("12.5", "3", "-0.25").
    static func number(_ value: Double) -> String {
        var text = Format.fixed(value, 2)
        if text.contains(".") {
            while text.hasSuffix("0") { text.removeLast() }
            if text.hasSuffix(".") { text.removeLast() }
        }
        return text == "-0" ? "0" : text
    }

    /// `text` with the five XML special characters escaped.
    static func escaped(_ text: String) -> String {
        var out = ""
        for character in text {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(character)
            }
        }
        return out
    }

    /// A text element; `anchor` is start, middle or end.
    static func label(_ text: String, x: Double, y: Double, size: Double = 12, anchor: String = "middle",
                      color: String = "#333333", rotate: Bool = false) -> String {
        let transform = rotate ? " transform=\"rotate(-90 \(number(x)) \(number(y)))\"" : ""
        return "<text x=\"\(number(x))\" y=\"\(number(y))\" font-family=\"DejaVu Sans\" font-size=\"\(number(size))\" "
            + "text-anchor=\"\(anchor)\" fill=\"\(color)\"\(transform)>\(escaped(text))</text>"
    }

    /// The document around `body`, `width`×`height` user units, white background.
    static func document(width: Double, height: Double, title: String, body: [String]) -> String {
        (["<?xml version=\"1.0\" encoding=\"UTF-8\"?>",
          "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(number(width))\" height=\"\(number(height))\" "
            + "viewBox=\"0 0 \(number(width)) \(number(height))\">",
          "<title>\(escaped(title))</title>",
          "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>"] + body + ["</svg>"]).joined(separator: "\n") + "\n"
    }
}
