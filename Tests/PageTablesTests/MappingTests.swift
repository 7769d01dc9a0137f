import MemoryCore
import Testing
@testable import PageTables
import TestSupport

/// Throws-checker for typed throws: the error an operation threw, or nil.
func error<T>(_ body: () throws -> T) -> PageTableError? {
    do {
        _ = try body()
        return nil
    } catch let error as PageTableError {
        return error
    } catch {
        Issue.record("unexpected error \(error)")
        return nil
    }
}

@Suite struct MappingTests {
    @Test func newSpaceHasAZeroedRootAndNothingMapped() throws {
        let (ram, source, space) = try makeSpace()
        #expect(space.tableFrameCount == 1 && source.outstanding == [space.root])
        for index in 0 ..< 512 { #expect(ram.rawEntry(space.root, index) == 0) }
        #expect(space.checkInvariants(ledger: source) == nil)
        #expect(space.translate(UserSpace.start) == nil)
    }

    @Test func creationFailsCleanlyWithoutFrames() {
        let ram = SimulatedRAM(frameCount: 4)
        var source = RecordingFrameSource(ram: ram)
        source.outstandingLimit = 0
        #expect(throws: PageTableError.outOfTableFrames) {
            _ = try TestSpace(kind: .user, memory: SimulatedMemoryAccess(ram: ram), tableFrames: &source)
        }
        #expect(source.outstanding.isEmpty)
    }

