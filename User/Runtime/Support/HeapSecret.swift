// The program heap's secret, chosen once when the heap is created: 64 bits from RDRAND where the
// CPU has it, else the time-stamp counter (User/Runtime/cpu.asm: user_random_seed), run through
// SplitMix64's finaliser so that nearby TSC values give unrelated secrets. UserHeap keys its
// header canaries and free-slot markers with it, so a program's overflow cannot forge them.

@_extern(c, "user_random_seed") func user_random_seed() -> UInt64

enum HeapSecret {
    static func choose() -> UInt64 {
        var mixer = SplitMix64(seed: user_random_seed())
        return mixer.next()
    }
}
