// The invariant checker of ProcessMemory (file comment of ProcessMemory.swift): O(regions +
// present leaves + absent table entries met) plus the address space's own checker when a ledger
// is given. Returns the first broken rule, never traps.
import MemoryCore
import MemoryObjects
import PageTables

/// The first rule `ProcessMemory.checkInvariants` found broken.
public enum ProcessMemoryViolation: Error, Equatable, Sendable {
    case peakBelowCurrent(peak: Int, current: Int)
    case hugePageMapped(count: Int)
    case breakOrder(imageStart: VirtualAddress, breakStart: VirtualAddress, breakCurrent: VirtualAddress)
    case breakBeyondLimit(VirtualAddress)
    case breakNotReserved(VirtualAddress)
    case mapCursorOutsideArea(VirtualAddress)
    case regionsOutOfOrder(VirtualAddress)
    case leafOutsideRegions(count: Int)
    case leafBeyondRegionProtection(VirtualAddress)
    case zeroFrameWritable(VirtualAddress)
    case privateFrameInUnchargedRegion(VirtualAddress)
    case zeroFrameLeafCount(counted: Int, recorded: Int)
    case chargeMismatch(dataPages: UInt64, tablePages: UInt64)
    case tablesBeyondCharge(tables: Int, charged: UInt64)
    case overQuota(committed: UInt64, quota: UInt64)
    /// An object region maps a dead object or pages past its end.
    case objectRegionOutsideObject(VirtualAddress)
    /// An object region is charged, writable without the right, or executable.
    case objectRegionRights(VirtualAddress)
    /// An object region's leaf is not on its page's current frame (or is on the zero frame).
    case staleObjectLeaf(VirtualAddress)
    /// An object region's leaf is writable while its frame is shared (refcount > 1).
    case sharedFrameWritable(VirtualAddress)
    case pageTables(PageTableInvariantViolation)
}

extension ProcessMemory {
    public func checkInvariants(zeroFrame: FrameNumber) -> ProcessMemoryViolation? {
        guard pagesMapped <= peakPages else { return .peakBelowCurrent(peak: peakPages, current: pagesMapped) }
        guard space.mapped2MiBCount == 0 else { return .hugePageMapped(count: space.mapped2MiBCount) }
        guard imageStart <= breakStart, breakStart <= breakCurrent else {
            return .breakOrder(imageStart: imageStart, breakStart: breakStart, breakCurrent: breakCurrent)
        }
        guard breakCurrent.raw - breakStart.raw <= UserSpace.breakLimitBytes else { return .breakBeyondLimit(breakCurrent) }
        let breakEnd = VirtualAddress(alignUp(breakCurrent.raw, to: frameSize)!)
        if breakEnd > breakStart {
            let pieces = regions.pieces(from: breakStart, to: breakEnd)
            guard regions.covers(from: breakStart, to: breakEnd), pieces.allSatisfy({ $0.kind == .programBreak }) else {
                return .breakNotReserved(breakStart)
            }
        }
        guard mapNext >= UserSpace.mapAreaStart,
            mapNext.raw <= UserSpace.mapAreaEnd.raw + UserSpace.mapGapPages * frameSize
        else {
            return .mapCursorOutsideArea(mapNext)
        }
        if let violation = checkRegionsAndLeaves(zeroFrame: zeroFrame) { return violation }
        guard chargedDataPages == regions.chargedPages, chargedTablePages == regions.tableFramesNeeded else {
            return .chargeMismatch(dataPages: chargedDataPages, tablePages: chargedTablePages)
        }
        guard UInt64(space.tableFrameCount - 1) <= chargedTablePages else {
            return .tablesBeyondCharge(tables: space.tableFrameCount, charged: chargedTablePages)
        }
        guard committedPages <= quotaPages else { return .overQuota(committed: committedPages, quota: quotaPages) }
        return nil
    }

    /// Every leaf lies in a region with at most its permissions; zero-frame leaves are read-only
    /// and counted; uncharged private regions hold no private frame (object regions: see
    /// checkObjectInvariants).
    private func checkRegionsAndLeaves(zeroFrame: FrameNumber) -> ProcessMemoryViolation? {
        var previousEnd = VirtualAddress(0)
        var leaves = 0, zeroLeaves = 0
        var violation: ProcessMemoryViolation? = nil
        for region in regions.regions {
            guard region.pageCount > 0, region.start >= previousEnd else { return .regionsOutOfOrder(region.start) }
            previousEnd = region.end
            do throws(PageTableError) {
                try space.leaves(startingAt: region.start, pageCount: region.pageCount) { page, frame, flags in
                    leaves += 1
                    guard violation == nil else { return }
                    let leafFlags = flags.subtracting(PageFlags.hardwareManaged.union(.present))
                    let losesNoExecute =
                        region.flags.contains(.noExecute) && !leafFlags.contains(.noExecute)
                        && space.memory.noExecuteSupported
                    if !leafFlags.subtracting(.noExecute).isSubset(of: region.flags) || losesNoExecute {
                        violation = .leafBeyondRegionProtection(page)
                    } else if frame == zeroFrame {
                        zeroLeaves += 1
                        if flags.contains(.writable) { violation = .zeroFrameWritable(page) }
                    } else if !region.isCharged && region.kind.object == nil {
                        violation = .privateFrameInUnchargedRegion(page)
                    }
                }
            } catch {
                return .regionsOutOfOrder(region.start)
            }
            if let violation { return violation }
        }
        guard leaves == space.mapped4KiBCount else { return .leafOutsideRegions(count: space.mapped4KiBCount - leaves) }
        guard zeroLeaves == zeroFrameLeaves else { return .zeroFrameLeafCount(counted: zeroLeaves, recorded: zeroFrameLeaves) }
        return nil
    }

    /// As `checkInvariants(zeroFrame:)`, plus the address space's checker against the table-frame ledger.
    public func checkInvariants(zeroFrame: FrameNumber, ledger: some TableFrameLedger) -> ProcessMemoryViolation? {
        if let violation = checkInvariants(zeroFrame: zeroFrame) { return violation }
        return space.checkInvariants(ledger: ledger).map { .pageTables($0) }
    }
}

extension ProcessMemory {
    /// As `checkInvariants(zeroFrame:)`, plus the object regions' rules against the registry.
    public func checkInvariants(zeroFrame: FrameNumber, objects: MemoryObjects) -> ProcessMemoryViolation? {
        checkInvariants(zeroFrame: zeroFrame) ?? checkObjectInvariants(zeroFrame: zeroFrame, objects: objects)
    }
}
