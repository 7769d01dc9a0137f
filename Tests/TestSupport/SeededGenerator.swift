// The tests' seeded generator is the project's one SplitMix64 (Sources/MemoryCore), so every
// randomized test is reproducible: a failure prints its seed, and the same seed replays it.
@_exported import MemoryCore

public typealias SeededGenerator = SplitMix64
