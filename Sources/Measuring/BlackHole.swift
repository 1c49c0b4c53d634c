/// Takes a value and does nothing with it, in a way the optimiser cannot see through: a timed
/// computation whose result goes here cannot be deleted as dead code.
///
/// Not inlined and not optimised, so no caller (even with cross-module optimisation) can learn
/// that the body is empty; the call itself costs a few nanoseconds, and the value is not copied.
@inline(never)
@_optimize(none)
public func blackHole<T>(_ value: T) {}
