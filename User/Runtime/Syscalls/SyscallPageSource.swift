// SyscallPageSource: UserMalloc's PageSource over the map/unmap system calls.
//
// The heap asks for 64 KiB spans and 256 KiB regions aligned to their size, and large blocks
// aligned to at least 64 KiB. map takes the alignment itself (options bits 8..13: log2 of the
// alignment, 12 ... 30; docs/syscalls.md), so an aligned mapping is one syscall. Alignments
// beyond 2^30 (a posix_memalign above 1 GiB) over-map `byteCount + alignment - page` bytes and
// unmap the head and tail around the aligned range (unmap of part of a mapping is allowed by
// the ABI): three syscalls.
//
// Placement: the window. The kernel places unhinted maps next fit, always forward through its
// 96 TiB map area, and the heap's granule map spans its lowest to its highest mapping (one page
// per 256 MiB, never shrinking while the heap holds anything): a program that maps and unmaps
// spans over and over grew its map with the address space it ever mapped (measured by heap_churn:
// 4 -> 12 KiB in 64 rounds of 4 MiB; past 4 TiB of spread the heap refuses memory while memory is
// free). So the source places its mappings itself, lowest address first, in a 1 GiB window
// (GranuleReservation's bookkeeping, 64 KiB granules):
//   - the window is opened at the first map: one unhinted page, aligned to 1 GiB, holds the
//     bitmap (the source's own metadata, not counted in bytesMapped), and the window is the GiB
//     just BELOW it. The kernel's next-fit cursor is then past the window, so no unhinted mapping
//     (the program's own, or this source's fallbacks) is ever placed in it, and the bitmap page
//     bounds it above (a mapping of the window can never grow in place past its end);
//   - a mapping is asked for exactly at window.place(...) (a hint is exact or EEXIST, never
//     relocated). EEXIST: someone else (the program's own hinted maps) holds part of that range:
//     those granules stay marked used and the next place is tried (at most `hintTries` times);
//   - the window full, not made, or any other refusal: the unhinted map as before;
//   - once the heap holds nothing (bytesMapped 0: its granule map is gone too) the window closes
//     and its page goes back; the next map opens a new one.
// No PROT_NONE reservation: under strict commit a mapping charges commit, plain hints suffice.
//
// A large block's resize goes through remap: its pages move as page-table entries, nothing is
// copied. A shrink, and a growth of a window mapping whose next granules (and the kernel's gap
// page after them) are free, is done in place (no mayMove) and resizes its granules. Any other
// growth is placed in the window like a new mapping: window.place() granules for the new size,
// remap with mayMove + fixed to that address (EEXIST: someone else's, the next place is tried, as
// for map), the old granules released. A full window or another refusal: the old unhinted move
// (mayMove; the kernel grows in place when it can, else moves it above the window). So a program
// growing large blocks by realloc keeps its mappings, and the heap's granule map, compact.
//
// Invariants: bytesMapped = sum of byteCount over live mapPages results (what the heap holds), and
// every failure leaves nothing mapped behind except after a kernel bug (counted in
// `kernelRefusals`, which a program checks is 0). The window's used granules cover every live
// mapping placed in it (plus EEXIST granules): `windowIsConsistent` (GranuleReservation.checkInvariants).
import MemoryCore
import UserMalloc

struct SyscallPageSource: PageSource {
    /// Bytes currently handed to the heap.
    private(set) var bytesMapped: UInt64 = 0
    /// map + unmap syscalls made (the trimming unmaps, the window's page and refused hints included).
    private(set) var syscalls: UInt64 = 0
    /// remap calls made, refused ones included (each also counted in `syscalls`).
    private(set) var remapCalls: UInt64 = 0
    /// Growths moved into the window by a fixed remap.
    private(set) var fixedMoves: UInt64 = 0
    /// Unmaps the ABI says must succeed but the kernel refused (a kernel bug; should stay 0).
    private(set) var kernelRefusals: UInt64 = 0
    /// Hinted maps the kernel refused with EEXIST (the range held by someone else).
    private(set) var hintsRefused: UInt64 = 0
    /// Maps placed outside the window (full, not made, refused) that could have gone in it.
    private(set) var windowMisses: UInt64 = 0

    /// The window's granules; `windowTried` once the source has tried to open it (not retried).
    private var window = GranuleReservation()
    private var windowTried = false

    /// EEXIST answers one map takes before it gives up on the window.
    static var hintTries: Int { 8 }

    init() {}

    /// The window's bitmap agrees with its count (GranuleReservation.checkInvariants).
    var windowIsConsistent: Bool { window.checkInvariants() == nil }
    /// Granules of the window in use now.
    var windowGranules: Int { window.usedGranules }
    /// The window's first byte (0 while there is none); its bitmap page is at base + 1 GiB.
    var windowBase: UInt { window.base }
    /// Whether `pointer` lies in the window.
    func windowContains(_ pointer: UnsafeMutableRawPointer) -> Bool { window.contains(UInt(bitPattern: pointer)) }
    /// Bytes the source maps for itself (the bitmap's page while the window is open): mapped, not
    /// handed to the heap, so not in bytesMapped; given back when the heap holds nothing.
    var ownBytes: UInt64 { window.base != 0 ? UInt64(userPageSize) : 0 }

