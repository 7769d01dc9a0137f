// remap(address, oldLength, newLength, flags) -> address: mremap for pages from `map`. A run
// grows or shrinks keeping its bytes, and when it must move, its page-table entries move
// (AddressSpace.moveRange): no byte is copied, whatever the size. UserMalloc's large realloc
// grows through it.
//
// Validate (in this order, each refusal changing nothing):
//   flags: unknown bits -> EINVAL unknown-remap-flags; alignment field outside 12...30 -> EINVAL
//     invalid-alignment
//   [address, address + oldLength): validateUserRange's reasons -> EINVAL; image, break, stack or
//     its guard gap -> EINVAL image-or-stack; a page not mapped -> EFAULT not-mapped; pages of
//     different protections -> EFAULT mixed-protection (Linux: a range over several mappings)
//   newLength: 0 -> EINVAL zero-length; past the user range when page-rounded -> EINVAL too-large
// Invoke:
//   same page count: nothing changes, returns address
//   shrink: the tail pages are unmapped and freed, returns address
//   grow in place when [old end, new end) and one gap page after it are free user space outside
//     the fixed regions: zeroed pages with the run's protection are mapped there
//   else with mayMove: a free range is placed as an unhinted map of newLength would be (with the
//     requested alignment); the new tail is mapped zeroed there first, then the old entries move
//     in front of it and the old run is flushed from the TLB; returns the new address
//   else -> ENOMEM no-room-in-place.  Out of frames or table frames -> ENOMEM, nothing changed.
import MemoryCore
import PageTables

extension ProcessMemory {
    public mutating func remap<Machine: SyscallMachine>(
        address: UInt64, oldLength: UInt64, newLength: UInt64, flags rawFlags: UInt64, machine: inout Machine
    ) -> Result<UInt64, Rejection> {
        let flags: RemapFlags
        do throws(RejectionReason) { flags = try RemapFlags.decode(rawFlags) } catch {
            return .failure(Rejection(.invalidArgument, error))
        }
        let old: UserRange
        do throws(UserRangeError) {
            old = try validateUserRange(address: address, length: oldLength, alignment: .pageAlignedAddress)
        } catch {
            return .failure(Rejection(.invalidArgument, RejectionReason(error)))
        }
        guard !overlapsFixedRegions(old) else { return .failure(Rejection(.invalidArgument, .imageOrStack)) }
        guard isMapped(from: old.start, pageCount: old.pageCount) else { return .failure(Rejection(.badAddress, .notMapped)) }
        guard let leafFlags = space.uniformLeafFlags(startingAt: old.start, pageCount: old.pageCount) else {
            return .failure(Rejection(.badAddress, .mixedProtection))
        }
        guard newLength != 0 else { return .failure(Rejection(.invalidArgument, .zeroLength)) }
        guard newLength <= UserSpace.byteCount, let rounded = UserSpace.pageRounded(newLength) else {
            return .failure(Rejection(.invalidArgument, .tooLarge))
        }
        let newPages = rounded >> frameShift
        if newPages == old.pageCount { return .success(address) }
        if newPages < old.pageCount {
            unmapAndFree(from: VirtualAddress(old.start.raw + newPages * frameSize), pageCount: old.pageCount - newPages,
                         machine: &machine)
            return .success(address)
        }
        let growth = newPages - old.pageCount
        do throws(RejectionReason) {
            if canGrowInPlace(old, byPages: growth) {
                try mapZeroed(at: old.end, pageCount: growth, flags: leafFlags, machine: &machine)
                return .success(address)
            }
            guard flags.mayMove else { return .failure(Rejection(.outOfMemory, .noRoomInPlace)) }
            guard let destination = alignedUnhintedPlacement(pageCount: newPages, alignment: flags.alignment) else {
                return .failure(Rejection(.outOfMemory, .mapAreaFull))
            }
            try moveGrowing(old, to: destination, newPages: newPages, flags: leafFlags, machine: &machine)
            advanceUnhintedPlacement(past: destination, pageCount: newPages)
            return .success(destination.raw)
        } catch {
            return .failure(Rejection(.outOfMemory, error))
        }
    }

    /// True when [old.end, old.end + pages) and the gap page(s) after it are unmapped user space
    /// clear of the image, break and stack.
    func canGrowInPlace(_ old: UserRange, byPages pages: UInt64) -> Bool {
        let (bytes, overflow) = (pages + UserSpace.mapGapPages).multipliedReportingOverflow(by: frameSize)
        guard !overflow, bytes <= UserSpace.end.raw - old.end.raw else { return false }
        let grown = UserRange(start: old.end, end: VirtualAddress(old.end.raw + pages * frameSize))
        guard !overlapsFixedRegions(grown) else { return false }
        return space.firstMappedPage(from: old.end, before: VirtualAddress(old.end.raw + bytes)) == nil
    }

    /// Where an unhinted map of `pageCount` pages starting on an `alignment` boundary goes: the
    /// unhinted placement of a run longer by the alignment slack, rounded up inside it.
    func alignedUnhintedPlacement(pageCount: UInt64, alignment: UInt64) -> VirtualAddress? {
        let slack = alignment / frameSize - 1
        guard let start = unhintedPlacement(pageCount: pageCount + slack) else { return nil }
        return VirtualAddress(alignUp(start.raw, to: alignment)!)
    }

    /// Maps the new tail zeroed at destination + old size, then moves the old entries in front of
    /// it and flushes the old run. On a refusal nothing stays changed.
    mutating func moveGrowing<Machine: SyscallMachine>(
        _ old: UserRange, to destination: VirtualAddress, newPages: UInt64, flags: PageFlags, machine: inout Machine
    ) throws(RejectionReason) {
        let tail = VirtualAddress(destination.raw + old.pageCount * frameSize)
        try mapZeroed(at: tail, pageCount: newPages - old.pageCount, flags: flags, machine: &machine)
        do throws(PageTableError) {
            try space.moveRange(from: old.start, to: destination, pageCount: old.pageCount, tableFrames: &tableFrames)
                .flush(machine)
        } catch {
            unmapAndFree(from: tail, pageCount: newPages - old.pageCount, machine: &machine)
            throw Self.reason(error)
        }
    }
}
