#if canImport(Glibc)
@_exported import Glibc
#elseif canImport(Musl)
@_exported import Musl
#elseif canImport(Darwin)
@_exported import Darwin
#endif
// DriftStats needs only the C math library (log, exp, lgamma, …) besides the standard library.
