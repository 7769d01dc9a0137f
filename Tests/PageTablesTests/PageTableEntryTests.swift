import MemoryCore
import Testing
@testable import PageTables

// The bit layout, bit by bit: every flag's position, every mask's exact bit set, and every accessor
// against every single-bit entry (a `|` written as `&` in an address helper must fail here).
@Suite struct PageTableEntryTests {
    /// The set of bit positions in `mask`.
    func bits(_ mask: UInt64) -> Set<Int> { Set((0 ..< 64).filter { mask & (1 << UInt64($0)) != 0 }) }

    @Test func flagBitPositionsMatchTheIntelLayout() {
        #expect(PageFlags.present.rawValue == 1 << 0)
        #expect(PageFlags.writable.rawValue == 1 << 1)
        #expect(PageFlags.user.rawValue == 1 << 2)
        #expect(PageFlags.writeThrough.rawValue == 1 << 3)
        #expect(PageFlags.cacheDisable.rawValue == 1 << 4)
        #expect(PageFlags.accessed.rawValue == 1 << 5)
        #expect(PageFlags.dirty.rawValue == 1 << 6)
        #expect(PageFlags.global.rawValue == 1 << 8)
        #expect(PageFlags.noExecute.rawValue == 1 << 63)
        #expect(bits(PageFlags.defined.rawValue) == [0, 1, 2, 3, 4, 5, 6, 8, 63])
        #expect(bits(PageFlags.hardwareManaged.rawValue) == [5, 6])
    }

    @Test func masksCoverExactlyTheirBits() {
        #expect(bits(PageTableEntry.addressMask) == Set(12 ... 51))
        #expect(bits(PageTableEntry.hugePageBit) == [7])
        #expect(bits(PageTableEntry.patBit4KiB) == [7])
        #expect(bits(PageTableEntry.patBit2MiB) == [12])
        #expect(bits(PageTableEntry.reservedBits2MiB) == Set(13 ... 20))
        #expect(bits(PageTableEntry.softwareBits) == Set([9, 10, 11]).union(52 ... 62))
        #expect(bits(PageTableEntry.auditMark) == [11])
        #expect(bits(PageTableEntry.childCountMask) == Set(52 ... 61))
        #expect(PageTableEntry.childCountMask & PageTableEntry.softwareBits == PageTableEntry.childCountMask)
        #expect(PageTableEntry.frameLimit == 1 << 40)
        #expect(PageTableEntry.empty.rawValue == 0)
    }

    @Test func everySingleBitEntryDecodesToExactlyThatBit() {
        for bit in 0 ..< 64 {
            let raw: UInt64 = 1 << UInt64(bit)
            let entry = PageTableEntry(rawValue: raw)
            #expect(entry.isPresent == (bit == 0), "bit \(bit)")
            #expect(entry.isHugePage == (bit == 7), "bit \(bit)")
            let expectedFrame: UInt64 = (12 ... 51).contains(bit) ? 1 << UInt64(bit - 12) : 0
            #expect(entry.frame == FrameNumber(expectedFrame), "bit \(bit)")
            let expectedFlags: UInt64 = [0, 1, 2, 3, 4, 5, 6, 8, 63].contains(bit) ? raw : 0
            #expect(entry.flags.rawValue == expectedFlags, "bit \(bit)")
        }
    }

    @Test func tableEntryIsAddressOrFlagsOrPresent() {
        let frame = FrameNumber(0xFF_FFFF_FFFF)  // the largest frame: all of bits 12..51
        let entry = PageTableEntry.table(frame, flags: [.writable, .user])
        #expect(entry.rawValue == 0x000F_FFFF_FFFF_F000 | 0b111)
        #expect(entry.frame == frame)
        #expect(entry.isPresent && !entry.isHugePage)
        #expect(PageTableEntry.table(FrameNumber(1), flags: []).rawValue == 0x1001)
    }

    @Test func leafEntriesOfBothSizes() {
        let small = PageTableEntry.leaf(FrameNumber(0x12345), size: .size4KiB, flags: [.writable, .noExecute])
        #expect(small.rawValue == 0x8000_0000_1234_5003)
        #expect(!small.isHugePage)
        let huge = PageTableEntry.leaf(FrameNumber(0x200), size: .size2MiB, flags: [.user, .global])
        #expect(huge.rawValue == 0x0020_0000 | 0x80 | 0x100 | 0b101)
        #expect(huge.isHugePage && huge.isPresent)
        #expect(huge.frame == FrameNumber(0x200))
        #expect(huge.flags == [.present, .user, .global])
        let top = PageTableEntry.leaf(FrameNumber(0xFF_FFFF_FE00), size: .size2MiB, flags: [])
        #expect(top.rawValue == 0x000F_FFFF_FFE0_0000 | 0x81)
    }

    @Test func childCountUsesOnlyBits52To61() {
        let link = PageTableEntry.table(FrameNumber(0xFF_FFFF_FFFF), flags: [.writable, .user, .accessed])
        #expect(link.childCount == 0)
        for count in [1, 2, 255, 511, 512] {
            let counted = link.withChildCount(count)
            #expect(counted.childCount == count)
            #expect(counted.rawValue & ~PageTableEntry.childCountMask == link.rawValue)
            #expect(counted.rawValue >> 52 == UInt64(count))  // bits 62 and 63 stay clear
            #expect(counted.withChildCount(0) == link)
        }
        #expect(PageTableEntry(rawValue: 0x3FF << 52).childCount == 1023)
    }

