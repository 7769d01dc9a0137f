// heap_churn: a long-lived heap that maps and unmaps spans over and over. Each round allocates
// 4 MiB of 64-byte blocks (a chain: each block holds the address of the previous one), frees them
// all and trims, so every span goes back to the page source and the next round maps new ones;
// a few blocks stay live all along (as in any real program), so the heap is never empty and keeps
// its granule map. The granule map spans the heap's lowest to highest mapping (one 4 KiB page
// per 256 MiB, GranuleMap.swift): it must track what the heap holds, not the address space it
// ever mapped. SyscallPageSource places its mappings lowest first in a compact window (exact
// hints), so after 64 rounds (> 256 MiB of cumulative mapping) the map is still one page.
// Exit codes: 0 ok; 1 out of memory; 2 a block lost its contents; 3 heap inconsistent or the
// source's count disagrees with the heap's; 4 the granule map grew past one page.
// Expected: exit=0.
import KernelLog
import UserMalloc

let rounds = 64
let roundBytes = 4 << 20
let blockBytes = 64
let residentBlocks = 256

@_cdecl("user_main")
func userMain() -> Int32 {
    // The resident set: live through every round.
    guard let resident = allocateChain(count: residentBlocks) else { return 1 }
    ProgramHeap.report("heap_churn")
    for round in 0 ..< rounds {
        guard let chain = allocateChain(count: roundBytes / blockBytes) else { return 1 }
        guard freeChain(chain) == roundBytes / blockBytes else { return 2 }
        ProgramHeap.heap.trim()
        if round % 16 == 15 {
            Console.line("heap_churn").word("round").dec("done", round + 1)
                .dec("directory_bytes", ProgramHeap.heap.statistics.directoryBytes)
                .dec("map_calls", ProgramHeap.heap.statistics.mapCalls).end()
        }
    }
    ProgramHeap.report("heap_churn")
    guard ProgramHeap.isConsistent("heap_churn"), ProgramHeap.sourceAgrees else { return 3 }
    let directory = ProgramHeap.heap.statistics.directoryBytes
    guard directory <= 4096 else {
        Console.line("heap_churn").word("FAILED").phrase("reason", "granule map grew with the address space mapped")
            .dec("directory_bytes", directory).dec("rounds", rounds).end()
        return 4
    }
    guard freeChain(resident) == residentBlocks else { return 2 }
    ProgramHeap.heap.trim()
    guard ProgramHeap.heap.statistics.heldBytes == 0, ProgramHeap.sourceAgrees else { return 3 }
    Console.line("heap_churn").word("ok").dec("rounds", rounds).dec("directory_bytes", directory).end()
    return 0
}

/// `count` blocks, each holding the previous block's address (the first holds 0) and its index.
func allocateChain(count: Int) -> UnsafeMutableRawPointer? {
    var last: UnsafeMutableRawPointer? = nil
    for index in 0 ..< count {
        guard let block = ProgramHeap.heap.allocate(byteCount: blockBytes) else {
            if let last { _ = freeChain(last) }
            return nil
        }
        block.storeBytes(of: UInt(bitPattern: last), as: UInt.self)
        block.storeBytes(of: index, toByteOffset: 8, as: Int.self)
        last = block
    }
    return last
}

/// Frees a chain from its last block; the number of blocks whose index was intact (in order).
func freeChain(_ last: UnsafeMutableRawPointer) -> Int {
    var cursor: UnsafeMutableRawPointer? = last
    var expected = -1
    var intact = 0
    while let block = cursor {
        let index = block.load(fromByteOffset: 8, as: Int.self)
        if expected < 0 || index == expected { intact += 1 }
        expected = index - 1
        cursor = UnsafeMutableRawPointer(bitPattern: block.load(as: UInt.self))
        ProgramHeap.heap.free(block)
    }
    return intact
}
