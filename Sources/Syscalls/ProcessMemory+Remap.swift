// remap(address, oldLength, newLength, flags) -> address: mremap for pages from `map`, in the
// demand-paged region model. A run grows or shrinks keeping its bytes, and when it must move, its
// region records and its PRESENT page-table entries move (AddressSpace.moveRange): no byte is
// copied and no page is faulted in, whatever the size. UserMalloc's large realloc grows through it.
//
// Validate (in this order, each refusal changing nothing):
//   flags: unknown bits -> EINVAL unknown-remap-flags; fixed without mayMove -> EINVAL
//     fixed-without-may-move; the alignment field by map's rule (MapOptions) -> EINVAL bad-alignment
//   [address, address + oldLength): validateUserRange's reasons -> EINVAL; image, break, stack or
//     its guard gap -> EINVAL image-or-stack; a page of an object region (object_map) -> EINVAL
//     object-mapping; a page in no `map` region -> EFAULT not-mapped;
//     regions of different protections -> EFAULT mixed-protection (Linux: several mappings)
//   newLength: 0 -> EINVAL zero-length; past the user range when page-rounded -> EINVAL too-large
//   fixed only, the destination [destination, destination + round_up(newLength)): not on a page
//     or on the alignment -> EINVAL misaligned; wraps or leaves user space -> EINVAL with
//     validateUserRange's reason; overlaps the run itself -> EINVAL destination-overlaps-run;
//     the image, break, stack or guard gap -> EEXIST image-or-stack; any reserved page (a
//     mapping) -> EEXIST overlaps-mapping. Where a map hint may go, a destination may go: user
//     space outside the fixed regions (the user runtime's heap window lies just below the map
//     area), and what is there is never unmapped (Linux's MREMAP_FIXED would unmap it)
// Invoke (the regions are the record; the page tables follow):
//   fixed: the run's first min(old, new) pages move to the destination as a mayMove growth moves
//     (below), the growth reserved after them; then a shrink's old tail is unreserved where it
//     was (so the charge is checked with it still held); the cursor of unhinted maps is not
//     moved (as for a hinted map); returns the destination, whatever the sizes
//   same page count: nothing changes, returns address
//   shrink: the tail leaves the regions, its resident frames are freed (after their flush), its
//     charge is released; returns address
//   grow in place when [old end, new end) and one gap page after it are unreserved user space
//     outside the fixed regions: a region of the run's protection is reserved there exactly as
//     `map` reserves one (charged first, quota then system limit; ENOMEM commit-limit /
//     quota-exceeded and the kernel's `vm oom` line when refused), demand-zero unless populate
//   else with mayMove: the destination is placed as an unhinted `map` of newLength with the
//     alignment (RegionMap's free-range search, gap pages, the unhinted cursor advanced); the
//     run's region pieces move there (each keeps its charge rule), the growth is reserved after
//     them, the charge is settled once (data: only the growth; tables: what the new layout needs),
//     the growth is populated when asked, then the present entries move (holes stay holes,
//     zero-frame pages stay zero-frame mappings) and the old pages are flushed; returns the new
//     address
//   else -> ENOMEM no-room-in-place; no room in the map area -> ENOMEM map-area-full. Any later
//     refusal (the charge; frames or table frames taken behind the ledger's back) undoes every
//     step: regions, charges, tables and frames are as before the call.
// While the entries move, the old run's page tables are freed only after the destination's were
// made: for that moment up to (old pages / 512 + 2) table frames are in use beyond the charge
// (from the kernel's reserve); when none are left the call is refused out-of-table-frames.
import MemoryCore
import PageTables

extension ProcessMemory {
    public mutating func remap<Machine: SyscallMachine>(
        address: UInt64, oldLength: UInt64, newLength: UInt64, flags rawFlags: UInt64, destination: UInt64 = 0,
        machine: inout Machine
    ) -> Result<UInt64, Rejection> {
        let flags: RemapFlags
        do throws(RejectionReason) { flags = try RemapFlags.decode(rawFlags) } catch {
            return .failure(Rejection(.invalidArgument, error))
        }
        let old: UserRange
        do throws(Rejection) { old = try changeableRange(address: address, length: oldLength) } catch { return .failure(error) }
        let pieces = regions.pieces(from: old.start, to: old.end)
        guard !pieces.contains(where: { $0.kind.object != nil }) else {
            return .failure(Rejection(.invalidArgument, .objectMapping))
        }
        guard regions.covers(from: old.start, to: old.end), pieces.allSatisfy({ $0.kind == .anonymous }) else {
            return .failure(Rejection(.badAddress, .notMapped))
        }
        let protection = pieces[0].flags
        guard pieces.allSatisfy({ $0.flags == protection }) else { return .failure(Rejection(.badAddress, .mixedProtection)) }
        guard newLength != 0 else { return .failure(Rejection(.invalidArgument, .badRange(.zeroLength))) }
        guard newLength <= UserSpace.byteCount, let rounded = UserSpace.pageRounded(newLength) else {
            return .failure(Rejection(.invalidArgument, .badRange(.tooLarge)))
        }
        let newPages = rounded >> frameShift
        if flags.fixed {
            let target: VirtualAddress
            do throws(Rejection) {
                target = try fixedDestination(destination, pageCount: newPages, alignmentPages: flags.alignmentPages, run: old)
            } catch {
                return .failure(error)
            }
            return moveFixed(old, to: target, pageCount: newPages, populate: flags.populate, machine: &machine)
        }
        if newPages == old.pageCount { return .success(address) }
        if newPages < old.pageCount {
            unreserve(
                from: VirtualAddress(old.start.raw + newPages * frameSize), pageCount: old.pageCount - newPages,
                machine: &machine)
            return .success(address)
        }
        let growth = newPages - old.pageCount
        do throws(RejectionReason) {
            if canGrowInPlace(old, byPages: growth) {
                try reserve(
                    at: old.end, pageCount: growth, flags: protection, kind: .anonymous, populate: flags.populate,
                    machine: &machine)
                return .success(address)
            }
            guard flags.mayMove else { return .failure(Rejection(.outOfMemory, .noRoomInPlace)) }
            guard let destination = unhintedPlacement(pageCount: newPages, alignmentPages: flags.alignmentPages) else {
                return .failure(Rejection(.outOfMemory, .mapAreaFull))
            }
            try move(old, pieces: pieces, to: destination, growingBy: growth, populate: flags.populate, machine: &machine)
            advanceUnhintedPlacement(past: destination, pageCount: newPages)
            return .success(destination.raw)
        } catch {
            return .failure(Rejection(.outOfMemory, error))
        }
    }

