// larson: a larson-like random replacement trace (one thread). 1000 slots; each of 100 000 steps
// picks a slot, verifies the pattern of the block in it and frees it, then allocates a new block
// of 8 ... 999 bytes and fills it with a pattern unique to (slot, step). One step in 8 uses
// realloc instead (the kept prefix must survive), one in 16 uses calloc (must read as zero).
// Every 10 000 steps the whole heap is checked. At the end every block is verified and freed, the
// heap trimmed, and it must hold no page.
// Exit codes: 0 ok; 1 out of memory; 2 pattern damaged; 3 calloc not zero; 4 heap inconsistent;
// 5 pages kept after trim.
// Expected: exit=0.
import KernelLog
import UserMalloc

let slotCount = 1000
let steps = 100_000
let checkEvery = 10_000

@_cdecl("user_main")
func userMain() -> Int32 {
    guard var slots = SlotTable(count: slotCount) else { return 1 }
    var random = SplitMix64(seed: 0x1A450)
    for step in 0 ..< steps {
        let index = Int(random.next(below: UInt64(slotCount)))
        let size = 8 + Int(random.next(below: 992))
        let kind = random.next(below: 16)
        let outcome =
            kind < 2
            ? slots.reallocate(index, size: size, step: step)
            : kind == 2
                ? slots.replaceZeroed(index, size: size, step: step)
                : slots.replace(index, size: size, step: step)
        if outcome != 0 { return outcome }
        if (step + 1) % checkEvery == 0 {
            guard ProgramHeap.isConsistent("larson") else { return 4 }
            Console.line("larson").word("progress").dec("steps", step + 1).dec(
                "live_bytes", ProgramHeap.heap.statistics.liveBytes
            ).end()
        }
    }
    ProgramHeap.report("larson")
    let emptied = slots.freeAll()
    if emptied != 0 { return emptied }
    slots.release()
    guard ProgramHeap.isConsistent("larson") else { return 4 }
    ProgramHeap.heap.trim()
    ProgramHeap.report("larson")
    guard ProgramHeap.heap.statistics.heldBytes == 0, ProgramHeap.sourceAgrees else { return 5 }
    reportMemstat("larson")
    Console.line("larson").word("ok").dec("steps", steps).end()
    return 0
}
