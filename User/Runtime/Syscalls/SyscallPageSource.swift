// SyscallPageSource: UserMalloc's PageSource over the map/unmap system calls.
//
// The heap asks for 64 KiB spans and 256 KiB regions aligned to their size, and large blocks
// aligned to at least 64 KiB. map takes the alignment itself (options bits 8..13: log2 of the
// alignment, 12 ... 30; docs/syscalls.md), so an aligned mapping is one syscall. Alignments
// beyond 2^30 (a posix_memalign above 1 GiB) over-map `byteCount + alignment - page` bytes and
// unmap the head and tail around the aligned range (unmap of part of a mapping is allowed by
// the ABI): three syscalls.
//
// A large block's growth goes through remap (mayMove, with the block's alignment): its pages
// move as page-table entries, nothing is copied; one syscall.
//
// Invariant: bytesMapped = sum of byteCount over live mapPages results (what the heap holds), and
// every failure leaves nothing mapped behind except after a kernel bug (counted in
// `kernelRefusals`, which a program checks is 0).
import MemoryCore
import UserMalloc

struct SyscallPageSource: PageSource {
    /// Bytes currently handed to the heap.
    private(set) var bytesMapped: UInt64 = 0
    /// map + unmap syscalls made (the trimming unmaps included).
    private(set) var syscalls: UInt64 = 0
    /// remap calls made (each also counted in `syscalls`).
    private(set) var remapCalls: UInt64 = 0
    /// Unmaps the ABI says must succeed but the kernel refused (a kernel bug; should stay 0).
    private(set) var kernelRefusals: UInt64 = 0

    init() {}

    mutating func mapPages(byteCount: Int, alignment: Int) -> UnsafeMutableRawPointer? {
        let pageBytes = UInt64(userPageSize)
        let length = UInt64(byteCount)
        let align = max(UInt64(alignment), pageBytes)
        let shift = UInt64(align.trailingZeroBitCount)
        syscalls += 1
        if MapOptions.validShifts.contains(shift) {
            let options = MapOptions(alignmentShift: shift)
            guard let base = try? Syscall.map(length: length, protection: .readWrite, options: options) else { return nil }
            bytesMapped += length
            return base.pointer
        }
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
        syscalls += 1
        remapCalls += 1
        let flags = RemapFlags(mayMove: true, alignment: UInt64(max(alignment, userPageSize)))
        guard
            let moved = try? Syscall.remap(
                address: VirtualAddress(UnsafeRawPointer(pointer)), oldLength: UInt64(oldByteCount),
                newLength: UInt64(newByteCount), flags: flags)
        else { return nil }
        bytesMapped = bytesMapped - UInt64(oldByteCount) + UInt64(newByteCount)
        return moved.pointer
    }

    mutating func unmapPages(_ pointer: UnsafeMutableRawPointer, byteCount: Int) {
        unmapOrCount(VirtualAddress(UnsafeRawPointer(pointer)), length: UInt64(byteCount))
        bytesMapped -= UInt64(byteCount)
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