    @Test func map4KiBWritesExactBitsAtEveryLevel() throws {
        var (ram, source, space) = try makeSpace()
        let target = page(1, 2, 3, 4)
        let frame = FrameNumber(0xFF_FFFF_FFFF)
        try space.map(target, to: frame, size: .size4KiB, flags: [.writable, .user, .noExecute], tableFrames: &source)
        #expect(space.tableFrameCount == 4 && source.outstanding.count == 4)
        // Intermediates: address | P | RW | US | child count 1 (bits 52-61), nothing else (no NX, no PS).
        let pml4e = ram.rawEntry(space.root, 1)
        #expect(pml4e & ~PageTableEntry.addressMask == 1 << 52 | 0b111)
        let pdpt = PageTableEntry(rawValue: pml4e).frame
        let pdpte = ram.rawEntry(pdpt, 2)
        #expect(pdpte & ~PageTableEntry.addressMask == 1 << 52 | 0b111)
        let pd = PageTableEntry(rawValue: pdpte).frame
        let pde = ram.rawEntry(pd, 3)
        #expect(pde & ~PageTableEntry.addressMask == 1 << 52 | 0b111)
        let pt = PageTableEntry(rawValue: pde).frame
        #expect(Set([space.root, pdpt, pd, pt]) == source.outstanding)
        // Leaf: frame | NX | US | RW | P exactly.
        #expect(ram.rawEntry(pt, 4) == (1 as UInt64) << 63 | 0x000F_FFFF_FFFF_F000 | 0b111)
        // Every other entry of every new table was zeroed (the source filled them with 0xA5).
        for (table, used) in [(space.root, 1), (pdpt, 2), (pd, 3), (pt, 4)] {
            for index in 0 ..< 512 where index != used { #expect(ram.rawEntry(table, index) == 0) }
        }
        #expect(space.mapped4KiBCount == 1 && space.mappedByteCount == 4096)
        #expect(space.checkInvariants(ledger: source) == nil)
        // A second page in the same PT: only the PDE's count moves.
        try space.map(page(1, 2, 3, 5), to: FrameNumber(1), size: .size4KiB, flags: [.user], tableFrames: &source)
        #expect(ram.rawEntry(pd, 3) == pt.startAddress.raw | 2 << 52 | 0b111)
        #expect(ram.rawEntry(pdpt, 2) == pdpte && ram.rawEntry(space.root, 1) == pml4e)
        _ = try space.unmap(page(1, 2, 3, 4), size: .size4KiB, tableFrames: &source)
        #expect(ram.rawEntry(pd, 3) == pde)
    }

    @Test func map2MiBWritesAHugePageInThePD() throws {
        var (ram, source, space) = try makeSpace()
        let target = page(254, 511, 511, 0)
        try space.map(target, to: FrameNumber(0x200 * 7), size: .size2MiB, flags: [.user], tableFrames: &source)
        #expect(space.tableFrameCount == 3)
        let pdpt = PageTableEntry(rawValue: ram.rawEntry(space.root, 254)).frame
        let pd = PageTableEntry(rawValue: ram.rawEntry(pdpt, 511)).frame
        #expect(ram.rawEntry(pd, 511) == (7 * 2 * MiB) | 0x80 | 0b101)
        #expect(space.mapped2MiBCount == 1 && space.mappedByteCount == 2 * MiB)
        #expect(space.checkInvariants(ledger: source) == nil)
    }

    @Test func translateReportsPhysicalFlagsAndSize() throws {
        var (_, source, space) = try makeSpace()
        try space.map(page(1, 0, 0, 1), to: FrameNumber(0x1234), size: .size4KiB, flags: [.user], tableFrames: &source)
        try space.map(page(1, 0, 2, 0), to: FrameNumber(0x400), size: .size2MiB, flags: [.writable], tableFrames: &source)
        let small = space.translate(VirtualAddress(page(1, 0, 0, 1).raw + 0xABC))
        #expect(
            small
                == Translation(
                    physical: PhysicalAddress(0x1234ABC), frame: FrameNumber(0x1234), flags: [.present, .user], size: .size4KiB))
        let huge = space.translate(VirtualAddress(page(1, 0, 2, 0).raw + 0x1F_FFFF))
        #expect(
            huge
                == Translation(
                    physical: PhysicalAddress(0x40_0000 + 0x1F_FFFF), frame: FrameNumber(0x400), flags: [.present, .writable],
                    size: .size2MiB))
        #expect(space.translate(page(1, 0, 0, 0)) == nil)  // same PT, other entry
        #expect(space.translate(page(1, 0, 1, 0)) == nil)  // same PD, no PT
        #expect(space.translate(page(2, 0, 0, 0)) == nil)  // no PDPT
        #expect(space.translate(VirtualAddress(0x0000_8000_0000_0000)) == nil)  // non-canonical
        #expect(space.translate(VirtualAddress(0x1000)) == nil)  // kernel slot: not walked
    }

    @Test func unmapReturnsTheFrameAndFreesEmptyTablesBottomUp() throws {
        var (ram, source, space) = try makeSpace()
        try space.map(page(1, 0, 0, 0), to: FrameNumber(10), size: .size4KiB, flags: [.user], tableFrames: &source)
        try space.map(page(1, 0, 0, 1), to: FrameNumber(11), size: .size4KiB, flags: [.user], tableFrames: &source)
        try space.map(page(1, 0, 1, 0), to: FrameNumber(12), size: .size4KiB, flags: [.user], tableFrames: &source)
        #expect(space.tableFrameCount == 5)
        #expect(try space.unmap(page(1, 0, 0, 0), size: .size4KiB, tableFrames: &source) == FrameNumber(10))
        #expect(space.tableFrameCount == 5)  // PT still holds page 1
        #expect(try space.unmap(page(1, 0, 0, 1), size: .size4KiB, tableFrames: &source) == FrameNumber(11))
        #expect(space.tableFrameCount == 4)  // that PT freed; PD keeps the other PT
        #expect(space.checkInvariants(ledger: source) == nil)
        #expect(try space.unmap(page(1, 0, 1, 0), size: .size4KiB, tableFrames: &source) == FrameNumber(12))
        #expect(space.tableFrameCount == 1 && source.outstanding == [space.root])  // PT, PD, PDPT freed
        #expect(ram.rawEntry(space.root, 1) == 0)
        #expect(source.badFrees.isEmpty && space.mapped4KiBCount == 0)
        #expect(space.checkInvariants(ledger: source) == nil)
    }

    @Test func protectChangesFlagsKeepsFrameAndHardwareBits() throws {
        var (ram, source, space) = try makeSpace()
        let target = page(3, 1, 1, 1)
        try space.map(target, to: FrameNumber(77), size: .size4KiB, flags: [.user, .writable], tableFrames: &source)
        // Simulate the CPU setting accessed and dirty.
        let pt = space.tablePath(to: target)[.pt]!
        ram.setRawEntry(pt, 1, ram.rawEntry(pt, 1) | 0x60)
        let old = try space.protect(target, size: .size4KiB, flags: [.user, .noExecute])
        #expect(old == [.present, .user, .writable, .accessed, .dirty])
        #expect(ram.rawEntry(pt, 1) == (1 as UInt64) << 63 | (77 << 12) | 0x60 | 0b101)
        #expect(space.translate(target)?.flags == [.present, .user, .noExecute, .accessed, .dirty])
        #expect(space.checkInvariants(ledger: source) == nil)
    }

    @Test func protectOfA2MiBPageKeepsThePSBit() throws {
        var (ram, source, space) = try makeSpace()
        try space.map(page(1, 0, 4, 0), to: FrameNumber(0x800), size: .size2MiB, flags: [.user], tableFrames: &source)
        try space.protect(page(1, 0, 4, 0), size: .size2MiB, flags: [.user, .writable])
        let pd = space.tablePath(to: page(1, 0, 4, 0))[.pd]!
        #expect(ram.rawEntry(pd, 4) == (0x800 << 12) | 0x80 | 0b111)
    }

    @Test func alreadyMappedCoversEveryOverlap() throws {
        var (_, source, space) = try makeSpace()
        try space.map(page(1, 0, 0, 5), to: FrameNumber(1), size: .size4KiB, flags: [], tableFrames: &source)
        try space.map(page(1, 0, 1, 0), to: FrameNumber(512), size: .size2MiB, flags: [], tableFrames: &source)
        let before = source.allocationCount
        // Same page twice.
        #expect(throws: PageTableError.alreadyMapped) {
            try space.map(page(1, 0, 0, 5), to: FrameNumber(2), size: .size4KiB, flags: [], tableFrames: &source)
        }
        // 2 MiB over a region holding a 4 KiB page.
        #expect(throws: PageTableError.alreadyMapped) {
            try space.map(page(1, 0, 0, 0), to: FrameNumber(0), size: .size2MiB, flags: [], tableFrames: &source)
        }
        // 4 KiB inside an existing 2 MiB page (first and last 4 KiB of it).
        #expect(throws: PageTableError.alreadyMapped) {
            try space.map(page(1, 0, 1, 0), to: FrameNumber(2), size: .size4KiB, flags: [], tableFrames: &source)
        }
        #expect(throws: PageTableError.alreadyMapped) {
            try space.map(page(1, 0, 1, 511), to: FrameNumber(2), size: .size4KiB, flags: [], tableFrames: &source)
        }
        // Same 2 MiB page twice.
        #expect(throws: PageTableError.alreadyMapped) {
            try space.map(page(1, 0, 1, 0), to: FrameNumber(1024), size: .size2MiB, flags: [], tableFrames: &source)
        }
        #expect(source.allocationCount == before)
        #expect(space.translate(page(1, 0, 0, 5))?.frame == FrameNumber(1))
        #expect(space.checkInvariants(ledger: source) == nil)
    }

    @Test func notMappedAndPageSizeMismatch() throws {
        var (_, source, space) = try makeSpace()
        try space.map(page(1, 0, 0, 5), to: FrameNumber(1), size: .size4KiB, flags: [], tableFrames: &source)
        try space.map(page(1, 0, 1, 0), to: FrameNumber(512), size: .size2MiB, flags: [], tableFrames: &source)
        #expect(throws: PageTableError.notMapped) { try space.unmap(page(1, 0, 0, 6), size: .size4KiB, tableFrames: &source) }
        #expect(throws: PageTableError.notMapped) { try space.unmap(page(2, 0, 0, 0), size: .size4KiB, tableFrames: &source) }
        #expect(throws: PageTableError.notMapped) { try space.unmap(page(1, 0, 2, 0), size: .size2MiB, tableFrames: &source) }
        #expect(throws: PageTableError.pageSizeMismatch) {
            try space.unmap(page(1, 0, 1, 3), size: .size4KiB, tableFrames: &source)
        }
        #expect(throws: PageTableError.pageSizeMismatch) {
            try space.unmap(page(1, 0, 0, 0), size: .size2MiB, tableFrames: &source)
        }
        #expect(throws: PageTableError.notMapped) { try space.protect(page(1, 0, 0, 6), size: .size4KiB, flags: []) }
        #expect(throws: PageTableError.pageSizeMismatch) { try space.protect(page(1, 0, 1, 3), size: .size4KiB, flags: []) }
        #expect(throws: PageTableError.pageSizeMismatch) { try space.protect(page(1, 0, 0, 0), size: .size2MiB, flags: []) }
        #expect(space.mapped4KiBCount == 1 && space.mapped2MiBCount == 1 && space.tableFrameCount == 4)
        #expect(space.checkInvariants(ledger: source) == nil)
    }

    @Test func argumentErrorsChangeNothing() throws {
        var (_, source, space) = try makeSpace()
        let good = page(1, 0, 0, 0)
        func mapError(_ page: VirtualAddress, _ frame: FrameNumber, _ size: PageSize, _ flags: PageFlags) -> PageTableError? {
            error { try space.map(page, to: frame, size: size, flags: flags, tableFrames: &source) }
        }
        #expect(mapError(VirtualAddress(0x0000_8000_0000_0000), FrameNumber(1), .size4KiB, []) == .nonCanonical)
        #expect(mapError(VirtualAddress(0xFFFF_7FFF_FFFF_F000), FrameNumber(1), .size4KiB, []) == .nonCanonical)
        #expect(mapError(VirtualAddress(0x1000), FrameNumber(1), .size4KiB, []) == .outsideAddressSpace)  // kernel slot 0
        #expect(mapError(UserSpace.end, FrameNumber(1), .size4KiB, []) == .outsideAddressSpace)  // guard slot 255
        #expect(mapError(VirtualAddress(0xFFFF_8000_0000_0000), FrameNumber(1), .size4KiB, []) == .outsideAddressSpace)
        #expect(mapError(VirtualAddress(good.raw + 8), FrameNumber(1), .size4KiB, []) == .misaligned)
        #expect(mapError(page(1, 0, 0, 1), FrameNumber(512), .size2MiB, []) == .misaligned)
        #expect(mapError(good, FrameNumber(513), .size2MiB, []) == .misaligned)
        #expect(mapError(good, FrameNumber(1 << 40), .size4KiB, []) == .frameOutOfRange)
        #expect(mapError(good, FrameNumber(UInt64.max), .size4KiB, []) == .frameOutOfRange)
        #expect(mapError(good, FrameNumber(1), .size4KiB, PageFlags(rawValue: 1 << 7)) == .invalidFlags)  // PS/PAT
        #expect(mapError(good, FrameNumber(1), .size4KiB, PageFlags(rawValue: 1 << 52)) == .invalidFlags)
        #expect(mapError(good, FrameNumber(1), .size4KiB, [.user, .global]) == .invalidFlags)
        #expect(throws: PageTableError.misaligned) {
            try space.unmap(VirtualAddress(good.raw + 1), size: .size4KiB, tableFrames: &source)
        }
        #expect(throws: PageTableError.invalidFlags) { try space.protect(good, size: .size4KiB, flags: [.user, .global]) }
        #expect(source.allocationCount == 1 && space.tableFrameCount == 1)
        #expect(space.checkInvariants(ledger: source) == nil)
        // A global supervisor page in user space is allowed (e.g. a kernel stub page).
        #expect(mapError(good, FrameNumber(1), .size4KiB, [.global]) == nil)
    }

    @Test func outOfTableFramesRollsBackEveryNewTable() throws {
        var (ram, source, space) = try makeSpace()
        try space.map(page(1, 0, 0, 0), to: FrameNumber(1), size: .size4KiB, flags: [], tableFrames: &source)
        let snapshot = (0 ..< 512).map { ram.rawEntry(space.root, $0) }
        for limit in 1 ... 3 {  // a new slot needs PDPT, PD and PT: fail after 0, 1 and 2 of them
            source.outstandingLimit = source.outstanding.count + limit - 1
            #expect(throws: PageTableError.outOfTableFrames) {
                try space.map(page(2, 0, 0, 0), to: FrameNumber(1), size: .size4KiB, flags: [], tableFrames: &source)
            }
            #expect(space.tableFrameCount == 4 && source.outstanding.count == 4 && source.badFrees.isEmpty)
            #expect((0 ..< 512).map { ram.rawEntry(space.root, $0) } == snapshot)
            #expect(space.checkInvariants(ledger: source) == nil)
        }
        // Same slot, new PD and PT under an existing PDPT.
        source.outstandingLimit = source.outstanding.count + 1
        #expect(throws: PageTableError.outOfTableFrames) {
            try space.map(page(1, 1, 0, 0), to: FrameNumber(1), size: .size4KiB, flags: [], tableFrames: &source)
        }
        #expect(space.tableFrameCount == 4 && space.checkInvariants(ledger: source) == nil)
        // Enough for a 2 MiB page there (PD only).
        try space.map(page(1, 1, 0, 0), to: FrameNumber(0), size: .size2MiB, flags: [], tableFrames: &source)
        #expect(space.tableFrameCount == 5 && space.checkInvariants(ledger: source) == nil)
    }

    @Test func kernelSpaceRefusesUserPagesAndOwnsSlotZero() throws {
        var (_, source, space) = try makeSpace(kind: .kernel)
        #expect(throws: PageTableError.invalidFlags) {
            try space.map(
                VirtualAddress(0x20_0000), to: FrameNumber(0x200), size: .size2MiB, flags: [.user], tableFrames: &source)
        }
        try space.map(
            VirtualAddress(0x20_0000), to: FrameNumber(0x200), size: .size2MiB, flags: [.writable, .global], tableFrames: &source)
        #expect(space.translate(VirtualAddress(0x20_0123))?.physical == PhysicalAddress(0x20_0123))
        #expect(throws: PageTableError.nonCanonical) {
            try space.map(VirtualAddress(1 << 47), to: FrameNumber(0), size: .size4KiB, flags: [], tableFrames: &source)
        }
        #expect(throws: PageTableError.outsideAddressSpace) {
            try space.map(
                VirtualAddress(0xFFFF_8000_0000_0000), to: FrameNumber(0), size: .size4KiB, flags: [], tableFrames: &source)
        }
        #expect(space.checkInvariants(ledger: source) == nil)
    }
}
