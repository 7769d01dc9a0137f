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

/// The longest stretch of consecutive set bits inside `word`.
func longestRunOfOnes(_ word: UInt64) -> Int {
    var rest = word
    var longest = 0
    while rest != 0 {
        rest >>= UInt64(rest.trailingZeroBitCount)
        let run = (~rest).trailingZeroBitCount
        longest = max(longest, run)
        rest = run == 64 ? 0 : rest >> UInt64(run)
    }
    return longest
}
