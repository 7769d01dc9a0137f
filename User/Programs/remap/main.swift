// remap: the remap system call (11) in the real kernel, and UserMalloc's large realloc over it.
//   1. A run blocked by a mapping after it: without mayMove growth is ENOMEM; with mayMove and a
//      64 KiB alignment it moves to an aligned address, every page keeps its bytes, the new pages
//      read zero, the old run is gone (unmap of it is EINVAL), resident pages did not change
//      (entries moved: nothing copied, nothing faulted in but zero-frame reads) and the charge
//      grew by the 5 new pages (give or take the page tables the new place needs: -1 ... +3).
//   2. Growth in place returns the same address and is charged (demand-zero: nothing resident);
//      shrinking releases the tail's charge and its one resident page; growth with populate
//      (flag bit 1) makes the new pages resident at the call.
//   3. Refusals: unknown flag bits and a bad alignment EINVAL, a run with a hole EFAULT, the
//      program image EINVAL.
//   4. UserMalloc: a 200 KiB block grown by realloc to 1, 4 and 16 MiB keeps its bytes, through
//      remap calls of the page source, the resident peak never reaching old size + what was
//      resident (a copy writes the whole old size into new pages while the old ones are held).
// Failures: the number of the check (named on the console). Expected: exit=0.
import MemoryCore
import KernelLog
import UserMalloc

@_cdecl("user_main")
func userMain() -> Int32 {
    let page = UserSpace.pageBytes
    // 1. Moving.
    guard let run = try? Syscall.map(length: 3 * page, protection: .readWrite) else { return fail(1, "map of the run") }
    guard (try? Syscall.map(hint: run.adding(4 * page)!, length: page, protection: .readWrite)) != nil else {
        return fail(2, "the blocking map")
    }
    MemoryProbe.fill(run, byteCount: 3 * page, seed: 0xA0)
    guard
        case .failure(.outOfMemory) = Result(catching: { () throws(Errno) in
            try Syscall.remap(address: run, oldLength: 3 * page, newLength: 8 * page, flags: RemapFlags(mayMove: false))
        })
    else { return fail(3, "blocked growth without mayMove was not ENOMEM") }
    guard let before = try? Syscall.memstat() else { return fail(4, "memstat") }
    let alignment: UInt64 = 64 << 10
    guard
        let moved = try? Syscall.remap(
            address: run, oldLength: 3 * page, newLength: 8 * page,
            flags: RemapFlags(mayMove: true, alignment: alignment))
    else { return fail(5, "remap with mayMove") }
    guard moved != run, moved.raw % alignment == 0 else { return fail(6, "the moved run is not aligned elsewhere") }
    guard MemoryProbe.holdsPattern(moved, byteCount: 3 * page, seed: 0xA0) else { return fail(7, "a moved page lost its bytes") }
    guard MemoryProbe.isZero(moved.adding(3 * page)!, byteCount: 5 * page) else { return fail(8, "a new page is not zero") }
    guard
        case .failure(.invalidArgument) = Result(catching: { () throws(Errno) in try Syscall.unmap(address: run, length: page) })
    else {
        return fail(9, "the old run is still mapped")
    }
    guard let after = try? Syscall.memstat(), after.pagesMapped == before.pagesMapped,
        after.committedPages + 1 >= before.committedPages + 5, after.committedPages <= before.committedPages + 5 + 3
    else {
        return fail(10, "the move changed resident pages or charged more than the 5 new pages")
    }
    // 2. In place, then shrinking.
    guard
        let grown = try? Syscall.remap(
            address: moved, oldLength: 8 * page, newLength: 12 * page, flags: RemapFlags(mayMove: false)),
        grown == moved
    else { return fail(11, "growth in place") }
    // 12 pages of a 64 KiB-aligned run share one page table: the charge moves by data pages only.
    guard let afterGrowth = try? Syscall.memstat(), afterGrowth.pagesMapped == after.pagesMapped,
        afterGrowth.committedPages == after.committedPages + 4
    else { return fail(14, "growth in place was not demand-zero") }
    guard
        let shrunk = try? Syscall.remap(
            address: moved, oldLength: 12 * page, newLength: 2 * page, flags: RemapFlags(mayMove: true)),
        shrunk == moved, let afterShrink = try? Syscall.memstat(), afterShrink.pagesMapped == after.pagesMapped - 1,
        afterShrink.committedPages == after.committedPages + 4 - 10
    else {
        return fail(12, "shrinking")
    }
    guard
        let populated = try? Syscall.remap(
            address: moved, oldLength: 2 * page, newLength: 6 * page,
            flags: RemapFlags(mayMove: false, populate: true)), populated == moved,
        let afterPopulate = try? Syscall.memstat(), afterPopulate.pagesMapped == afterShrink.pagesMapped + 4,
        MemoryProbe.isZero(moved.adding(2 * page)!, byteCount: 4 * page)
    else {
        return fail(15, "growth with populate")
    }
    // 3. Refusals.
    for (address, length, flags, expected) in [
        (moved.raw, page, UInt64(4), Errno.invalidArgument),
        (moved.raw, page, UInt64(1 | 5 << 8), .invalidArgument),
        (moved.raw, 7 * page, UInt64(1), .badAddress),
        (UserSpace.imageBase.raw, page, UInt64(1), .invalidArgument),
    ] {
        let raw = SyscallTrap.invoke(.remap, address, length, 4 * page, flags)
        guard raw == -Int64(expected.rawValue) else { return fail(13, "a refusal with the wrong errno") }
    }
    // 4. UserMalloc's realloc over remap.
    let heapCheck = checkHeapRealloc()
    if heapCheck != 0 { return heapCheck }
    Console.line("remap").word("ok").hex("moved_to", moved.raw).end()
    return 0
}

