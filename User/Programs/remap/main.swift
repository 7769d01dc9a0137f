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
//   5. Fixed destination (flags bit 2, r8): the run goes exactly there, grown, bytes kept, old run
//      gone, resident unchanged; refused with nothing changed: fixed without mayMove, a
//      misaligned destination and one overlapping the run (EINVAL), a destination holding a
//      mapping, or the image (EEXIST; the mapping there keeps its bytes).
//   6. Realloc growth past other mappings: a block grown 24 times by realloc while spans are
//      allocated after it and the program reserves 64 MiB of its own (unhinted) between steps;
//      the page source moves it by fixed remaps inside its window, so the granule map stays one
//      page (directory_bytes=4096; the old unhinted move spread it with the kernel's cursor).
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
        (moved.raw, page, UInt64(8), Errno.invalidArgument),
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
    let fixedCheck = checkFixedDestination()
    if fixedCheck != 0 { return fixedCheck }
    let growthCheck = checkReallocGrowthStaysCompact()
    if growthCheck != 0 { return growthCheck }
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
    guard statistics.remapCalls == 3, heap.source.remapCalls >= 3, heap.source.kernelRefusals == 0 else {
        return fail(25, "realloc did not go through remap")
    }
    guard heap.checkInvariants() == nil else { return fail(26, "heap invariants") }
    heap.free(block)
    heap.trim()
    guard heap.source.bytesMapped == 0 else { return fail(27, "pages left after trim") }
    Console.line("remap").word("realloc").dec("remap_calls", Int(statistics.remapCalls)).dec("final_mib", 16).end()
    return 0
}

/// 5: remap with a fixed destination, in the kernel.
func checkFixedDestination() -> Int32 {
    let page = UserSpace.pageBytes
    // A free place: reserved and given back (the kernel's cursor has passed it).
    guard let place = try? Syscall.map(length: 64 * page, protection: .readWrite),
        (try? Syscall.unmap(address: place, length: 64 * page)) != nil,
        let run = try? Syscall.map(length: 4 * page, protection: .readWrite),
        let occupant = try? Syscall.map(length: page, protection: .readWrite)
    else { return fail(40, "the maps around the fixed move") }
    MemoryProbe.fill(run, byteCount: 4 * page, seed: 0xF1)
    MemoryProbe.fill(occupant, byteCount: page, seed: 0x0C)
    let fixed = RemapFlags(mayMove: true, fixed: true)
    let refusals: [(UInt64, UInt64, Errno)] = [
        (RemapFlags.fixedBit, place.raw, .invalidArgument),  // fixed without mayMove
        (fixed.rawValue, place.raw + 100, .invalidArgument),  // misaligned
        (RemapFlags(mayMove: true, fixed: true, alignment: 1 << 20).rawValue, place.raw + page, .invalidArgument),
        (fixed.rawValue, run.raw + page, .invalidArgument),  // overlaps the run
        (fixed.rawValue, occupant.raw, .exists),  // a mapping is there
        (fixed.rawValue, UserSpace.imageBase.raw, .exists),  // the image
    ]
    guard let before = try? Syscall.memstat() else { return fail(41, "memstat") }
    for (flags, destination, expected) in refusals {
        let raw = SyscallTrap.invoke(SyscallNumber.remap.rawValue, run.raw, 4 * page, 8 * page, flags, destination)
        guard raw == -Int64(expected.rawValue) else { return fail(42, "a fixed refusal with the wrong errno") }
    }
    guard let unchanged = try? Syscall.memstat(), unchanged.committedPages == before.committedPages,
        unchanged.pagesMapped == before.pagesMapped, MemoryProbe.holdsPattern(occupant, byteCount: page, seed: 0x0C),
        MemoryProbe.holdsPattern(run, byteCount: 4 * page, seed: 0xF1)
    else { return fail(43, "a refused fixed remap changed something") }
    let destination = place.adding(16 * page)!
    guard
        let moved = try? Syscall.remap(
            address: run, oldLength: 4 * page, newLength: 8 * page, flags: fixed, destination: destination),
        moved == destination
    else { return fail(44, "the fixed move did not go to its destination") }
    guard MemoryProbe.holdsPattern(moved, byteCount: 4 * page, seed: 0xF1),
        MemoryProbe.isZero(moved.adding(4 * page)!, byteCount: 4 * page)
    else { return fail(45, "the fixed move lost bytes") }
    guard
        case .failure(.invalidArgument) = Result(catching: { () throws(Errno) in try Syscall.unmap(address: run, length: page) }),
        let after = try? Syscall.memstat(), after.pagesMapped == before.pagesMapped
    else { return fail(46, "the old run is still mapped, or the move changed resident pages") }
    _ = try? Syscall.unmap(address: moved, length: 8 * page)
    _ = try? Syscall.unmap(address: occupant, length: page)
    Console.line("remap").word("fixed").hex("from", run.raw).hex("to", moved.raw).dec("refusals", refusals.count).end()
    return 0
}

