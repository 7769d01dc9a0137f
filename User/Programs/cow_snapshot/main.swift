// cow_snapshot: a copy-on-write snapshot of a memory object. Fills a 128-page object (every page
// committed), clones it whole (no page copied: the clone shares every frame; the machine's free
// frames barely move: the least over three clones, two closed at once), maps the clone and checks it reads the same. Then writes 16 pages of the
// clone (every 8th): each first write is one CoW fault that copies that page; each is timed,
// interleaved with a plain 4 KiB copy between two populated private pages. Then writes 8 pages
// of the source: 4 the clone already copied (their frame is the source's alone now: made
// writable, no copy) and 4 it did not (copied). Checks: the source holds its pattern except the
// 8 pages it wrote, the clone holds the source's old pattern except its 16 pages. Pages copied:
// 16 + 4 = 20 (the kernel's summary counts them as cow_copies=).
// Expected: exit=0 and a `cow_snapshot ok` line. Exit codes: 1 a call failed, 2 the clone did
// not read as the source, 3 the source changed where it was not written, 4 the clone wrong after
// its writes, 5 the clone changed by the source's writes, 6 clone took frames per page.
import KernelLog

let pages: UInt64 = 128
let objectBytes = pages * 4096
let cloneWrites: UInt64 = 16  // pages 0, 8, 16, ... of the clone
let sourceWritesShared: UInt64 = 4  // pages 1, 9, 17, 25 of the source: still shared, copied
let sourceWritesReused: UInt64 = 4  // pages 0, 8, 16, 24: the clone copied them already, reused
let (sourceSeed, cloneSeed, sourceNewSeed): (UInt64, UInt64, UInt64) = (11, 12, 13)

@_cdecl("user_main")
func userMain() -> Int32 {
    do throws(Errno) {
        return try snapshot()
    } catch {
        Console.line("cow_snapshot").word("FAILED").text("errno", error.name).end()
        return 1
    }
}

private func page(_ base: VirtualAddress, _ index: UInt64) -> VirtualAddress { VirtualAddress(base.raw + index * 4096) }

private func snapshot() throws(Errno) -> Int32 {
    let source = try Syscall.objectCreate(size: objectBytes)
    let sourceView = try Syscall.objectMap(source, offset: 0, length: objectBytes, protection: .readWrite)
    for index in 0 ..< pages { MemoryProbe.fill(page(sourceView, index), byteCount: 4096, seed: sourceSeed &+ index) }

    // Three clones, the first kept: the least frames any took (a timer tick pending at the end of
    // the call lets other programs run before the second memstat) and the fastest.
    var clone = HandleValue(raw: 0)
    var cloneFrames = UInt64.max, cloneCycles = UInt64.max
    for attempt in 0 ..< 3 {
        let beforeClone = try Syscall.memstat()
        let cloneStart = Cycles.now()
        let made = try Syscall.objectClone(source, offset: 0, length: objectBytes)
        cloneCycles = min(cloneCycles, Cycles.now() &- cloneStart)
        let afterClone = try Syscall.memstat()
        let taken =
            beforeClone.freeFramesSystem > afterClone.freeFramesSystem
            ? beforeClone.freeFramesSystem - afterClone.freeFramesSystem : 0
        cloneFrames = min(cloneFrames, taken)
        if attempt == 0 { clone = made } else { try Syscall.handleClose(made) }
    }
    guard cloneFrames < pages / 2 else { return 6 }
    let cloneView = try Syscall.objectMap(clone, offset: 0, length: objectBytes, protection: .readWrite)
    for index in 0 ..< pages where !MemoryProbe.holdsPattern(page(cloneView, index), byteCount: 4096, seed: sourceSeed &+ index) {
        return 2
    }

    // Two populated private pages for the plain 4 KiB copy.
    let scratch = try Syscall.map(length: 2 * 4096, protection: .readWrite, options: MapOptions(populate: true))
    MemoryProbe.fill(scratch, byteCount: 4096, seed: 99)
    var cowFault = CycleSamples(), plainCopy = CycleSamples()
    let writesStart = try Syscall.memstat()
    for written in 0 ..< cloneWrites {
        let target = page(cloneView, written * 8)
        let value = MemoryProbe.pattern(seed: cloneSeed &+ written * 8, offset: 0)
        let copyStart = Cycles.now()
        MemoryProbe.copy(from: scratch, to: page(scratch, 1), byteCount: 4096)
        plainCopy.add(Cycles.now() &- copyStart)
        let faultStart = Cycles.now()
        target.pointer!.storeBytes(of: value, as: UInt64.self)  // the first write: one CoW fault
        cowFault.add(Cycles.now() &- faultStart)
        MemoryProbe.fill(target, byteCount: 4096, seed: cloneSeed &+ written * 8)
    }
    let writesEnd = try Syscall.memstat()
    let framesTaken =
        writesStart.freeFramesSystem > writesEnd.freeFramesSystem
        ? writesStart.freeFramesSystem - writesEnd.freeFramesSystem : 0
    for index in 0 ..< sourceWritesReused {
        MemoryProbe.fill(page(sourceView, index * 8), byteCount: 4096, seed: sourceNewSeed &+ index * 8)
    }
    for index in 0 ..< sourceWritesShared {
        MemoryProbe.fill(page(sourceView, index * 8 + 1), byteCount: 4096, seed: sourceNewSeed &+ index * 8 + 1)
    }

    for index in 0 ..< pages {
        let sourceWritten =
            (index % 8 == 0 && index / 8 < sourceWritesReused) || (index % 8 == 1 && index / 8 < sourceWritesShared)
        let cloneWritten = index % 8 == 0 && index / 8 < cloneWrites
        let sourceExpected = sourceWritten ? sourceNewSeed &+ index : sourceSeed &+ index
        guard MemoryProbe.holdsPattern(page(sourceView, index), byteCount: 4096, seed: sourceExpected) else { return 3 }
        let cloneExpected = cloneWritten ? cloneSeed &+ index : sourceSeed &+ index
        guard MemoryProbe.holdsPattern(page(cloneView, index), byteCount: 4096, seed: cloneExpected) else {
            return cloneWritten ? 4 : 5
        }
    }
    try Syscall.unmap(address: scratch, length: 2 * 4096)
    try Syscall.unmap(address: cloneView, length: objectBytes)
    try Syscall.unmap(address: sourceView, length: objectBytes)
    try Syscall.handleClose(clone)
    try Syscall.handleClose(source)
    Console.line("cow_snapshot").word("ok").dec("pages", pages).dec("clone_cycles", cloneCycles)
        .dec("clone_cycles_per_page", cloneCycles / pages).dec("clone_frames_taken", cloneFrames)
        .dec("clone_pages_written", cloneWrites).dec("source_pages_written", sourceWritesShared + sourceWritesReused)
        .dec("pages_copied_expected", cloneWrites + sourceWritesShared).dec("frames_taken_by_clone_writes", framesTaken)
        .cycles("cow_fault_cycles_median", "cow_fault_cycles_min", "cow_fault_cycles_max", cowFault)
        .cycles("copy_4k_cycles_median", "copy_4k_cycles_min", "copy_4k_cycles_max", plainCopy).end()
    return 0
}
