// Bit tricks on 64-bit words: the frame allocator tests 64 frames at a time with these.
// Bit i of a word stands for frame (64 * wordIndex + i), so bit 0 is the lowest frame.
import MemoryCore

/// Bits [low, high) set, for 0 <= low <= high <= 64.
@inline(__always) func bitMask(from low: Int, to high: Int) -> UInt64 {
    assert(0 <= low && low <= high && high <= 64, "bit mask bounds")
    if low == high { return 0 }
    let upper: UInt64 = high == 64 ? ~0 : (1 << UInt64(high)) &- 1
    return upper & ~((1 << UInt64(low)) &- 1)
}

/// Number of consecutive set bits at the top of `word` (the free frames that end a word).
@inline(__always) func leadingOnes(_ word: UInt64) -> Int { (~word).leadingZeroBitCount }

/// Bits at every multiple of `alignment` (a power of two, 1...64): the in-word positions where a
/// run aligned to `alignment` frames may start, given that words start at multiples of 64.
@inline(__always) func alignmentPattern(_ alignment: UInt64) -> UInt64 {
    assert(isPowerOfTwo(alignment) && alignment <= 64, "alignment pattern needs 1...64")
    var pattern: UInt64 = 1
    var shift = alignment
    while shift < 64 {
        pattern |= pattern << shift
        shift <<= 1
    }
    return pattern
}

/// The 128-bit value (high:low) shifted right by 0 < shift < 64.
@inline(__always) func shiftPairRight(_ low: UInt64, _ high: UInt64, by shift: Int) -> (low: UInt64, high: UInt64) {
    assert(shift > 0 && shift < 64, "pair shift out of range")
    let s = UInt64(shift)
    return ((low >> s) | (high << (64 - s)), high >> s)
}

/// Positions p in 0..<64 where bits p ..< p + length of the 128-bit value (high:low) are all set:
/// where a run of `length` (1...64) free frames starts in the low word (it may end in the high
/// word). Doubling: R_2k(p) = R_k(p) & R_k(p + k), then R_(k+j)(p) = R_k(p) & R_k(p + j) for
/// j <= k, so it costs O(log length) word operations.
@inline(__always) func runStartMask(low: UInt64, high: UInt64, length: Int) -> UInt64 {
    assert(length >= 1 && length <= 64, "runStartMask handles runs of 1...64")
    var run = (low: low, high: high)
    var covered = 1
    while covered * 2 <= length {
        let shifted = shiftPairRight(run.low, run.high, by: covered)
        run = (run.low & shifted.low, run.high & shifted.high)
        covered *= 2
    }
    if covered < length {
        let shifted = shiftPairRight(run.low, run.high, by: length - covered)
        run = (run.low & shifted.low, run.high & shifted.high)
    }
    return run.low
}

/// The longest stretch of consecutive set bits inside `word`, in O(log 64) word operations:
/// P_s marks the positions where s ones start (P_2s = P_s & P_s >> s); the answer is then built
/// greedily from the largest power down, keeping the positions where n + s ones start
/// (those where n start and P_s holds n further on).
@inline(__always) func longestRunOfOnes(_ word: UInt64) -> Int {
    if word == 0 { return 0 }
    if word == ~0 { return 64 }
    let p1 = word
    let p2 = p1 & (p1 >> 1)
    let p4 = p2 & (p2 >> 2)
    let p8 = p4 & (p4 >> 4)
    let p16 = p8 & (p8 >> 8)
    let p32 = p16 & (p16 >> 16)
    var state = (starts: p1, length: 1)
    state = extendRun(state, p32, 32)
    state = extendRun(state, p16, 16)
    state = extendRun(state, p8, 8)
    state = extendRun(state, p4, 4)
    state = extendRun(state, p2, 2)
    state = extendRun(state, p1, 1)
    return state.length
}

/// One greedy step of longestRunOfOnes: the positions where `length + step` ones start, if any.
@inline(__always) private func extendRun(
    _ state: (starts: UInt64, length: Int), _ longer: UInt64, _ step: Int
) -> (starts: UInt64, length: Int) {
    let candidates = state.starts & (longer >> UInt64(state.length))
    return candidates != 0 ? (candidates, state.length + step) : state
}

/// Number of consecutive set bits at the bottom of `word` (the free frames that start a word).
@inline(__always) func trailingOnes(_ word: UInt64) -> Int { (~word).trailingZeroBitCount }

/// The largest n in 0...64 such that n set bits of the 128-bit value (high:low) start at a
/// position of `allowed` in the low word: the longest free stretch starting at an allowed place
/// (a binary search over runStartMask, O(log^2 64) word operations: slow paths only).
func longestRunStarting(at allowed: UInt64, low: UInt64, high: UInt64) -> Int {
    if low & allowed == 0 { return 0 }
    if runStartMask(low: low, high: high, length: 64) & allowed != 0 { return 64 }
    var found = 1  // runs of `found` start at an allowed place, runs of `missing` do not
    var missing = 64
    while missing - found > 1 {
        let middle = (found + missing) / 2
        if runStartMask(low: low, high: high, length: middle) & allowed != 0 { found = middle } else { missing = middle }
    }
    return found
}
