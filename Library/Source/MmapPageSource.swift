// MmapPageSource: UserMalloc's PageSource over Linux's mmap/munmap, for libswiftmm.so.
//
// The heap asks for 64 KiB spans aligned to 64 KiB, 256 KiB regions aligned to 256 KiB, and large
// blocks aligned to at least 64 KiB; mmap only promises page alignment. Where the mappings land
// matters too: the heap's granule map spans them from the lowest to the highest (one page per
// 256 MiB), so mappings scattered over GiBs (other allocators of the process reserve between
// them) made the map a good part of a small heap's footprint. Three ways to get a range:
// 0. The reservation (first): at the first map the source reserves 1 GiB starting 128 MiB above a
//    256 MiB boundary (PROT_NONE, MAP_NORESERVE: address space only, nothing charged) and places every mapping in
//    it lowest address first (GranuleReservation.swift keeps the granules, in a 2 KiB bitmap on
//    the range's first page: the source's own metadata, like the heap's value not counted as
//    held; the source itself stays a few words inside the heap's value), with one
//    mmap(MAP_FIXED) over the reserved pages. Unmapping maps PROT_NONE back over the range (the
//    frames go back and the range stays ours, so no other mapping can slip into it); a shrink does
//    that to the tail; a growth moves the mapping out (below). Only mappings of at most
//    256 KiB go there (largestReservedByteCount: large blocks grow by mremap, which works best
//    where the kernel put them). When the reservation is full (or could not be made) the source
//    places as below.
// 1. A hint: Linux places mappings top-down, so the range just below our last mapping is usually
//    free. We ask for exactly `byteCount` bytes at the aligned address below it; when the kernel
//    honours the hint (or happens to return an aligned address), one syscall suffices.
// 2. Otherwise over-map `byteCount + alignment - page` bytes (which always contain an aligned
//    range) and unmap the head and tail around it: three syscalls at most.
// Invariant: every range returned is aligned, exactly `byteCount` long, and mapped read-write
// (anonymous, private: zero-filled); `hint` is 0, the reservation's base, or the base of the
// last range returned outside the reservation; every page of the reservation is either in a live mapping or mapped PROT_NONE
// (else the reservation is abandoned: GranuleReservation.abandon, nothing more is placed in it).
// Sizes that overflow when padded return nil (the heap reports out of memory).

@_extern(c, "mmap")
func systemMap(_ address: UnsafeMutableRawPointer?, _ length: Int, _ protection: Int32, _ flags: Int32,
               _ fd: Int32, _ offset: Int) -> UnsafeMutableRawPointer?

@_extern(c, "munmap")
func systemUnmap(_ address: UnsafeMutableRawPointer?, _ length: Int) -> Int32

/// mremap(old, oldSize, newSize, flags, newAddress): variadic in C; called with all five.
@_extern(c, "mremap")
func systemRemap(_ old: UnsafeMutableRawPointer?, _ oldSize: Int, _ newSize: Int, _ flags: Int32,
                 _ newAddress: UnsafeMutableRawPointer?) -> UnsafeMutableRawPointer?

import UserMalloc

struct MmapPageSource: PageSource {
    /// PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS (Linux x86-64 values).
    static var readWrite: Int32 { 0x1 | 0x2 }
    static var privateAnonymous: Int32 { 0x02 | 0x20 }
    /// MAP_FIXED, MAP_NORESERVE, MAP_FIXED_NOREPLACE.
    static var fixed: Int32 { 0x10 }
    static var noReserve: Int32 { 0x4000 }
    static var fixedNoReplace: Int32 { 0x100000 }
    /// MAP_POPULATE: the pages are brought in by the mmap itself.
    static var populate: Int32 { 0x8000 }

    /// Base of the last range handed out outside the reservation (where the next hint is placed
    /// below): the reservation's base at first, 0 when there is none.
    private var hint: UInt = 0
    /// The reserved gibibyte every mapping is placed in first; `reservationTried` once the source
    /// has tried to reserve it (a failure is not retried: the source then places as before).
    private var reservation = GranuleReservation()
    private var reservationTried = false
    /// Syscalls made, for the statistics line.
    private(set) var mmapCalls = 0
    private(set) var munmapCalls = 0
    private(set) var mremapCalls = 0

    init() {}

    /// The reservation's bitmap agrees with its count (GranuleReservation.checkInvariants); the
    /// statistics line's invariant verdict includes it.
    var reservationIsConsistent: Bool { reservation.checkInvariants() == nil }

    /// The largest mapping placed in the reservation: a span or medium region (<= 256 KiB), the
    /// granule map of a heap below 64 GiB, a small large block. Larger ones are large blocks,
    /// which the heap resizes by remap: outside, mremap mostly grows them in place (one syscall);
    /// packed in the reservation, a growth took two (give up the reserved pages after it, then
    /// mremap) or a move, and a shrink mapped PROT_NONE over a VMA's tail (measured: trace-sample
    /// 40-43 -> 43-47 ns, 1 888 -> 2 800 syscalls per run).
    static var largestReservedByteCount: Int { 256 * 1024 }

