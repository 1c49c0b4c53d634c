/// A parameter, a gradient or an optimiser moment under its checkpoint name (torchscale's
/// state-dict names), with its shape ([out, in] for projections) and its values in row-major order.
public struct NamedTensor: Sendable, Equatable {
    public let name: String
    public let shape: [Int]
    public var values: [Float]

    public init(name: String, shape: [Int], values: [Float]) {
        (self.name, self.shape, self.values) = (name, shape, values)
    }
}
