import Testing
import MemoryCore

// The small operators deserve their own tests: every allocator above aligns through them.
@Suite struct AlignmentTests {
    @Test func powerOfTwo() {
        #expect(!isPowerOfTwo(0))
        #expect(isPowerOfTwo(1))
        #expect(isPowerOfTwo(4096))
        #expect(!isPowerOfTwo(4097))
        #expect(isPowerOfTwo(1 << 63))
        #expect(!isPowerOfTwo(UInt64.max))
    }

    @Test func alignDownAndUp() {
        #expect(alignDown(4097, to: 4096) == 4096)
        #expect(alignDown(4096, to: 4096) == 4096)
        #expect(alignDown(4095, to: 4096) == 0)
        #expect(alignUp(4097, to: 4096) == 8192)
        #expect(alignUp(4096, to: 4096) == 4096)
        #expect(alignUp(0, to: 4096) == 0)
        #expect(alignUp(UInt64.max - 10, to: 4096) == nil)
        #expect(alignUp(UInt64.max, to: 1) == UInt64.max)
    }

    @Test func logarithms() {
        #expect(ceilLog2(1) == 0)
        #expect(ceilLog2(2) == 1)
        #expect(ceilLog2(5) == 3)
        #expect(ceilLog2(1 << 40) == 40)
        #expect(ceilLog2((1 << 40) + 1) == 41)
        #expect(floorLog2(1) == 0)
        #expect(floorLog2(5) == 2)
        #expect(floorLog2(UInt64.max) == 63)
    }

    @Test func exhaustiveSmallSweep() {
        for alignmentShift in 0 ..< 8 {
            let alignment: UInt64 = 1 << UInt64(alignmentShift)
            for value: UInt64 in 0 ..< 300 {
                let down = alignDown(value, to: alignment)
                let up = alignUp(value, to: alignment)!
                #expect(down % alignment == 0 && down <= value && value - down < alignment)
                #expect(up % alignment == 0 && up >= value && up - value < alignment)
            }
        }
    }
}

@Suite struct AddressTypeTests {
    @Test func frameAndAddressConversions() {
        let address = PhysicalAddress(0x1234_5678)
        #expect(address.containingFrame == FrameNumber(0x12345))
        #expect(address.containingFrame.startAddress == PhysicalAddress(0x1234_5000))
        #expect(!address.isFrameAligned)
        #expect(PhysicalAddress(0x2000).isFrameAligned)
        #expect(PhysicalAddress(UInt64.max).adding(1) == nil)
        #expect(FrameNumber(8).isAligned(to: 8))
        #expect(!FrameNumber(12).isAligned(to: 8))
    }

    @Test func wholeFramesTrimInwardsTouchedFramesWidenOutwards() {
        let range = PhysicalRange(start: PhysicalAddress(0x1001), end: PhysicalAddress(0x5fff))
        #expect(range.wholeFrames == FrameRange(FrameNumber(2), FrameNumber(5)))
        #expect(range.touchedFrames == FrameRange(FrameNumber(1), FrameNumber(6)))
        let tiny = PhysicalRange(start: PhysicalAddress(0x1001), end: PhysicalAddress(0x1fff))
        #expect(tiny.wholeFrames.isEmpty)
        #expect(tiny.touchedFrames.count == 1)
        #expect(PhysicalRange(base: UInt64.max, length: 2) == nil)
    }

    @Test func canonicalAddresses() {
        #expect(VirtualAddress(0x0000_7fff_ffff_f000).isCanonical)
        #expect(!VirtualAddress(0x0000_8000_0000_0000).isCanonical)
        #expect(VirtualAddress(0xffff_8000_0000_0000).isCanonical)
        #expect(!VirtualAddress(0xfff0_0000_0000_0000).isCanonical)
    }
}
