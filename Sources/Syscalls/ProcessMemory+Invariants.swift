// The invariant checker of ProcessMemory (file comment of ProcessMemory.swift): O(pages of the
// break) plus the address space's own checker when a ledger is given. Returns the first broken
// rule, never traps.
import MemoryCore
import PageTables

/// The first rule `ProcessMemory.checkInvariants` found broken.
public enum ProcessMemoryViolation: Error, Equatable, Sendable {
    case peakBelowCurrent(peak: Int, current: Int)
    case hugePageMapped(count: Int)
    case breakOrder(imageStart: VirtualAddress, breakStart: VirtualAddress, breakCurrent: VirtualAddress)
    case breakBeyondLimit(VirtualAddress)
    case breakPageNotMapped(VirtualAddress)
    case mapCursorOutsideArea(VirtualAddress)
    case pageTables(PageTableInvariantViolation)
}

extension ProcessMemory {
    public func checkInvariants() -> ProcessMemoryViolation? {
        guard pagesMapped <= peakPages else { return .peakBelowCurrent(peak: peakPages, current: pagesMapped) }
        guard space.mapped2MiBCount == 0 else { return .hugePageMapped(count: space.mapped2MiBCount) }
        guard imageStart <= breakStart, breakStart <= breakCurrent else {
            return .breakOrder(imageStart: imageStart, breakStart: breakStart, breakCurrent: breakCurrent)
        }
        guard breakCurrent.raw - breakStart.raw <= UserSpace.breakLimitBytes else { return .breakBeyondLimit(breakCurrent) }
        var page = breakStart.raw
        while page < breakCurrent.raw {
            guard space.translate(VirtualAddress(page)) != nil else { return .breakPageNotMapped(VirtualAddress(page)) }
            page += frameSize
        }
        guard mapNext >= UserSpace.mapAreaStart,
              mapNext.raw <= UserSpace.mapAreaEnd.raw + UserSpace.mapGapPages * frameSize else {
            return .mapCursorOutsideArea(mapNext)
        }
        return nil
    }

    /// As `checkInvariants()`, plus the address space's checker against the table-frame ledger.
    public func checkInvariants(ledger: some TableFrameLedger) -> ProcessMemoryViolation? {
        if let violation = checkInvariants() { return violation }
        return space.checkInvariants(ledger: ledger).map { .pageTables($0) }
    }
}