    /// The start of a fixed destination of `pageCount` pages for the run `old`, or the refusal
    /// (the file comment's order): exactly where a map hint may go, free, and apart from the run.
    func fixedDestination(
        _ raw: UInt64, pageCount: UInt64, alignmentPages: UInt64, run old: UserRange
    ) throws(Rejection) -> VirtualAddress {
        let range: UserRange
        do throws(UserRangeError) {
            range = try validateUserRange(address: raw, length: pageCount * frameSize, alignment: .pageAlignedAddress)
        } catch {
            throw Rejection(.invalidArgument, RejectionReason(error))
        }
        guard raw % (alignmentPages * frameSize) == 0 else { throw Rejection(.invalidArgument, .badRange(.misaligned)) }
        guard range.end <= old.start || range.start >= old.end else {
            throw Rejection(.invalidArgument, .destinationOverlapsRun)
        }
        guard !overlapsFixedRegions(range) else { throw Rejection(.exists, .imageOrStack) }
        guard !regions.overlaps(from: range.start, to: range.end) else { throw Rejection(.exists, .overlapsMapping) }
        return range.start
    }

    /// The fixed move: the run's kept pages and the growth to `destination` (validated), then a
    /// shrink's old tail unreserved. A refusal (charge, frames, table frames) changes nothing.
    mutating func moveFixed<Machine: SyscallMachine>(
        _ old: UserRange, to destination: VirtualAddress, pageCount newPages: UInt64, populate: Bool,
        machine: inout Machine
    ) -> Result<UInt64, Rejection> {
        let kept = min(old.pageCount, newPages)
        let keptRun = UserRange(start: old.start, end: VirtualAddress(old.start.raw + kept * frameSize))
        do throws(RejectionReason) {
            try move(
                keptRun, pieces: regions.pieces(from: keptRun.start, to: keptRun.end), to: destination,
                growingBy: newPages - kept, populate: populate, machine: &machine)
        } catch {
            return .failure(Rejection(.outOfMemory, error))
        }
        if kept < old.pageCount { unreserve(from: keptRun.end, pageCount: old.pageCount - kept, machine: &machine) }
        return .success(destination.raw)
    }

    /// True when [old.end, old.end + pages) and the gap page(s) after it are unreserved user space
    /// clear of the image, break, stack and the stack's guard gap.
    func canGrowInPlace(_ old: UserRange, byPages pages: UInt64) -> Bool {
        let (bytes, overflow) = (pages + UserSpace.mapGapPages).multipliedReportingOverflow(by: frameSize)
        guard !overflow, bytes <= UserSpace.end.raw - old.end.raw else { return false }
        let grown = UserRange(start: old.end, end: VirtualAddress(old.end.raw + pages * frameSize))
        guard !overlapsFixedRegions(grown) else { return false }
        return !regions.overlaps(from: old.end, to: VirtualAddress(old.end.raw + bytes))
    }

    /// Moves the run `old` (its region `pieces`, in order) to `destination` and reserves `growth`
    /// pages (0 or more) after it with the run's protection; see the file comment for the order of
    /// the steps. On a refusal every step is undone.
    mutating func move<Machine: SyscallMachine>(
        _ old: UserRange, pieces: [Region], to destination: VirtualAddress, growingBy growth: UInt64, populate: Bool,
        machine: inout Machine
    ) throws(RejectionReason) {
        let protection = pieces[0].flags
        let tail = VirtualAddress(destination.raw + old.pageCount * frameSize)
        let newEnd = VirtualAddress(tail.raw + growth * frameSize)
        regions.remove(from: old.start, to: old.end)
        for piece in pieces {
            var moved = piece
            moved.start = VirtualAddress(destination.raw + (piece.start.raw - old.start.raw))
            regions.insert(moved)
        }
        if growth > 0 {
            regions.insert(
                Region(
                    start: tail, pageCount: growth, flags: protection, kind: .anonymous,
                    isCharged: populate || protection.contains(.writable)))
        }
        do throws(RejectionReason) {
            try settleCharge(machine: &machine)
            if populate && growth > 0 {
                try backWithZeroedFrames(at: tail, pageCount: growth, flags: protection, machine: &machine)
            }
            do throws(PageTableError) {
                try space.moveRange(from: old.start, to: destination, pageCount: old.pageCount, tableFrames: &tableFrames)
                    .flush(machine)
            } catch {
                throw Self.reason(error)
            }
        } catch {
            if growth > 0 { unmapAndFree(from: tail, pageCount: growth, machine: &machine) }  // the populated growth, if any
            regions.remove(from: destination, to: newEnd)
            for piece in pieces { regions.insert(piece) }
            try? settleCharge(machine: &machine)  // back to the charge before the call: a release or nothing
            throw error
        }
    }
}