    mutating func mapPages(byteCount: Int, alignment: Int) -> UnsafeMutableRawPointer? {
        map(byteCount: byteCount, alignment: alignment, populate: false)
    }

    /// A span or medium region, which the heap writes through soon: map's populate option backs
    /// every page at the call (one syscall) instead of leaving each to a demand fault at its first
    /// touch, as Linux's source does with MAP_POPULATE (Library/Source/MmapPageSource.swift).
    /// Measured in QEMU (`make run BOOT=kernel PROGRAMS="heap_churn larson sh6bench malloc_demo"`,
    /// the proc end lines, two runs each, demand -> populate): heap_churn's zero-fill faults
    /// 65 553 -> 11 and its CPU time 1 035-1 563 -> 786-898 ms; larson's faults 232 -> 12, sh6bench's
    /// 598 -> 22, malloc_demo's 361 -> 54; resident peak pages +1 % (heap_churn, sh6bench) to +9 %
    /// (malloc_demo: 361 -> 392; a span's pages are resident once it is held).
    mutating func mapPagesForUse(byteCount: Int, alignment: Int) -> UnsafeMutableRawPointer? {
        map(byteCount: byteCount, alignment: alignment, populate: true)
    }

    /// mapPages and mapPagesForUse. An alignment beyond map's own (2^30) is over-mapped and
    /// trimmed without populate (never a span or region: those are aligned to at most 256 KiB).
    private mutating func map(byteCount: Int, alignment: Int, populate: Bool) -> UnsafeMutableRawPointer? {
        let pageBytes = UInt64(userPageSize)
        let length = UInt64(byteCount)
        let align = max(UInt64(alignment), pageBytes)
        let shift = UInt64(align.trailingZeroBitCount)
        if MapOptions.validShifts.contains(shift) {
            let options = MapOptions(populate: populate, alignmentShift: shift)
            if let placed = mapInWindow(length: length, alignment: Int(align), options: options) { return placed }
            syscalls += 1
            guard let base = try? Syscall.map(length: length, protection: .readWrite, options: options) else { return nil }
            bytesMapped += length
            return base.pointer
        }
        syscalls += 1
        let (total, overflow) = length.addingReportingOverflow(align - pageBytes)
        guard !overflow, let base = try? Syscall.map(length: total, protection: .readWrite) else { return nil }
        let aligned = VirtualAddress(alignUp(base.raw, to: align)!)
        let end = VirtualAddress(base.raw + total)
        let alignedEnd = VirtualAddress(aligned.raw + length)
        unmapOrCount(base, length: aligned.raw - base.raw)
        unmapOrCount(alignedEnd, length: end.raw - alignedEnd.raw)
        bytesMapped += length
        return aligned.pointer
    }

    mutating func remapPages(
        _ pointer: UnsafeMutableRawPointer, oldByteCount: Int, newByteCount: Int,
        alignment: Int
    ) -> UnsafeMutableRawPointer? {
        let start = UInt(bitPattern: pointer)
        let address = VirtualAddress(UInt64(start))
        let align = max(alignment, userPageSize)
        let inWindow = window.contains(start)
        let shrinks = newByteCount <= oldByteCount
        // In place: a shrink always; a growth the window has room for, the kernel's gap page after
        // it included (the kernel grows in place only over unreserved pages: no granule of a live
        // mapping). The kernel may still refuse (ENOMEM: a hinted map of the program's own is there).
        let roomAfter = inWindow && window.canResize(start, oldByteCount: oldByteCount, newByteCount: newByteCount + userPageSize)
        if shrinks || roomAfter {
            if let same = remap(address, oldByteCount, newByteCount, RemapFlags(mayMove: false)) {  // no move: no alignment
                if inWindow { window.resize(start, oldByteCount: oldByteCount, newByteCount: newByteCount) }
                return same.pointer
            }
            if shrinks { return nil }
        }
        let fixed = RemapFlags(mayMove: true, fixed: true, alignment: UInt64(align))
        let placed = placeInWindow(byteCount: newByteCount, alignment: align, isRemap: true) { (target) throws(Errno) in
            try Syscall.remap(
                address: address, oldLength: UInt64(oldByteCount), newLength: UInt64(newByteCount), flags: fixed,
                destination: VirtualAddress(UInt64(target)))
        }
        if let placed {
            fixedMoves += 1
            bytesMapped = bytesMapped - UInt64(oldByteCount) + UInt64(newByteCount)
            if inWindow { window.release(start, byteCount: oldByteCount) }
            return placed.pointer
        }
        guard let moved = remap(address, oldByteCount, newByteCount, RemapFlags(mayMove: true, alignment: UInt64(align)))
        else { return nil }
        if inWindow {
            if moved.raw == UInt64(start) {
                // In place after all (granules marked for a refused hint that has gone since).
                window.resize(start, oldByteCount: oldByteCount, newByteCount: newByteCount)
            } else {
                window.release(start, byteCount: oldByteCount)
            }
        }
        return moved.pointer
    }