    @Test func replacingFlagsKeepsAddressAndSize() {
        let huge = PageTableEntry.leaf(FrameNumber(0x400), size: .size2MiB, flags: [.writable, .dirty])
        let changed = huge.replacingFlags(with: [.present, .noExecute])
        #expect(changed.rawValue == 0x8000_0000_0040_0081)
        #expect(changed.frame == huge.frame)
        #expect(changed.isHugePage)
    }

    @Test func flagsIgnoreUndefinedBits() {
        let entry = PageTableEntry(rawValue: UInt64.max)
        #expect(entry.flags == PageFlags.defined)
        #expect(entry.frame == FrameNumber(0xFF_FFFF_FFFF))
    }
}

@Suite struct PageTableLevelTests {
    @Test func shiftsAndCoverage() {
        #expect(PageTableLevel.pt.indexShift == 12)
        #expect(PageTableLevel.pd.indexShift == 21)
        #expect(PageTableLevel.pdpt.indexShift == 30)
        #expect(PageTableLevel.pml4.indexShift == 39)
        #expect(PageTableLevel.pt.entryCoverage == 4 * KiB)
        #expect(PageTableLevel.pd.entryCoverage == 2 * MiB)
        #expect(PageTableLevel.pdpt.entryCoverage == 1 * GiB)
        #expect(PageTableLevel.pml4.entryCoverage == 512 * GiB)
        #expect(PageTableLevel.pml4.child == .pdpt && PageTableLevel.pdpt.child == .pd)
        #expect(PageTableLevel.pd.child == .pt && PageTableLevel.pt.child == nil)
        #expect(PageTableLevel.pt.parent == .pd && PageTableLevel.pml4.parent == nil)
        #expect(PageTableLevel.pt < .pd && PageTableLevel.pdpt < .pml4)
    }

    @Test func indicesOfEveryLevel() {
        // 0x0000_7FFF_FFFF_FFFF: every index 511, offset 0xFFF.
        let top = VirtualAddress(0x0000_7FFF_FFFF_FFFF)
        for level in PageTableLevel.allCases { #expect(level.index(of: top) == (level == .pml4 ? 255 : 511)) }
        let address = VirtualAddress((3 << 39) | (5 << 30) | (7 << 21) | (9 << 12) | 0xABC)
        #expect(PageTableLevel.pml4.index(of: address) == 3)
        #expect(PageTableLevel.pdpt.index(of: address) == 5)
        #expect(PageTableLevel.pd.index(of: address) == 7)
        #expect(PageTableLevel.pt.index(of: address) == 9)
        #expect(PageTableLevel.pml4.index(of: VirtualAddress(0xFFFF_8000_0000_0000)) == 256)
    }

    @Test func canonicalFromIndicesRoundTrips() {
        #expect(VirtualAddress.canonical(pml4: 1, pdpt: 0, pd: 0, pt: 0) == UserSpace.start)
        #expect(VirtualAddress.canonical(pml4: 255, pdpt: 0, pd: 0, pt: 0) == UserSpace.end)
        #expect(VirtualAddress.canonical(pml4: 256, pdpt: 0, pd: 0, pt: 0).raw == 0xFFFF_8000_0000_0000)
        #expect(VirtualAddress.canonical(pml4: 511, pdpt: 511, pd: 511, pt: 511).raw == 0xFFFF_FFFF_FFFF_F000)
        #expect(VirtualAddress.canonical(pml4: 2, pdpt: 3, pd: 4, pt: 5).raw == (2 << 39) | (3 << 30) | (4 << 21) | (5 << 12))
        for slot in [0, 1, 255, 256, 511] {
            let address = VirtualAddress.canonical(pml4: slot, pdpt: 511, pd: 1, pt: 2)
            #expect(address.isCanonical)
            #expect(PageTableLevel.pml4.index(of: address) == slot)
            #expect(PageTableLevel.pdpt.index(of: address) == 511)
            #expect(PageTableLevel.pd.index(of: address) == 1)
            #expect(PageTableLevel.pt.index(of: address) == 2)
        }
    }

    @Test func pageSizes() {
        #expect(PageSize.size4KiB.bytes == 4096 && PageSize.size2MiB.bytes == 2 * MiB)
        #expect(PageSize.size4KiB.frameCount == 1 && PageSize.size2MiB.frameCount == 512)
        #expect(PageSize.size4KiB.leafLevel == .pt && PageSize.size2MiB.leafLevel == .pd)
    }

    @Test func layoutConstants() {
        #expect(UserSpace.start.raw == 0x0000_0080_0000_0000)
        #expect(UserSpace.end.raw == 0x0000_7F80_0000_0000)
        #expect(UserSpace.byteCount == 254 * 512 * GiB)
        #expect(AddressSpaceKind.user.start == UserSpace.start && AddressSpaceKind.user.end == UserSpace.end)
        #expect(AddressSpaceKind.kernel.start.raw == 0 && AddressSpaceKind.kernel.end.raw == 1 << 47)
        #expect(AddressSpaceKind.user.owns(UserSpace.start) && !AddressSpaceKind.user.owns(UserSpace.end))
        #expect(!AddressSpaceKind.user.owns(VirtualAddress(UserSpace.start.raw - 1)))
        #expect(AddressSpaceKind.user.intermediateFlags == [.present, .writable, .user])
        #expect(AddressSpaceKind.kernel.intermediateFlags == [.present, .writable])
    }
}
