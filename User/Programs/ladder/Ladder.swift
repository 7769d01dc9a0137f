// The rungs, in order, each timed by `Ladder.measure` with the same loop.

import KernelLog
import MemoryCore
import UserMalloc
import UserAllocators

struct Ladder {
    /// Everything the touches read, folded together and printed at the end.
    var checksum: UInt64 = 0
    /// The stack rung's median: the denominator of every ratio.
    var stackMedian: UInt64 = 0

    /// Runs every rung; 0, or the program's exit code for the first failure.
    mutating func runAll() -> Int32 {
        var failed = false
        let stack = measure("stack", bytes: smallBytes, kernelCalls: .none) { stamp in
            withUnsafeTemporaryAllocation(byteCount: smallBytes, alignment: 16) { buffer in
                touch(buffer.baseAddress.unsafelyUnwrapped, byteCount: smallBytes, stamp: stamp)
            }
        }
        guard let stack else { return 2 }
        stackMedian = stack

        guard var arena = try? BumpArena(source: SyscallPageSource(), chunkByteCount: 64 * 1024) else { return 1 }
        let arenaRung = measure("arena", bytes: smallBytes, kernelCalls: .none) { stamp in
            let value = try? arena.withScope { scoped throws(ArenaError) -> UInt64 in
                touch(try scoped.allocate(byteCount: smallBytes), byteCount: smallBytes, stamp: stamp)
            }
            if value == nil { failed = true }
            return value ?? 0
        }

        guard var pool = try? ObjectPool(source: SyscallPageSource(), slotByteCount: smallBytes, capacity: 64) else { return 1 }
        let poolRung = measure("pool", bytes: smallBytes, kernelCalls: .none) { stamp in
            guard let slot = try? pool.get() else {
                failed = true
                return 0
            }
            let value = touch(slot, byteCount: smallBytes, stamp: stamp)
            if (try? pool.put(slot)) == nil { failed = true }
            return value
        }

        let mallocRung = measure("malloc_small", bytes: smallBytes, kernelCalls: .none) { stamp in
            mallocTouchFree(smallBytes, stamp: stamp, failed: &failed)
        }
        let cachedRung = measure("malloc_large_cached", bytes: largeBytes, kernelCalls: .none) { stamp in
            mallocTouchFree(largeBytes, stamp: stamp, failed: &failed)
        }
        let kernelRung = measure("malloc_large_kernel", bytes: largeBytes, kernelCalls: .some) { stamp in
            let value = mallocTouchFree(largeBytes, stamp: stamp, failed: &failed)
            ProgramHeap.heap.trim()  // empties the large cache: the next malloc must map again
            return value
        }
        let mapRung = measure("map_unmap", bytes: largeBytes, kernelCalls: .some) { stamp in
            guard let mapping = try? Syscall.map(length: UInt64(largeBytes), protection: .readWrite) else {
                failed = true
                return 0
            }
            guard let pointer = mapping.pointer else {
                failed = true
                return 0
            }
            let value = touch(pointer, byteCount: largeBytes, stamp: stamp)
            if (try? Syscall.unmap(address: mapping, length: UInt64(largeBytes))) == nil { failed = true }
            return value
        }
        Console.line("ladder").text("rung", "map_unmap_demand").text("status", "skipped")
            .text("reason", "no-demand-paging").end()
        guard !failed else { return 1 }
        guard arenaRung != nil, poolRung != nil, mallocRung != nil, cachedRung != nil, kernelRung != nil,
            mapRung != nil
        else { return 2 }
        return 0
    }
}

/// malloc, touch, free: the calls a C program makes (CAllocation: the functions malloc/free forward to).
func mallocTouchFree(_ byteCount: Int, stamp: UInt64, failed: inout Bool) -> UInt64 {
    guard let block = CAllocation.malloc(byteCount) else {
        failed = true
        return 0
    }
    let value = touch(block, byteCount: byteCount, stamp: stamp)
    CAllocation.free(block)
    return value
}

/// Reads then writes the buffer's first, middle and last word; returns what it read. Not inlined,
/// so the buffer escapes: the compiler can neither drop the stores nor fold the loads.
@inline(never) func touch(_ buffer: UnsafeMutableRawPointer, byteCount: Int, stamp: UInt64) -> UInt64 {
    let middle = (byteCount / 2) & ~7
    let last = byteCount - 8
    let seen =
        buffer.load(as: UInt64.self) ^ buffer.load(fromByteOffset: middle, as: UInt64.self)
        ^ buffer.load(fromByteOffset: last, as: UInt64.self)
    buffer.storeBytes(of: stamp, as: UInt64.self)
    buffer.storeBytes(of: stamp &+ 1, toByteOffset: middle, as: UInt64.self)
    buffer.storeBytes(of: stamp &+ 2, toByteOffset: last, as: UInt64.self)
    return seen
}
