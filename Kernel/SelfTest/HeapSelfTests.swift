// In-kernel tests of the kernel heap, through the same paths Swift code uses (classes, arrays,
// kmalloc) and, for error detection, through the heap's own `free`, which returns the error
// value (the test kernel's kfree policy is to panic, so a detection test must not go through it).
import MemoryCore
import KernelLog
import BuddyHeap
import SlabHeap
import PhysicalMemory

enum HeapSelfTests {
    /// Errors the detection tests provoke on purpose (the summary expects exactly these).
    nonisolated(unsafe) static var provokedErrors = 0

    static func run(_ runner: inout SelfTestRunner) {
        runner.run("heap.simple_allocation", simpleAllocation)
        runner.run("heap.large_array", largeArray)
        runner.run("heap.many_small_objects_exceed_heap_size", manySmallObjects)
        runner.run("heap.long_lived_object_among_short_lived", longLived)
        runner.run("heap.every_alignment_up_to_largest_block", everyAlignment)
        runner.run("heap.grows_past_first_arena_and_releases", growthAndRelease)
        runner.run("heap.above_largest_block_uses_frames", largeAllocation)
        runner.run("heap.detects_double_free", doubleFree)
        runner.run("heap.detects_foreign_interior_misaligned", badPointers)
        runner.run("heap.detects_use_after_free_write", useAfterFree)
        runner.run("heap.invariants_hold", invariants)
    }

    final class Box {
        var value: UInt64
        init(_ value: UInt64) { self.value = value }
    }

    private static var stats: HeapStatistics { KernelHeap.statistics }

    /// Hides a new object from the optimiser, which would otherwise put a non-escaping instance
    /// on the stack and the test would never touch the heap.
    @inline(never) static func escaping(_ value: UInt64) -> Box { Box(value) }

    private static func simpleAllocation(_ t: inout TestContext) {
        let live = stats.liveAllocations
        do {
            let first = escaping(41), second = escaping(13)
            t.expectEqual(first.value + second.value, 54, "boxed values")
            t.expectEqual(UInt64(stats.liveAllocations), UInt64(live + 2), "two live objects")
        }
        t.expectEqual(UInt64(stats.liveAllocations), UInt64(live), "objects freed at end of scope")
    }

    private static func largeArray(_ t: inout TestContext) {
        var values: [UInt64] = []
        for index in 0 ..< 100_000 { values.append(UInt64(index)) }
        t.expectEqual(values.reduce(0, &+), 99_999 * 100_000 / 2, "sum of 100 000 elements")
    }

    /// More allocations (by bytes) than the heap could ever hold at once: proves reuse.
    private static func manySmallObjects(_ t: inout TestContext) {
        let arenasBefore = stats.peakArenasHeld
        let rounds = 2 * KernelHeap.arenaBytes / 32
        for index in 0 ..< rounds {
            let box = escaping(UInt64(index))
            t.expect(box.value == UInt64(index), "box holds its value")
        }
        t.expect(
            stats.peakArenasHeld <= max(arenasBefore, 1), "no growth for short-lived objects", "peak_arenas",
            UInt64(stats.peakArenasHeld))
    }

    private static func longLived(_ t: inout TestContext) {
        let keeper = escaping(1337)
        for index in 0 ..< (KernelHeap.arenaBytes / 32) { _ = escaping(UInt64(index)) }
        t.expectEqual(keeper.value, 1337, "long-lived object intact")
        t.expect(
            stats.peakArenasHeld <= 1, "one long-lived object does not block reuse", "peak_arenas", UInt64(stats.peakArenasHeld))
    }

    private static func everyAlignment(_ t: inout TestContext) {
        var alignment = 16
        while alignment <= KernelHeap.largestBlockBytes {
            for size in [1, 24, 100, 5000] {
                guard let pointer = kmalloc(size, alignment) else {
                    t.expect(false, "kmalloc at alignment", "align", UInt64(alignment))
                    continue
                }
                t.expect(UInt(bitPattern: pointer) % UInt(alignment) == 0, "aligned pointer", "align", UInt64(alignment))
                pointer.initializeMemory(as: UInt8.self, repeating: 0xC3, count: size)
                kfree(pointer)
            }
            alignment <<= 1
        }
    }

