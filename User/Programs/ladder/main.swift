// ladder: the article's story measured from ring 3. Every rung runs the same timed loop: take a
// buffer, touch it (read then write its first, middle and last word, keeping a checksum the
// compiler cannot drop), give it back; one rdtsc pair around each round. The rungs:
//   stack                a temporary buffer on the stack (withUnsafeTemporaryAllocation)
//   arena                a BumpArena scope: pointer bump in, rewind out
//   pool                 an ObjectPool slot: free-list pop in, push out
//   malloc_small         the user malloc's fast path (malloc/free as C calls them: CAllocation)
//   malloc_large_cached  a malloc above 128 KiB that the heap's large cache serves (no syscall)
//   malloc_large_kernel  the same malloc with the cache emptied each round (free + trim): every
//                        round maps and unmaps through the kernel
//   map_unmap            the raw map + unmap syscall pair of the same size (eager: the kernel
//                        allocates and zeroes every page inside map)
//   map_unmap_demand     not measured: the kernel has no demand paging yet (printed as skipped)
// One line per rung: `ladder rung=NAME bytes=N rounds=R cycles_median=M cycles_min=A
// cycles_max=B ratio_vs_stack=X kernel_calls_per_round=K` (K from memstat around the timed
// loop). Under QEMU's TCG the cycle counter is virtual: the figures compare, they do not time
// hardware. No timing is asserted anywhere.
// Exit codes: 0 ok; 1 an allocation failed; 2 a rung that must not reach the kernel did (or the
// kernel rungs did not); 3 memstat failed; 4 pages left mapped at the end.
// Expected: exit=0.

import KernelLog
import MemoryCore
import UserMalloc
import UserAllocators

@_extern(c, "user_read_tsc") func user_read_tsc() -> UInt64

/// Bytes of the buffer for the first four rungs (an object), and for the kernel rungs (a size
/// above the heap's 128 KiB medium limit: it gets its own mapping).
let smallBytes = 64
let largeBytes = 256 * 1024

@_cdecl("user_main")
func userMain() -> Int32 {
    guard let baseline = try? Syscall.memstat() else { return 3 }
    var ladder = Ladder()
    let status = ladder.runAll()
    guard status == 0 else { return status }
    ProgramHeap.heap.trim()
    guard let end = try? Syscall.memstat() else { return 3 }
    // Committed pages, not resident ones: under demand paging the stack and data pages the run
    // touched stay resident, while every page the heap mapped must be given back (uncharged).
    guard end.committedPages == baseline.committedPages else {
        Console.line("ladder").word("FAILED").dec("pages_left", end.committedPages &- baseline.committedPages).end()
        return 4
    }
    Console.line("ladder").word("ok").hex("checksum", ladder.checksum).end()
    return 0
}