    mutating func mapPages(byteCount: Int, alignment: Int) -> UnsafeMutableRawPointer? {
        mapPlaced(byteCount: byteCount, alignment: alignment, reservedFlags: 0)
    }

    /// A span or region: placed in the reservation with MAP_POPULATE, so its pages come in with
    /// the one mmap instead of one page fault each at first touch (the heap writes through a span
    /// or region soon). Measured (ratio_vs_best_peer medians, four sets of 3-5 interleaved runs):
    /// trace-git-log 0.76-0.79 -> 0.80-0.81, where idle memory given back before peaks comes back
    /// as fresh pages (1.36 faults per 1 000 operations in a steady replay; tcmalloc, which keeps
    /// its memory, none); no other scenario or trace moved the same way in every set. Populating
    /// every mapping of the reservation (large blocks up to 256 KiB and the granule map too)
    /// measured the same. Outside the reservation (full, or not made) such a mapping is made as
    /// any other.
    mutating func mapPagesForUse(byteCount: Int, alignment: Int) -> UnsafeMutableRawPointer? {
        mapPlaced(byteCount: byteCount, alignment: alignment, reservedFlags: Self.populate)
    }

    /// mapPages and mapPagesForUse: in the reservation when the mapping is small enough (with
    /// `reservedFlags` added to its mmap), else outside.
    private mutating func mapPlaced(byteCount: Int, alignment: Int, reservedFlags: Int32) -> UnsafeMutableRawPointer? {
        if byteCount <= Self.largestReservedByteCount,
           let placed = mapInReservation(byteCount: byteCount, alignment: alignment, extraFlags: reservedFlags) {
            return placed
        }
        return mapOutside(byteCount: byteCount, alignment: alignment)
    }

    /// A mapping wherever the kernel puts it: at the hint below the last one, else over-mapped and trimmed.
    private mutating func mapOutside(byteCount: Int, alignment: Int) -> UnsafeMutableRawPointer? {
        let align = UInt(max(alignment, userPageSize))
        let length = UInt(byteCount)
        if hint > length, let base = mapAtHint((hint - length) & ~(align - 1), length: byteCount, align: align) {
            hint = UInt(bitPattern: base)
            return base
        }
        let (total, overflow) = byteCount.addingReportingOverflow(Int(align) - userPageSize)
        guard !overflow, let raw = map(at: nil, length: total, protection: Self.readWrite, flags: Self.privateAnonymous)
        else { return nil }
        let start = UInt(bitPattern: raw)
        let aligned = (start + align - 1) & ~(align - 1)
        unmap(start, length: aligned - start)
        unmap(aligned + length, length: start + UInt(total) - (aligned + length))
        hint = aligned
        return UnsafeMutableRawPointer(bitPattern: aligned)
    }

    mutating func unmapPages(_ pointer: UnsafeMutableRawPointer, byteCount: Int) {
        let start = UInt(bitPattern: pointer)
        guard reservation.contains(start) else {
            unmap(start, length: UInt(byteCount))
            return
        }
        if !reserveAgain(start, length: byteCount, over: true) {
            unmap(start, length: UInt(byteCount))  // the frames go back; the range is no longer whole
            reservation.abandon()
        }
        reservation.release(start, byteCount: byteCount)
    }

    /// mremap in place, else into an aligned range from mapOutside (MREMAP_FIXED replaces it):
    /// the pages move, no byte is copied. A mapping of the reservation shrinks there (its tail
    /// mapped PROT_NONE again) and moves out on its first growth (largestReservedByteCount).
    mutating func remapPages(_ pointer: UnsafeMutableRawPointer, oldByteCount: Int, newByteCount: Int,
                             alignment: Int) -> UnsafeMutableRawPointer? {
        mremapCalls += 1
        let start = UInt(bitPattern: pointer)
        let inReservation = reservation.contains(start)
        if inReservation {
            if newByteCount <= oldByteCount, shrinkInReservation(start, oldByteCount: oldByteCount, newByteCount: newByteCount) {
                return pointer
            }
        } else if let inPlace = systemRemap(pointer, oldByteCount, newByteCount, 0, nil),
                  UInt(bitPattern: inPlace) != UInt.max {
            return inPlace
        }
        guard let destination = mapOutside(byteCount: newByteCount, alignment: alignment) else { return nil }
        mremapCalls += 1
        let mayMoveFixed: Int32 = 1 | 2  // MREMAP_MAYMOVE | MREMAP_FIXED
        guard let moved = systemRemap(pointer, oldByteCount, newByteCount, mayMoveFixed, destination),
              UInt(bitPattern: moved) != UInt.max else {
            unmap(UInt(bitPattern: destination), length: UInt(newByteCount))
            return nil
        }
        // The old range is unmapped now: reserve it again (unless something took it meanwhile).
        if inReservation {
            if !reserveAgain(start, length: oldByteCount, over: false) { reservation.abandon() }
            reservation.release(start, byteCount: oldByteCount)
        }
        return moved
    }