    /// Fills more than one arena with 1 MiB blocks, then frees them: the heap grows, and gives
    /// arenas back (all but the one it keeps for hysteresis; trim returns that one too).
    private static func growthAndRelease(_ t: inout TestContext) {
        let framesBefore = KernelMemory.frames.statistics.freeFrames
        let arenasBefore = stats.arenasHeld
        var blocks = InlineArray<24, UnsafeMutableRawPointer?>(repeating: nil)
        for index in 0 ..< 24 { blocks[index] = kmalloc(Int(MiB), 16) }
        t.expect(stats.arenasHeld > max(arenasBefore, 1), "heap grew past its first arena", "arenas", UInt64(stats.arenasHeld))
        for index in 0 ..< 24 { if let block = blocks[index] { kfree(block) } }
        t.expect(
            stats.arenasHeld <= max(arenasBefore, 1), "empty arenas released beyond the spare", "arenas", UInt64(stats.arenasHeld)
        )
        KernelHeap.trim()
        t.expectEqual(UInt64(stats.arenasHeld), 0, "trim returns the spare arena")
        t.expectEqual(
            KernelMemory.frames.statistics.freeFrames,
            framesBefore + UInt64(arenasBefore) * UInt64(KernelHeap.arenaBytes) / frameSize,
            "frames back with the frame allocator")
    }

    private static func largeAllocation(_ t: inout TestContext) {
        let framesBefore = KernelMemory.frames.statistics.freeFrames
        let size = 5 * Int(MiB) + 123
        guard let pointer = kmalloc(size, 4096) else { return t.expect(false, "6 MiB allocation") }
        t.expect(KernelMemory.frames.statistics.freeFrames < framesBefore, "frames taken directly")
        pointer.initializeMemory(as: UInt8.self, repeating: 0x77, count: size)
        t.expect((KernelHeap.blockByteCount(of: pointer) ?? 0) >= size, "large block size")
        kfree(pointer)
        KernelHeap.trim()
        t.expectEqual(KernelMemory.frames.statistics.freeFrames, framesBefore, "large frames given back")
    }

    private static func doubleFree(_ t: inout TestContext) {
        guard let pointer = kmalloc(48, 16) else { return t.expect(false, "allocate") }
        kfree(pointer)
        let before = stats
        t.expect(
            error { () throws(HeapError) in try KernelHeap.checkedFree(pointer) }.map(isDoubleFree) == true,
            "second free is a double free")
        t.expectEqual(UInt64(stats.liveAllocations), UInt64(before.liveAllocations), "nothing changed")
        t.expect(KernelHeap.checkInvariants() == nil, "invariants after a double free")
    }

    private static func badPointers(_ t: inout TestContext) {
        var local: UInt64 = 0
        let foreign = withUnsafeMutablePointer(to: &local) { UnsafeMutableRawPointer($0) }
        t.expect(error { () throws(HeapError) in try KernelHeap.checkedFree(foreign) } != nil, "foreign pointer rejected")
        guard let pointer = kmalloc(256, 16) else { return t.expect(false, "allocate") }
        t.expect(error { () throws(HeapError) in try KernelHeap.checkedFree(pointer + 64) } != nil, "interior pointer rejected")
        t.expect(error { () throws(HeapError) in try KernelHeap.checkedFree(pointer + 3) } != nil, "misaligned pointer rejected")
        t.expect(KernelHeap.blockByteCount(of: pointer) == 256, "block intact after bad frees")
        kfree(pointer)
        t.expect(KernelHeap.checkInvariants() == nil, "invariants after bad frees")
    }

    private static func useAfterFree(_ t: inout TestContext) {
        KernelHeap.debugOptions = [.poisonFreed]
        let before = stats.useAfterFreeWrites
        if let pointer = kmalloc(64, 16) {
            kfree(pointer)
            KernelHeap.coalesce()
            pointer.storeBytes(of: 0xBAD, toByteOffset: 48, as: UInt64.self)  // the bug under test: a write after free
            var held = InlineArray<64, UnsafeMutableRawPointer?>(repeating: nil)
            for index in 0 ..< 64 { held[index] = kmalloc(64, 16) }  // reuses the poisoned block
            for index in 0 ..< 64 { if let block = held[index] { kfree(block) } }
        }
        KernelHeap.debugOptions = []
        provokedErrors += 1
        t.expect(
            stats.useAfterFreeWrites == before + 1, "use-after-free write detected", "detected",
            UInt64(stats.useAfterFreeWrites - before))
    }

    private static func invariants(_ t: inout TestContext) {
        t.expect(KernelHeap.checkInvariants() == nil, "heap invariants")
    }

    /// Runs a call that should be rejected; counts it as a provoked error when it is.
    private static func error(_ body: () throws(HeapError) -> Void) -> HeapError? {
        do {
            try body()
            return nil
        } catch {
            provokedErrors += 1
            return error
        }
    }

    private static func isDoubleFree(_ error: HeapError) -> Bool {
        if case .misuse(.doubleFree) = error { return true }
        return false
    }
}