/// 6: a block grown by realloc while other mappings come after it stays in the page source's
/// window: moved by fixed remaps, the granule map one page.
func checkReallocGrowthStaysCompact() -> Int32 {
    var heap = UserHeap(source: SyscallPageSource(), secret: HeapSecret.choose()) { _ in }
    let steps = 24
    var size = 200 << 10
    guard var block = heap.allocate(byteCount: size) else { return fail(50, "the growing block") }
    var spans: [UnsafeMutableRawPointer] = []
    var reservations: [VirtualAddress] = []
    let reservationBytes: UInt64 = 64 << 20
    for step in 0 ..< steps {
        block.storeBytes(of: UInt64(step) &* 0x9E37_79B9, toByteOffset: size - 8, as: UInt64.self)
        guard let span = heap.allocate(byteCount: 100 << 10) else { return fail(51, "a span after the block") }
        spans.append(span)
        // The program's own mapping: read-only, never touched (charged its page tables only).
        guard let reserved = try? Syscall.map(length: reservationBytes, protection: .read) else {
            return fail(52, "the program's own reservation")
        }
        reservations.append(reserved)
        let oldSize = size
        size += 300 << 10
        guard let grown = heap.reallocate(block, byteCount: size) else { return fail(53, "realloc growth") }
        block = grown
        guard block.load(fromByteOffset: oldSize - 8, as: UInt64.self) == UInt64(step) &* 0x9E37_79B9 else {
            return fail(54, "realloc growth lost bytes")
        }
        guard heap.source.windowContains(block) else { return fail(55, "the grown block left the window") }
    }
    let directory = heap.statistics.directoryBytes
    Console.line("remap").word("growth").dec("steps", steps).dec("final_kib", size >> 10)
        .dec("directory_bytes", directory).dec("fixed_moves", Int(heap.source.fixedMoves))
        .dec("remap_calls", Int(heap.source.remapCalls)).dec("hints_refused", Int(heap.source.hintsRefused))
        .dec("window_misses", Int(heap.source.windowMisses)).end()
    guard directory <= 4096, heap.source.fixedMoves > 0, heap.source.windowMisses == 0 else {
        return fail(56, "realloc growth spread the granule map")
    }
    guard heap.checkInvariants() == nil, heap.source.windowIsConsistent, heap.source.kernelRefusals == 0 else {
        return fail(57, "heap or window inconsistent")
    }
    for span in spans { heap.free(span) }
    heap.free(block)
    heap.trim()
    for reserved in reservations { _ = try? Syscall.unmap(address: reserved, length: reservationBytes) }
    guard heap.source.bytesMapped == 0 else { return fail(58, "pages left after trim") }
    return 0
}

func fail(_ code: Int32, _ what: StaticString) -> Int32 {
    Console.line("remap").word("FAILED").dec("check", Int(code)).phrase("what", what).end()
    return code
}
