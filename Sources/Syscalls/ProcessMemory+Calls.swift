// The memory calls: validate (refuse with a named reason, touching nothing), then invoke (which
// cannot fail half-way, or rolls back completely). The order of the checks is the ABI's
// (docs/syscalls.md): each hostile input has exactly one, stable, answer.
import MemoryCore
import MemoryObjects
import PageTables

extension ProcessMemory {
    /// Performs one decoded memory call.
    public mutating func perform<Machine: SyscallMachine>(_ request: MemoryRequest, machine: inout Machine) -> SyscallOutcome {
        switch request {
        case .write(let address, let length): SyscallOutcome(write(address: address, length: length, machine: &machine))
        case .map(let hint, let length, let protection, let options):
            SyscallOutcome(map(hint: hint, length: length, protection: protection, options: options, machine: &machine))
        case .unmap(let address, let length): SyscallOutcome(unmap(address: address, length: length, machine: &machine))
        case .brk(let requested): brk(requested: requested, machine: &machine)
        case .memstat(let output): SyscallOutcome(memstat(output: output, machine: &machine))
        case .protect(let address, let length, let protection):
            SyscallOutcome(protect(address: address, length: length, protection: protection, machine: &machine))
        case .remap(let address, let oldLength, let newLength, let flags, let destination):
            SyscallOutcome(
                remap(
                    address: address, oldLength: oldLength, newLength: newLength, flags: flags, destination: destination,
                    machine: &machine))
        }
    }

    // MARK: - write

    public mutating func write<Machine: SyscallMachine>(
        address: UInt64, length: UInt64, machine: inout Machine
    ) -> Result<UInt64, Rejection> {
        guard length <= UserSpace.maximumWrite else { return .failure(Rejection(.invalidArgument, .writeTooLong)) }
        do throws(RejectionReason) {
            try faultInUser(address: address, length: length, needsWrite: false, machine: &machine)
            try readUser(address: address, length: length) { chunk in machine.writeConsole(chunk) }
        } catch {
            return .failure(Rejection(.badAddress, error))
        }
        return .success(length)
    }

    // MARK: - map, unmap, protect

    public mutating func map<Machine: SyscallMachine>(
        hint: UInt64, length: UInt64, protection: UInt64, options rawOptions: UInt64 = 0, machine: inout Machine
    ) -> Result<UInt64, Rejection> {
        let flags: PageFlags
        do throws(UserProtectionError) { flags = try UserProtection.decode(protection) } catch {
            return .failure(Rejection(.invalidArgument, RejectionReason(error)))
        }
        let options: MapOptions
        do throws(RejectionReason) { options = try MapOptions.decode(rawOptions) } catch {
            return .failure(Rejection(.invalidArgument, error))
        }
        let start: VirtualAddress, pageCount: UInt64
        switch placement(hint: hint, length: length, alignmentPages: options.alignmentPages) {
        case .success(let placed): (start, pageCount) = placed
        case .failure(let rejection): return .failure(rejection)
        }
        do throws(RejectionReason) {
            try reserve(
                at: start, pageCount: pageCount, flags: flags, kind: .anonymous, populate: options.populate, machine: &machine)
        } catch {
            return .failure(Rejection(error == .overlapsMapping ? .exists : .outOfMemory, error))
        }
        if hint == 0 { advanceUnhintedPlacement(past: start, pageCount: pageCount) }
        mapCalls += 1
        return .success(start.raw)
    }

