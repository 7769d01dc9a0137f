// malloc_hostile_forged_free (hostile): an overflow forges a free-looking slot. Blocks A, B, C of
// 48 bytes sit side by side in one span; B is freed; A overflows into B's free-list link and
// points it at the live block C, and C is written to look free (link 0 and a free marker computed
// as an attacker who read the source would: with the constant the heap once used as its key).
// The heap keys its markers with a per-process secret (HeapSecret), so the forged marker does not
// match: the heap reports a corrupted free list (exit 106) instead of handing C out twice.
// Handed out twice: exit 1. Blocks not adjacent (layout changed): exit 3. Out of memory: exit 2.
// Expected: exit=106.
import KernelLog

@_cdecl("user_main")
func userMain() -> Int32 {
    guard let a = CAllocation.malloc(48), let b = CAllocation.malloc(48), let c = CAllocation.malloc(48) else { return 2 }
    guard b - a == 48, c - b == 48 else { return 3 }
    CAllocation.free(b)
    let publicKey: UInt64 = 0x5357_4946_544D_4D21
    (a + 48).storeBytes(of: UInt64(UInt(bitPattern: c)), as: UInt64.self)  // A's overflow: B's link -> C
    c.storeBytes(of: UInt64(0), as: UInt64.self)  // C: end of list
    (c + 8).storeBytes(of: publicKey ^ UInt64(UInt(bitPattern: c)) ^ 0xF8EE_5107_F8EE_5107, as: UInt64.self)
    Console.line("malloc_hostile_forged_free").word("forged").hex("live_block", UInt64(UInt(bitPattern: c)))
        .text("expect", "exit-106").end()
    let again = CAllocation.malloc(48)
    let twice = CAllocation.malloc(48)
    if again == b && twice == c {
        Console.line("malloc_hostile_forged_free").word("FAILED").phrase("reason", "live block handed out twice").end()
        return 1
    }
    Console.line("malloc_hostile_forged_free").word("FAILED").phrase("reason", "forgery neither refused nor taken").end()
    return 4
}