    /// One remap syscall, counted; the run's address afterwards (bytesMapped follows), nil when refused.
    private mutating func remap(
        _ address: VirtualAddress, _ oldByteCount: Int, _ newByteCount: Int, _ flags: RemapFlags
    ) -> VirtualAddress? {
        syscalls += 1
        remapCalls += 1
        guard
            let moved = try? Syscall.remap(
                address: address, oldLength: UInt64(oldByteCount), newLength: UInt64(newByteCount), flags: flags)
        else { return nil }
        bytesMapped = bytesMapped - UInt64(oldByteCount) + UInt64(newByteCount)
        return moved
    }

    mutating func unmapPages(_ pointer: UnsafeMutableRawPointer, byteCount: Int) {
        let start = UInt(bitPattern: pointer)
        unmapOrCount(VirtualAddress(UInt64(start)), length: UInt64(byteCount))
        bytesMapped -= UInt64(byteCount)
        if window.contains(start) { window.release(start, byteCount: byteCount) }
        if bytesMapped == 0 { closeWindow() }
    }

    /// The heap holds nothing (its granule map went back too): the bitmap's page goes back, so a
    /// trimmed heap leaves nothing mapped or charged (programs check their commit returns to its
    /// start); the next map opens a window again, past the kernel's cursor.
    private mutating func closeWindow() {
        guard window.base != 0 else { return }
        unmapOrCount(VirtualAddress(UInt64(window.base) + UInt64(GranuleReservation.byteCount)), length: ownBytes)
        window = GranuleReservation()
        windowTried = false
    }

    /// A mapping at the window's lowest free place; nil (nothing mapped, the granules of other
    /// refusals given back) when the window has no room, is not made, or the kernel refuses.
    private mutating func mapInWindow(length: UInt64, alignment: Int, options: MapOptions) -> UnsafeMutableRawPointer? {
        let placed = placeInWindow(byteCount: Int(length), alignment: alignment, isRemap: false) { (address) throws(Errno) in
            try Syscall.map(hint: VirtualAddress(UInt64(address)), length: length, protection: .readWrite, options: options)
        }
        guard let placed else { return nil }
        bytesMapped += length
        return placed.pointer
    }

    /// The one placement loop (new mappings and growths that move): `attempt` asks the kernel for
    /// exactly the window's lowest free place for `byteCount` bytes, whose granules are then
    /// marked used. EEXIST: someone else (the program's own hinted maps) holds part of that
    /// range: those granules stay marked used and the next place is tried, at most `hintTries`
    /// times. nil (granules of any other refusal given back) when the window has no room, is not
    /// made, or the kernel refuses: the caller goes unhinted.
    private mutating func placeInWindow(
        byteCount: Int, alignment: Int, isRemap: Bool, _ attempt: (UInt) throws(Errno) -> VirtualAddress
    ) -> VirtualAddress? {
        if !windowTried {
            windowTried = true
            openWindow()
        }
        guard window.base != 0 else { return nil }
        for _ in 0 ..< Self.hintTries {
            guard let address = window.place(byteCount: byteCount, alignment: alignment) else { break }
            syscalls += 1
            if isRemap { remapCalls += 1 }
            do throws(Errno) {
                return try attempt(address)
            } catch {
                guard error == .exists else {
                    window.release(address, byteCount: byteCount)
                    break
                }
                hintsRefused += 1  // someone else's: its granules stay marked used
            }
        }
        windowMisses += 1
        return nil
    }

    /// Maps the bitmap's page unhinted at a 1 GiB boundary and adopts the GiB below it as the
    /// window (nothing when the map is refused or there is no room below).
    private mutating func openWindow() {
        let pageBytes = UInt64(userPageSize)
        let windowBytes = UInt64(GranuleReservation.byteCount)
        syscalls += 1
        guard
            let page = try? Syscall.map(
                length: pageBytes, protection: .readWrite,
                options: MapOptions(alignmentShift: UInt64(windowBytes.trailingZeroBitCount))),
            let bitmap = page.pointer
        else { return }
        guard page.raw >= windowBytes else {
            unmapOrCount(page, length: pageBytes)
            return
        }
        window.adopt(
            base: UInt(page.raw - windowBytes),
            bitmap: bitmap.bindMemory(to: UInt64.self, capacity: GranuleReservation.wordCount))
    }

    /// Unmaps a range the ABI guarantees can be unmapped (it came from map); nothing for length 0.
    private mutating func unmapOrCount(_ address: VirtualAddress, length: UInt64) {
        guard length > 0 else { return }
        syscalls += 1
        do throws(Errno) {
            try Syscall.unmap(address: address, length: length)
        } catch {
            kernelRefusals += 1
        }
    }
}
