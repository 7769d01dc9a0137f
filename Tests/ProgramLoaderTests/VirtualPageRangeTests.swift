import MemoryCore
import PageTables
import Testing
@testable import ProgramLoader

// The small range operators get their own tests: every segment check goes through them.
@Suite struct VirtualPageRangeTests {
    func range(_ start: UInt64, _ end: UInt64) -> VirtualPageRange? {
        VirtualPageRange(start: VirtualAddress(start), end: VirtualAddress(end))
    }

    /// A range the test knows is valid.
    func valid(_ start: UInt64, _ end: UInt64) -> VirtualPageRange { range(start, end)! }

    @Test func construction() {
        #expect(range(0x1000, 0x3000)?.pageCount == 2)
        #expect(range(0x1000, 0x3000)?.byteCount == 0x2000)
        #expect(range(0x1000, 0x1000)?.isEmpty == true)
        #expect(range(0x1001, 0x3000) == nil)
        #expect(range(0x1000, 0x2FFF) == nil)
        #expect(range(0x3000, 0x1000) == nil)
        #expect(VirtualPageRange.userSpace.start == UserSpace.start && VirtualPageRange.userSpace.end == UserSpace.end)
        #expect(VirtualPageRange.userSpace.byteCount == UserSpace.byteCount)
    }

    @Test func covering() {
        let cover = { (a: UInt64, n: UInt64) in VirtualPageRange.covering(VirtualAddress(a), byteCount: n) }
        #expect(cover(0x1000, 1) == range(0x1000, 0x2000))
        #expect(cover(0x1FFF, 1) == range(0x1000, 0x2000))
        #expect(cover(0x1FFF, 2) == range(0x1000, 0x3000))
        #expect(cover(0x1000, 0x1000) == range(0x1000, 0x2000))
        #expect(cover(0x1234, 0) == range(0x1000, 0x2000))  // empty at an unaligned address: its page
        #expect(cover(0x1000, 0) == range(0x1000, 0x1000))
        #expect(cover(UInt64.max - 0xFFF, 0x1000) == nil)  // end 2^64 itself does not fit
        #expect(cover(UInt64.max - 0x1FFF, 0x1000) == range(UInt64.max - 0x1FFF, UInt64.max - 0xFFF))
        #expect(cover(UInt64.max - 0x1FFF, 0x1001) == nil)  // rounding up passes 2^64
        #expect(cover(UInt64.max, 1) == nil)
    }

    @Test func containsAndOverlaps() throws {
        let a = valid(0x2000, 0x5000)
        #expect(a.contains(VirtualAddress(0x2000)) && a.contains(VirtualAddress(0x4FFF)))
        #expect(!a.contains(VirtualAddress(0x1FFF)) && !a.contains(VirtualAddress(0x5000)))
        #expect(a.contains(valid(0x2000, 0x5000)) && a.contains(valid(0x3000, 0x4000)))
        #expect(!a.contains(valid(0x1000, 0x3000)) && !a.contains(valid(0x4000, 0x6000)))
        #expect(a.overlaps(valid(0x4000, 0x6000)) && a.overlaps(valid(0x1000, 0x3000)))
        #expect(a.overlaps(valid(0x3000, 0x4000)) && a.overlaps(valid(0, 0x10000)))
        #expect(!a.overlaps(valid(0x5000, 0x6000)) && !a.overlaps(valid(0x1000, 0x2000)))
        #expect(!a.overlaps(valid(0x3000, 0x3000)))  // empty ranges overlap nothing
    }

    @Test func permissionsToPageFlags() {
        #expect(SegmentPermissions.readable.pageFlags == [.present, .user, .noExecute])
        #expect(SegmentPermissions([.readable, .writable]).pageFlags == [.present, .user, .writable, .noExecute])
        #expect(SegmentPermissions([.readable, .executable]).pageFlags == [.present, .user])
        #expect(SegmentPermissions.defined.rawValue == 7)
        #expect(
            SegmentPermissions.executable.rawValue == 1 && SegmentPermissions.writable.rawValue == 2
                && SegmentPermissions.readable.rawValue == 4)
    }
}
