// SplitMix64 (Steele, Lea, Flood 2014): the project's one seeded pseudo-random generator, drawn
// from by the randomized tests (a failure prints its seed, the same seed replays it), the
// benchmarks' trace generation, and the user test programs (so a program's trace can be replayed
// on the host). Small, fast, every seed good; not for anything that needs unpredictability.

public struct SplitMix64: RandomNumberGenerator, Sendable {
    @usableFromInline var state: UInt64

    @inlinable public init(seed: UInt64) { state = seed }

    @inlinable public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A value in 0 ..< bound (bound > 0); the modulo bias is irrelevant for test traces.
    @inlinable public mutating func next(below bound: UInt64) -> UInt64 { next() % bound }

    /// An Int in 0 ..< bound (bound > 0).
    @inlinable public mutating func below(_ bound: Int) -> Int { Int(next() % UInt64(bound)) }
}
