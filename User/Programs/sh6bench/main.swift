// sh6bench: an sh6bench-like trace (one thread). Each of 20 rounds fills a ring of 10 000
// pointers with blocks whose sizes start near 1000 bytes and are halved, block after block, down
// to 1 (then start again), writes a pattern into each, then frees the first half in FIFO order
// and the second half in LIFO order, verifying every block's pattern before freeing it. At the end
// the heap is checked, trimmed, and must hold no page.
// Exit codes: 0 ok; 1 out of memory; 2 pattern damaged; 4 heap inconsistent; 5 pages kept.
// Expected: exit=0.
import KernelLog
import UserMalloc

let ringSize = 10_000
let rounds = 20
let largestSize = 1000

@_cdecl("user_main")
func userMain() -> Int32 {
    guard let table = CAllocation.calloc(ringSize, MemoryLayout<UnsafeMutableRawPointer?>.stride) else { return 1 }
    let ring = table.bindMemory(to: UnsafeMutableRawPointer?.self, capacity: ringSize)
    var sizes = InlineArray<10_000, Int32>(repeating: 0)
    for round in 0 ..< rounds {
        var size = largestSize - round
        for index in 0 ..< ringSize {
            guard let block = CAllocation.malloc(size) else { return 1 }
            stamp(block, size: size, tag: index &+ round)
            ring[index] = block
            sizes[index] = Int32(size)
            size = size > 1 ? size / 2 : largestSize - round
        }
        // First half FIFO (oldest first), second half LIFO (newest first).
        for index in 0 ..< (ringSize / 2) {
            guard release(ring, index, Int(sizes[index]), tag: index &+ round) else { return 2 }
        }
        var index = ringSize - 1
        while index >= ringSize / 2 {
            guard release(ring, index, Int(sizes[index]), tag: index &+ round) else { return 2 }
            index -= 1
        }
    }
    ProgramHeap.report("sh6bench")
    CAllocation.free(table)
    guard ProgramHeap.isConsistent("sh6bench") else { return 4 }
    ProgramHeap.heap.trim()
    guard ProgramHeap.heap.statistics.heldBytes == 0, ProgramHeap.sourceAgrees else { return 5 }
    reportMemstat("sh6bench")
    Console.line("sh6bench").word("ok").dec("rounds", rounds).dec("ring", ringSize)
        .dec("allocations", rounds * ringSize).end()
    return 0
}

/// Writes a pattern derived from `tag` into the first and last bytes of the block (all of a
/// small one), so overlapping or damaged blocks show when they are freed.
func stamp(_ block: UnsafeMutableRawPointer, size: Int, tag: Int) {
    let bytes = block.assumingMemoryBound(to: UInt8.self)
    for offset in 0 ..< min(size, 16) { bytes[offset] = UInt8(truncatingIfNeeded: tag &+ offset) }
    bytes[size - 1] = UInt8(truncatingIfNeeded: tag &* 7)
}

func release(_ ring: UnsafeMutablePointer<UnsafeMutableRawPointer?>, _ index: Int, _ size: Int, tag: Int) -> Bool {
    let bytes = ring[index]!.assumingMemoryBound(to: UInt8.self)
    var intact = bytes[size - 1] == UInt8(truncatingIfNeeded: tag &* 7)
    for offset in 0 ..< min(size, 16) where offset != size - 1 {
        intact = intact && bytes[offset] == UInt8(truncatingIfNeeded: tag &+ offset)
    }
    if !intact {
        Console.line("sh6bench").word("FAILED").phrase("reason", "pattern damaged").dec("slot", index).dec("size", size).end()
        return false
    }
    CAllocation.free(ring[index])
    ring[index] = nil
    return true
}