    /// Shrinks a mapping of the reservation in place: its tail is mapped PROT_NONE again (the
    /// frames go back). False, nothing changed, when the kernel refuses.
    private mutating func shrinkInReservation(_ start: UInt, oldByteCount: Int, newByteCount: Int) -> Bool {
        if newByteCount < oldByteCount {
            guard reserveAgain(start + UInt(newByteCount), length: oldByteCount - newByteCount, over: true) else {
                return false
            }
        }
        reservation.resize(start, oldByteCount: oldByteCount, newByteCount: newByteCount)
        return true
    }

    /// A mapping in the reservation, lowest first; nil when it has no room (or cannot be made).
    private mutating func mapInReservation(byteCount: Int, alignment: Int, extraFlags: Int32) -> UnsafeMutableRawPointer? {
        if !reservationTried {
            reservationTried = true
            reserve()
        }
        guard let address = reservation.place(byteCount: byteCount, alignment: alignment) else { return nil }
        guard let base = map(at: UnsafeMutableRawPointer(bitPattern: address), length: byteCount,
                             protection: Self.readWrite, flags: Self.privateAnonymous | Self.fixed | extraFlags) else {
            reservation.release(address, byteCount: byteCount)  // a failed MAP_FIXED changes nothing
            return nil
        }
        return base
    }

    /// Reserves GranuleReservation.byteCount bytes of address space (over-reserve and trim),
    /// PROT_NONE and MAP_NORESERVE.
    private mutating func reserve() {
        let bytes = UInt(GranuleReservation.byteCount)
        let align = UInt(GranuleReservation.alignment)
        let total = Int(bytes + align + align / 2)
        guard let raw = map(at: nil, length: total, protection: 0, flags: Self.privateAnonymous | Self.noReserve) else {
            return
        }
        // Half a map page above a map-page boundary: the first 128 MiB placed in the reservation
        // and the first 128 MiB of large mappings below it (the hint path) share one map page.
        let start = UInt(bitPattern: raw)
        let aligned = ((start + align - 1) & ~(align - 1)) + align / 2
        unmap(start, length: aligned - start)
        unmap(aligned + bytes, length: start + UInt(total) - (aligned + bytes))
        // The bitmap's own page is the range's first placement (granule 0).
        let bitmapBytes = GranuleReservation.wordCount * 8
        let first = UnsafeMutableRawPointer(bitPattern: aligned)
        guard let page = map(at: first, length: bitmapBytes, protection: Self.readWrite,
                             flags: Self.privateAnonymous | Self.fixed), page == first else {
            unmap(aligned, length: bytes)
            return
        }
        reservation.adopt(base: aligned, bitmap: page.bindMemory(to: UInt64.self, capacity: GranuleReservation.wordCount))
        _ = reservation.place(byteCount: bitmapBytes, alignment: userPageSize)
        // Mappings outside go just below the reservation (the hint path), not where the kernel
        // would put them (measured: 20 GiB away, 280-370 KiB of granule map on the traces).
        if hint == 0 { hint = aligned }
    }

    /// Maps [address, address + length) PROT_NONE again: over a live range (`over`: MAP_FIXED, its
    /// frames go back) or into a hole the kernel just left (MAP_FIXED_NOREPLACE: never over a
    /// mapping someone else made meanwhile). False when the kernel did not.
    private mutating func reserveAgain(_ address: UInt, length: Int, over: Bool) -> Bool {
        let flags = Self.privateAnonymous | Self.noReserve | (over ? Self.fixed : Self.fixedNoReplace)
        let wanted = UnsafeMutableRawPointer(bitPattern: address)
        guard let base = map(at: wanted, length: length, protection: 0, flags: flags) else { return false }
        if base == wanted { return true }
        unmap(UInt(bitPattern: base), length: UInt(length))  // a kernel before 4.17 took it as a hint
        return false
    }

    /// The mapping at `address` if the kernel put it there (or anywhere aligned), else nil with
    /// nothing left mapped.
    private mutating func mapAtHint(_ address: UInt, length: Int, align: UInt) -> UnsafeMutableRawPointer? {
        guard address != 0,
              let base = map(at: UnsafeMutableRawPointer(bitPattern: address), length: length,
                             protection: Self.readWrite, flags: Self.privateAnonymous) else {
            return nil
        }
        if UInt(bitPattern: base) & (align - 1) == 0 { return base }
        unmap(UInt(bitPattern: base), length: UInt(length))
        return nil
    }

    private mutating func map(at address: UnsafeMutableRawPointer?, length: Int, protection: Int32,
                              flags: Int32) -> UnsafeMutableRawPointer? {
        mmapCalls += 1
        let result = systemMap(address, length, protection, flags, -1, 0)
        guard let result, UInt(bitPattern: result) != UInt.max else { return nil }  // MAP_FAILED
        return result
    }

    private mutating func unmap(_ address: UInt, length: UInt) {
        guard length > 0 else { return }
        munmapCalls += 1
        _ = systemUnmap(UnsafeMutableRawPointer(bitPattern: address), Int(length))
    }
}
