// Group "ladder": the article's ladder on the host, beside the `ladder` user program's in QEMU
// (docs/allocators.md). Every rung runs the same loop: take a buffer, touch it (read then write
// its first, middle and last word, folded into a checksum), give it back. Rungs of one size run
// interleaved round by round with the stack rung, so each ratio_vs_stack is a median of per-round
// ratios (this rung's time / the stack's, > 1 = slower than the stack) with its min and max.
//
//   64 B:    stack, arena (BumpArena scope), pool (ObjectPool), swiftmm malloc, glibc malloc
//   256 KiB: swiftmm malloc served by its large cache, swiftmm malloc through mmap (free + trim
//            each round), glibc malloc, mmap/munmap eager (MAP_POPULATE: the kernel allocates
//            and zeroes every page inside mmap, as SwiftMM's map does) and demand-paged (the
//            three touched pages fault in)
#if canImport(Glibc)
import Glibc
#endif
import UserMalloc
import UserAllocators

/// Reads then writes the buffer's first, middle and last word; returns what it read. Not inlined,
/// so the compiler can neither drop the stores nor fold the loads.
@inline(never) func ladderTouch(_ buffer: UnsafeMutableRawPointer, byteCount: Int, stamp: UInt64) -> UInt64 {
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

/// One rung: a name, its buffer size, and one round of the loop (returns the touch's value).
struct LadderRung {
    let name: String
    let bytes: Int
    let round: (UInt64) -> UInt64
}

/// The loop every rung runs: `operations` rounds, checksum kept alive.
func ladderContender(_ rung: LadderRung, operations: Int) -> Contender {
    Contender(name: rung.name) {
        var checksum: UInt64 = 0
        for index in 0 ..< operations { checksum = checksum &* 31 &+ rung.round(UInt64(index)) }
        blackHole(checksum)
    }
}

let ladderSmallBytes = 64
let ladderLargeBytes = 256 * 1024

func runLadderScenarios() {
    let glibc = loadCAllocators().first { $0.name == "glibc" }
    let stack = LadderRung(name: "stack", bytes: ladderSmallBytes) { stamp in
        withUnsafeTemporaryAllocation(byteCount: ladderSmallBytes, alignment: 16) { buffer in
            ladderTouch(buffer.baseAddress!, byteCount: ladderSmallBytes, stamp: stamp)
        }
    }

    // The arena and the pool are non-copyable: they live behind pointers the rounds capture.
    let arena = UnsafeMutablePointer<BumpArena<MmapPageSource>>.allocate(capacity: 1)
    arena.initialize(to: try! BumpArena(source: MmapPageSource(), chunkByteCount: 64 * 1024))
    let pool = UnsafeMutablePointer<ObjectPool<MmapPageSource>>.allocate(capacity: 1)
    pool.initialize(to: try! ObjectPool(source: MmapPageSource(), slotByteCount: ladderSmallBytes, capacity: 64))
    let swiftmm = SwiftMMAllocator()
    defer {
        arena.deinitialize(count: 1)
        arena.deallocate()
        pool.deinitialize(count: 1)
        pool.deallocate()
        swiftmm.destroy()
    }

    var small = [stack]
    small.append(
        LadderRung(name: "arena", bytes: ladderSmallBytes) { stamp in
            try! arena.pointee.withScope { scoped throws(ArenaError) -> UInt64 in
                ladderTouch(try scoped.allocate(byteCount: ladderSmallBytes), byteCount: ladderSmallBytes, stamp: stamp)
            }
        })
    small.append(
        LadderRung(name: "pool", bytes: ladderSmallBytes) { stamp in
            let slot = try! pool.pointee.get()
            let value = ladderTouch(slot, byteCount: ladderSmallBytes, stamp: stamp)
            try! pool.pointee.put(slot)
            return value
        })
    small.append(mallocRung("swiftmm_malloc", ladderSmallBytes, swiftmm.malloc, swiftmm.free))
    if let glibc { small.append(mallocRung("glibc_malloc", ladderSmallBytes, glibc.functions.malloc, glibc.functions.free)) }
    emitLadder(small, operations: 20_000, rounds: benchRounds * 5)

    var large = [stack]
    large.append(mallocRung("swiftmm_malloc_large_cached", ladderLargeBytes, swiftmm.malloc, swiftmm.free))
    large.append(
        LadderRung(name: "swiftmm_malloc_large_mmap", bytes: ladderLargeBytes) { stamp in
            let block = swiftmm.malloc(ladderLargeBytes)!
            let value = ladderTouch(block, byteCount: ladderLargeBytes, stamp: stamp)
            swiftmm.free(block)
            swiftmm.heap.pointee.trim()  // empties the large cache: the next malloc must mmap again
            return value
        })
    if let glibc {
        large.append(mallocRung("glibc_malloc_large", ladderLargeBytes, glibc.functions.malloc, glibc.functions.free))
    }
    large.append(mmapRung("mmap_munmap_eager", flags: MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE))
    large.append(mmapRung("mmap_munmap_demand", flags: MAP_PRIVATE | MAP_ANONYMOUS))
    emitLadder(large, operations: 500, rounds: benchRounds)
}

/// malloc, touch, free through the given functions.
func mallocRung(
    _ name: String, _ bytes: Int, _ malloc: @escaping (Int) -> UnsafeMutableRawPointer?,
    _ free: @escaping (UnsafeMutableRawPointer?) -> Void
) -> LadderRung {
    LadderRung(name: name, bytes: bytes) { stamp in
        let block = malloc(bytes)!
        let value = ladderTouch(block, byteCount: bytes, stamp: stamp)
        free(block)
        return value
    }
}

/// mmap, touch, munmap of ladderLargeBytes.
func mmapRung(_ name: String, flags: Int32) -> LadderRung {
    LadderRung(name: name, bytes: ladderLargeBytes) { stamp in
        let mapping = mmap(nil, ladderLargeBytes, PROT_READ | PROT_WRITE, flags, -1, 0)!
        benchCheck(mapping != UnsafeMutableRawPointer(bitPattern: -1), "mmap failed")
        let value = ladderTouch(mapping, byteCount: ladderLargeBytes, stamp: stamp)
        munmap(mapping, ladderLargeBytes)
        return value
    }
}

/// Runs the rungs interleaved (the first is the stack) and prints one line per rung. The 64-byte
/// rungs take well under a millisecond per run, so they run 5x the rounds: on a loaded machine a
/// run that is preempted is an outlier the median of many short rounds ignores.
func emitLadder(_ rungs: [LadderRung], operations: Int, rounds: Int) {
    let comparison = compare(
        rungs.map { ladderContender($0, operations: operations) }, operations: operations,
        rounds: rounds)
    for (index, rung) in rungs.enumerated() {
        let ratio = comparison.ratio(of: 0, against: index)
        let times = comparison.roundTimes[index]
        emitBenchLine(
            scenario: "ladder",
            [
                ("rung", rung.name), ("bytes", String(rung.bytes)),
                ("ns_per_op", fixed(comparison.nsPerOp[index])),
                ("ns_min", fixed((times.min() ?? 0) / Double(operations))),
                ("ns_max", fixed((times.max() ?? 0) / Double(operations))),
                ("ratio_vs_stack", fixed(ratio.median)), ("ratio_min", fixed(ratio.min)), ("ratio_max", fixed(ratio.max)),
                ("rounds", String(times.count)),
            ])
    }
}
