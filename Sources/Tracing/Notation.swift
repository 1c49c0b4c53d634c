/// Indices written the way the paper writes them, with Unicode sub- and superscripts, so that
/// recorded symbols read "S₃ = γ S₂ + K₃ᵀ V₃" in a figure as on paper.
public enum Notation {
    /// n as subscript digits (with a subscript minus): 3 → "₃", −1 → "₋₁", 12 → "₁₂".
    public static func sub(_ n: Int) -> String {
        map(n, digits: Array("₀₁₂₃₄₅₆₇₈₉"), minus: "₋")
    }

    /// n as superscript digits (with a superscript minus): 3 → "³", −1 → "⁻¹".
    public static func sup(_ n: Int) -> String {
        map(n, digits: Array("⁰¹²³⁴⁵⁶⁷⁸⁹"), minus: "⁻")
    }

    private static func map(_ n: Int, digits: [Character], minus: Character) -> String {
        let decimal = String(n.magnitude).map { digits[Int($0.asciiValue! - 48)] }
        return (n < 0 ? String(minus) : "") + String(decimal)
    }
}