/// 4: realloc growth of a large block through SyscallPageSource's remap.
func checkHeapRealloc() -> Int32 {
    var heap = UserHeap(source: SyscallPageSource(), secret: HeapSecret.choose()) { _ in }
    let start = 200 << 10
    guard var block = heap.allocate(byteCount: start) else { return fail(20, "a 200 KiB block") }
    MemoryProbe.fill(VirtualAddress(UnsafeRawPointer(block)), byteCount: UInt64(start), seed: 0xB10C)
    var previous = start
    for size in [1 << 20, 4 << 20, 16 << 20] {
        // A copy writes the old size into new pages while the old block is held: the resident
        // peak would reach pages before + old size. A remap moves entries and faults nothing in.
        guard let before = try? Syscall.memstat() else { return fail(21, "memstat") }
        guard let grown = heap.reallocate(block, byteCount: size) else { return fail(22, "realloc growth") }
        block = grown
        guard let after = try? Syscall.memstat(), after.peakPagesMapped < before.pagesMapped + UInt64(previous) / 4096 else {
            return fail(23, "realloc made old + new resident at once (a copy)")
        }
        previous = size
    }
    guard MemoryProbe.holdsPattern(VirtualAddress(UnsafeRawPointer(block)), byteCount: UInt64(start), seed: 0xB10C) else {
        return fail(24, "realloc lost bytes")
    }
    let statistics = heap.statistics
    guard statistics.remapCalls == 3, heap.source.remapCalls == 3, heap.source.kernelRefusals == 0 else {
        return fail(25, "realloc did not go through remap")
    }
    guard heap.checkInvariants() == nil else { return fail(26, "heap invariants") }
    heap.free(block)
    heap.trim()
    guard heap.source.bytesMapped == 0 else { return fail(27, "pages left after trim") }
    Console.line("remap").word("realloc").dec("remap_calls", Int(statistics.remapCalls)).dec("final_mib", 16).end()
    return 0
}

func fail(_ code: Int32, _ what: StaticString) -> Int32 {
    Console.line("remap").word("FAILED").dec("check", Int(code)).phrase("what", what).end()
    return code
}
