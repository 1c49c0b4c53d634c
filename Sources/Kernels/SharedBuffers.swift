/// The raw pointers that the threads of one kernel call share, in one `@unchecked Sendable`
/// value so that `DispatchQueue.concurrentPerform`'s `@Sendable` closure may capture them.
///
/// Why it is safe: the pointers outlive the `concurrentPerform` call that uses them (they come
/// from `withUnsafe…BufferPointer` around it), every thread only reads `a` and `b`, and the
/// threads write disjoint row ranges of `c`. This is the only unchecked `Sendable` in the module.
struct SharedBuffers: @unchecked Sendable {
    let a: UnsafePointer<Float>
    let b: UnsafePointer<Float>
    let c: UnsafeMutablePointer<Float>
}