    /// Where a new mapping of `length` bytes goes (map, object_map): at `hint` when it is not 0
    /// (MAP_FIXED_NOREPLACE: a malformed hint is EINVAL; a well-formed one naming a place that
    /// cannot be given (outside user space, image, break, stack, guard gap) is EEXIST; it is never
    /// relocated; an overlap with a mapping is found by `reserve`), else the map area's placement.
    func placement(
        hint: UInt64, length: UInt64, alignmentPages: UInt64
    ) -> Result<(start: VirtualAddress, pageCount: UInt64), Rejection> {
        if hint != 0 {
            let range: UserRange
            do throws(UserRangeError) {
                range = try validateUserRange(address: hint, length: length, alignment: .pageAlignedAddress)
            } catch {
                let errno: Errno = error == .misaligned || error == .zeroLength ? .invalidArgument : .exists
                return .failure(Rejection(errno, RejectionReason(error)))
            }
            guard hint % (alignmentPages * frameSize) == 0 else {
                return .failure(Rejection(.invalidArgument, .badRange(.misaligned)))
            }
            if overlapsFixedRegions(range) { return .failure(Rejection(.exists, .imageOrStack)) }
            return .success((range.start, range.pageCount))
        }
        guard length != 0 else { return .failure(Rejection(.invalidArgument, .badRange(.zeroLength))) }
        guard length <= UserSpace.byteCount, let rounded = alignUp(length, to: frameSize) else {
            return .failure(Rejection(.invalidArgument, .badRange(.tooLarge)))
        }
        guard let placed = unhintedPlacement(pageCount: rounded >> frameShift, alignmentPages: alignmentPages) else {
            return .failure(Rejection(.outOfMemory, .mapAreaFull))
        }
        return .success((placed, rounded >> frameShift))
    }

    public mutating func unmap<Machine: SyscallMachine>(
        address: UInt64, length: UInt64, machine: inout Machine
    ) -> Result<UInt64, Rejection> {
        let range: UserRange
        do throws(Rejection) { range = try changeableRange(address: address, length: length) } catch { return .failure(error) }
        guard isMapped(from: range.start, pageCount: range.pageCount) else {
            return .failure(Rejection(.invalidArgument, .notMapped))
        }
        unreserve(from: range.start, pageCount: range.pageCount, machine: &machine)
        unmapCalls += 1
        return .success(0)
    }

    public mutating func protect<Machine: SyscallMachine>(
        address: UInt64, length: UInt64, protection: UInt64, machine: inout Machine
    ) -> Result<UInt64, Rejection> {
        let flags: PageFlags
        do throws(UserProtectionError) { flags = try UserProtection.decode(protection) } catch {
            return .failure(Rejection(.invalidArgument, RejectionReason(error)))
        }
        let range: UserRange
        do throws(Rejection) { range = try changeableRange(address: address, length: length) } catch { return .failure(error) }
        guard isMapped(from: range.start, pageCount: range.pageCount) else {
            return .failure(Rejection(.invalidArgument, .notMapped))
        }
        guard regions.pieces(from: range.start, to: range.end).allSatisfy({ $0.permits(flags) }) else {
            return .failure(Rejection(.rightsExceeded))
        }
        // Making reserved read-only pages writable charges them (strict commit): refused, nothing changes.
        let before = regions.pieces(from: range.start, to: range.end)
        regions.update(from: range.start, to: range.end) { region in
            region.isCharged = region.chargedWhen(writable: flags.contains(.writable))
        }
        do throws(RejectionReason) { try settleCharge(machine: &machine) } catch {
            regions.remove(from: range.start, to: range.end)
            for piece in before { regions.insert(piece) }
            return .failure(Rejection(.outOfMemory, error))
        }
        do throws(PageTableError) {
            try setFlags(from: range.start, pageCount: range.pageCount, flags: flags, zeroFrame: machine.sharedZeroFrame).flush(
                machine)
            try readOnlyObjectLeaves(from: range.start, to: range.end, machine: &machine)
        } catch {
            preconditionFailure("protect: a validated, reserved user range was refused")
        }
        protectCalls += 1
        return .success(0)
    }

    // MARK: - brk

