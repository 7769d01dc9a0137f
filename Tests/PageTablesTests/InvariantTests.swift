import MemoryCore
import Testing
@testable import PageTables
import TestSupport

// checkInvariants must catch each kind of corruption, report it as a value, and leave no audit
// mark behind (a stale mark would itself be reported as a double reference by the next audit).
@Suite struct InvariantTests {
    /// Root -> PDPT -> PD -> {PT with page (1,0,0,0), 2 MiB leaf at (1,0,1,0)}.
    func populated() throws -> (SimulatedRAM, RecordingFrameSource, TestSpace, path: TablePath) {
        var (ram, source, space) = try makeSpace()
        try space.map(page(1, 0, 0, 0), to: FrameNumber(3), size: .size4KiB, flags: [.user], tableFrames: &source)
        try space.map(page(1, 0, 1, 0), to: FrameNumber(512), size: .size2MiB, flags: [.user], tableFrames: &source)
        #expect(space.checkInvariants(ledger: source) == nil)
        return (ram, source, space, space.tablePath(to: page(1, 0, 0, 0)))
    }

    func expectNoMarks(_ ram: SimulatedRAM, _ source: RecordingFrameSource) {
        for frame in source.outstanding { #expect(ram.rawEntry(frame, 0) & PageTableEntry.auditMark == 0) }
    }

    /// Applies `corrupt`, expects `expected`, restores the entry, expects a clean audit again.
    /// `expected` gets the tables and the corrupted entry.
    func expectViolation(
        _ expected: (TablePath, PageTableEntry) -> PageTableInvariantViolation, table: KeyPath<TablePath, FrameNumber?>,
        index: Int,
        _ corrupt: (UInt64) -> UInt64
    ) throws {
        let (ram, source, space, path) = try populated()
        let frame = path[keyPath: table]!
        let original = ram.rawEntry(frame, index)
        ram.setRawEntry(frame, index, corrupt(original))
        #expect(space.checkInvariants(ledger: source) == expected(path, PageTableEntry(rawValue: corrupt(original))))
        expectNoMarks(ram, source)
        ram.setRawEntry(frame, index, original)
        #expect(space.checkInvariants(ledger: source) == nil)
    }

    @Test func reservedAndSoftwareBits() throws {
        let leafAt = page(1, 0, 0, 0)
        for bit: UInt64 in [7, 9, 10, 52, 53, 58, 62] {  // PAT, software bits, protection keys
            try expectViolation({ _, entry in .reservedBitsSet(at: leafAt, level: .pt, entry: entry) }, table: \.[.pt], index: 0)
            { $0 | 1 << bit }
        }
        for bit: UInt64 in [11, 12, 13, 20] {  // a software bit, then PAT and reserved bits of a 2 MiB leaf
            try expectViolation(
                { _, entry in .reservedBitsSet(at: page(1, 0, 1, 0), level: .pd, entry: entry) }, table: \.[.pd], index: 1
            ) { $0 | 1 << bit }
        }
        // Bit 11 in a table's entry 0 is the audit mark: left over, it reads as a second reference.
        try expectViolation(
            { path, _ in .tableReferencedTwice(at: page(1, 0, 0, 0), level: .pd, frame: path[.pt]!) },
            table: \.[.pt], index: 0
        ) { $0 | 1 << 11 }
        // Software bits of an intermediate entry other than its child count.
        for bit: UInt64 in [9, 62] {
            try expectViolation(
                { _, entry in .reservedBitsSet(at: page(1, 0, 0, 0), level: .pdpt, entry: entry) }, table: \.[.pdpt], index: 0
            ) { $0 | 1 << bit }
        }
        // A not-present entry that is not all-zero.
        try expectViolation(
            { _, _ in .reservedBitsSet(at: page(1, 0, 0, 9), level: .pt, entry: PageTableEntry(rawValue: 0xDEAD_0000)) },
            table: \.[.pt], index: 9
        ) { _ in 0xDEAD_0000 }
    }

    @Test func childCounts() throws {
        let (ram, _, space, path) = try populated()
        // Bit-exact: PML4E and PDPTE count 1 child, the PDE of the PT counts its 1 page, and the PD
        // (4 KiB-page PT at entry 0, 2 MiB leaf at entry 1) is counted as 2 in its PDPTE.
        #expect(PageTableEntry(rawValue: ram.rawEntry(space.root, 1)).childCount == 1)
        #expect(ram.rawEntry(path[.pdpt]!, 0) == path[.pd]!.startAddress.raw | 2 << 52 | 0b111)
        #expect(ram.rawEntry(path[.pd]!, 0) == path[.pt]!.startAddress.raw | 1 << 52 | 0b111)
        try expectViolation(
            { _, _ in .childCountMismatch(at: page(1, 0, 0, 0), level: .pt, recorded: 2, counted: 1) },
            table: \.[.pd], index: 0
        ) { $0 + (1 << 52) }
        try expectViolation(
            { _, _ in .childCountMismatch(at: page(1, 0, 0, 0), level: .pd, recorded: 0, counted: 2) },
            table: \.[.pdpt], index: 0
        ) { $0 & ~PageTableEntry.childCountMask }
    }

    @Test func intermediateFlags() throws {
        try expectViolation(
            { _, entry in .wrongIntermediateFlags(at: page(1, 0, 0, 0), level: .pd, entry: entry) },
            table: \.[.pd], index: 0
        ) { $0 & ~0b100 }
        try expectViolation(
            { _, entry in .wrongIntermediateFlags(at: page(1, 0, 0, 0), level: .pml4, entry: entry) },
            table: \.[.pml4], index: 1
        ) { $0 | 1 << 63 }
        try expectViolation(
            { _, entry in .wrongIntermediateFlags(at: page(1, 0, 0, 0), level: .pml4, entry: entry) },
            table: \.[.pml4], index: 1
        ) { $0 | 1 << 8 }
        try expectViolation(
            { _, entry in .unsupportedHugePage(at: page(1, 0, 0, 0), level: .pdpt, entry: entry) },
            table: \.[.pdpt], index: 0
        ) { $0 | 0x80 }
        // The CPU may set accessed on intermediates: allowed.
        let (ram, source, space, path) = try populated()
        ram.setRawEntry(path[.pdpt]!, 0, ram.rawEntry(path[.pdpt]!, 0) | 0x20)
        #expect(space.checkInvariants(ledger: source) == nil)
    }

    @Test func forbiddenLeafFlags() throws {
        try expectViolation(
            { _, entry in .forbiddenLeafFlags(at: page(1, 0, 0, 0), level: .pt, entry: entry) },
            table: \.[.pt], index: 0
        ) { $0 | 0x100 }
    }

    @Test func foreignTable() throws {
        // An intermediate entry naming a frame the source never handed out (but inside RAM).
        let (ram0, _, _, _) = try populated()
        let foreign = FrameNumber(ram0.firstFrame.raw + 200)
        try expectViolation(
            { _, _ in .tableNotFromSource(at: page(1, 0, 0, 0), level: .pd, frame: foreign) },
            table: \.[.pd], index: 0
        ) { ($0 & ~PageTableEntry.addressMask) | foreign.startAddress.raw }
    }

    @Test func duplicateReferenceIsFoundAndMarksCleared() throws {
        let (ram, source, space, path) = try populated()
        let pd = path[.pd]!
        let original = ram.rawEntry(pd, 1)
        ram.setRawEntry(pd, 1, ram.rawEntry(pd, 0))
        #expect(
            space.checkInvariants(ledger: source) == .tableReferencedTwice(at: page(1, 0, 1, 0), level: .pd, frame: path[.pt]!))
        expectNoMarks(ram, source)
        // An owned slot pointing back at the root (a cycle).
        ram.setRawEntry(pd, 1, original)
        ram.setRawEntry(space.root, 9, PageTableEntry.table(space.root, flags: [.writable, .user]).rawValue)
        #expect(
            space.checkInvariants(ledger: source) == .tableReferencedTwice(at: page(9, 0, 0, 0), level: .pml4, frame: space.root))
        expectNoMarks(ram, source)
        ram.setRawEntry(space.root, 9, 0)
        #expect(space.checkInvariants(ledger: source) == nil)
    }

    @Test func emptyTableAndCounts() throws {
        var (ram, source, space, path) = try populated()
        ram.setRawEntry(path[.pt]!, 0, 0)  // leaf cleared behind the space's back: PT left empty
        #expect(space.checkInvariants(ledger: source) == .emptyTable(at: page(1, 0, 0, 0), level: .pt, frame: path[.pt]!))
        ram.setRawEntry(path[.pt]!, 0, (3 << 12) | 0b101)
        space.tableFrameCount += 1
        #expect(space.checkInvariants(ledger: source) == .tableCountMismatch(counted: 4, recorded: 5))
        space.tableFrameCount -= 1
        space.mapped4KiBCount += 2
        #expect(space.checkInvariants(ledger: source) == .leafCountMismatch(size: .size4KiB, counted: 1, recorded: 3))
        space.mapped4KiBCount -= 2
        space.mapped2MiBCount = 0
        #expect(space.checkInvariants(ledger: source) == .leafCountMismatch(size: .size2MiB, counted: 1, recorded: 0))
        space.mapped2MiBCount = 1
        let leaked = source.allocateTableFrame()!
        #expect(space.checkInvariants(ledger: source) == .sourceCountMismatch(outstanding: 5, recorded: 4))
        source.freeTableFrame(leaked)
        #expect(space.checkInvariants(ledger: source) == nil)
        expectNoMarks(ram, source)
    }

    @Test func rootMustComeFromTheSource() throws {
        let (_, source, space, _) = try populated()
        var other = source
        other.freeTableFrame(space.root)
        #expect(space.checkInvariants(ledger: other) == .tableNotFromSource(at: UserSpace.start, level: .pml4, frame: space.root))
    }
}
