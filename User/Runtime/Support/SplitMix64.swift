// SplitMix64: the reproducible pseudo-random sequence the test programs draw from (the same
// generator as Tests/TestSupport/SeededGenerator.swift, so traces can be replayed on the host).

struct SplitMix64 {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A value in 0 ..< bound (bound > 0); the modulo bias is irrelevant for test traces.
    mutating func next(below bound: UInt64) -> UInt64 { next() % bound }
}
