// MmapPageSource: UserMalloc's PageSource over Linux's mmap/munmap, for libswiftmm.so.
//
// The heap asks for 64 KiB spans aligned to 64 KiB, 256 KiB regions aligned to 256 KiB, and large
// blocks aligned to at least 64 KiB; mmap only promises page alignment. Two ways to get an
// aligned range:
// 1. A hint: Linux places mappings top-down, so the range just below our last mapping is usually
//    free. We ask for exactly `byteCount` bytes at the aligned address below it; when the kernel
//    honours the hint (or happens to return an aligned address), one syscall suffices.
// 2. Otherwise over-map `byteCount + alignment - page` bytes (which always contain an aligned
//    range) and unmap the head and tail around it: three syscalls at most.
// Invariant: every range returned is aligned, exactly `byteCount` long, and mapped read-write
// (anonymous, private: zero-filled); `hint` is 0 or the base of the last range returned.
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

    /// Base of the last range handed out (where the next hint is placed below), 0 at first.
    private var hint: UInt = 0
    /// Syscalls made, for the statistics line.
    private(set) var mmapCalls = 0
    private(set) var munmapCalls = 0
    private(set) var mremapCalls = 0

    init() {}

    mutating func mapPages(byteCount: Int, alignment: Int) -> UnsafeMutableRawPointer? {
        let align = UInt(max(alignment, userPageSize))
        let length = UInt(byteCount)
        if hint > length, let base = mapAtHint((hint - length) & ~(align - 1), length: byteCount, align: align) {
            hint = UInt(bitPattern: base)
            return base
        }
        let (total, overflow) = byteCount.addingReportingOverflow(Int(align) - userPageSize)
        guard !overflow, let raw = map(at: nil, length: total) else { return nil }
        let start = UInt(bitPattern: raw)
        let aligned = (start + align - 1) & ~(align - 1)
        unmap(start, length: aligned - start)
        unmap(aligned + length, length: start + UInt(total) - (aligned + length))
        hint = aligned
        return UnsafeMutableRawPointer(bitPattern: aligned)
    }

    mutating func unmapPages(_ pointer: UnsafeMutableRawPointer, byteCount: Int) {
        unmap(UInt(bitPattern: pointer), length: UInt(byteCount))
    }

    /// mremap in place, else into an aligned range reserved with mapPages (MREMAP_FIXED replaces
    /// that reservation): the pages move, no byte is copied.
    mutating func remapPages(_ pointer: UnsafeMutableRawPointer, oldByteCount: Int, newByteCount: Int,
                             alignment: Int) -> UnsafeMutableRawPointer? {
        mremapCalls += 1
        if let inPlace = systemRemap(pointer, oldByteCount, newByteCount, 0, nil), UInt(bitPattern: inPlace) != UInt.max {
            return inPlace
        }
        guard let destination = mapPages(byteCount: newByteCount, alignment: alignment) else { return nil }
        mremapCalls += 1
        let mayMoveFixed: Int32 = 1 | 2  // MREMAP_MAYMOVE | MREMAP_FIXED
        guard let moved = systemRemap(pointer, oldByteCount, newByteCount, mayMoveFixed, destination),
              UInt(bitPattern: moved) != UInt.max else {
            unmap(UInt(bitPattern: destination), length: UInt(newByteCount))
            return nil
        }
        return moved
    }

    /// The mapping at `address` if the kernel put it there (or anywhere aligned), else nil with
    /// nothing left mapped.
    private mutating func mapAtHint(_ address: UInt, length: Int, align: UInt) -> UnsafeMutableRawPointer? {
        guard address != 0, let base = map(at: UnsafeMutableRawPointer(bitPattern: address), length: length) else {
            return nil
        }
        if UInt(bitPattern: base) & (align - 1) == 0 { return base }
        unmap(UInt(bitPattern: base), length: UInt(length))
        return nil
    }

    private mutating func map(at address: UnsafeMutableRawPointer?, length: Int) -> UnsafeMutableRawPointer? {
        mmapCalls += 1
        let result = systemMap(address, length, Self.readWrite, Self.privateAnonymous, -1, 0)
        guard let result, UInt(bitPattern: result) != UInt.max else { return nil }  // MAP_FAILED
        return result
    }

    private mutating func unmap(_ address: UInt, length: UInt) {
        guard length > 0 else { return }
        munmapCalls += 1
        _ = systemUnmap(UnsafeMutableRawPointer(bitPattern: address), Int(length))
    }
}
