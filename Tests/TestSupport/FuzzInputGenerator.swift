// A "random" number generator that reads the fuzzer's input bytes: a fuzz target drives the same
// operation sessions as the seeded tests (which use SeededGenerator), but every choice is made by
// libFuzzer's mutated bytes, so coverage feedback steers the choices. After the input runs out,
// every draw returns 0 and `isExhausted` is true: the session stops at its next step.

public struct FuzzInputGenerator: RandomNumberGenerator {
    private let bytes: UnsafeRawBufferPointer
    private var offset = 0

    /// `bytes` must stay valid while the generator is used (the fuzz entry point's input does).
    public init(_ bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

    /// True once every input byte has been consumed.
    public var isExhausted: Bool { offset >= bytes.count }

    /// The next byte (0 past the end).
    public mutating func nextByte() -> UInt8 {
        guard offset < bytes.count else { return 0 }
        defer { offset += 1 }
        return bytes[offset]
    }

    /// The next 8 bytes, little-endian (missing bytes read as 0).
    public mutating func next() -> UInt64 {
        var value: UInt64 = 0
        for shift in stride(from: 0, to: 64, by: 8) { value |= UInt64(nextByte()) << UInt64(shift) }
        return value
    }

    /// A value in 0 ..< bound from as few bytes as the bound needs (1 byte below 256, else 8), so
    /// one mutated byte changes one choice and inputs stay short.
    public mutating func below(_ bound: Int) -> Int {
        precondition(bound > 0, "FuzzInputGenerator.below: empty range")
        if bound <= 256 { return Int(nextByte()) % bound }
        return Int(next() % UInt64(bound))
    }
}