    /// Linux semantics: the result is the break after the call; a refused change leaves the break
    /// where it was (the outcome still names why).
    public mutating func brk<Machine: SyscallMachine>(requested: UInt64, machine: inout Machine) -> SyscallOutcome {
        let unchanged = Int64(bitPattern: breakCurrent.raw)
        if requested == 0 { return SyscallOutcome(result: unchanged) }
        guard requested >= breakStart.raw else {
            return SyscallOutcome(result: unchanged, rejection: Rejection(.outOfMemory, .breakBelowStart))
        }
        guard requested - breakStart.raw <= UserSpace.breakLimitBytes else {
            return SyscallOutcome(result: unchanged, rejection: Rejection(.outOfMemory, .breakBeyondLimit))
        }
        let oldEnd = VirtualAddress(alignUp(breakCurrent.raw, to: frameSize)!)
        let newEnd = VirtualAddress(alignUp(requested, to: frameSize)!)
        if newEnd > oldEnd {
            guard !regions.overlaps(from: oldEnd, to: newEnd) else {
                return SyscallOutcome(result: unchanged, rejection: Rejection(.outOfMemory, .overlapsMapping))
            }
            resizeBreakRegion(from: oldEnd, to: newEnd)
            do throws(RejectionReason) { try settleCharge(machine: &machine) } catch {
                resizeBreakRegion(from: newEnd, to: oldEnd)
                return SyscallOutcome(result: unchanged, rejection: Rejection(.outOfMemory, error))
            }
        } else if newEnd < oldEnd {
            unmapAndFree(from: newEnd, pageCount: (oldEnd.raw - newEnd.raw) >> frameShift, machine: &machine)
            resizeBreakRegion(from: oldEnd, to: newEnd)
            do throws(RejectionReason) { try settleCharge(machine: &machine) } catch {
                preconditionFailure("brk: releasing a charge was refused")
            }
        }
        if requested != breakCurrent.raw { brkCalls += 1 }
        breakCurrent = VirtualAddress(requested)
        return SyscallOutcome(result: Int64(bitPattern: requested))
    }

    /// Moves the break region's end from `oldEnd` to `newEnd` (either way): the region is created
    /// when the break first leaves its start and removed when it comes back to it.
    mutating func resizeBreakRegion(from oldEnd: VirtualAddress, to newEnd: VirtualAddress) {
        if oldEnd == breakStart {
            regions.insert(
                Region(
                    start: breakStart, pageCount: (newEnd.raw - breakStart.raw) >> frameShift,
                    flags: Self.userData, kind: .programBreak, isCharged: true))
        } else if newEnd == breakStart {
            regions.remove(from: breakStart, to: oldEnd)
        } else {
            regions.resize(endingAt: oldEnd, to: newEnd)
        }
    }

    // MARK: - memstat

    public var statistics: MemoryStatistics {
        var stats = MemoryStatistics()
        stats.pagesMapped = UInt64(pagesMapped)
        stats.peakPagesMapped = UInt64(peakPages)
        stats.mapCalls = UInt64(mapCalls)
        stats.unmapCalls = UInt64(unmapCalls)
        stats.brkCalls = UInt64(brkCalls)
        stats.breakStart = breakStart.raw
        stats.breakCurrent = breakCurrent.raw
        stats.committedPages = committedPages
        stats.residentPages = UInt64(pagesMapped)
        stats.pageTablePages = UInt64(space.tableFrameCount)
        stats.zeroFillFaults = UInt64(zeroFillFaults)
        stats.protectionFaults = UInt64(protectionFaults)
        stats.quotaPages = quotaPages
        return stats
    }

    public mutating func memstat<Machine: SyscallMachine>(output: UInt64, machine: inout Machine) -> Result<UInt64, Rejection> {
        var stats = statistics
        stats.freeFramesSystem = machine.freeFrameCount
        stats.commitLimitSystem = machine.commit.limitPages
        stats.committedSystem = machine.commit.committedPages
        var record = stats.record
        do throws(RejectionReason) {
            try withUnsafeBytes(of: &record) { (bytes) throws(RejectionReason) in
                try writeUser(address: output, from: bytes, machine: &machine)
            }
        } catch {
            return .failure(Rejection(.badAddress, error))
        }
        return .success(0)
    }
}
