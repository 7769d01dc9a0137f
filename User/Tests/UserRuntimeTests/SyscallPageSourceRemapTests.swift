// SyscallPageSource's remap: a growth that must move is placed in the window (place() granules
// for the new size, remap fixed there), EEXIST skipped as for map, the old granules released; a
// growth the window has room for stays in place; the old unhinted move when the window cannot serve.
// The fake kernel runs the kernel's own fixed remap (and copies the moved bytes to keep its
// identity mapping; FakeKernel.swift), so the bytes are checked too.
import MemoryCore
import Testing
import UserMalloc
@testable import UserSyscalls

extension FakeKernelSuite.SyscallPageSourceTests {
    static func fill(_ pointer: UnsafeMutableRawPointer, byteCount: Int, seed: UInt8) {
        for offset in stride(from: 0, to: byteCount, by: 4096) {
            pointer.storeBytes(of: seed &+ UInt8(truncatingIfNeeded: offset >> 12), toByteOffset: offset, as: UInt8.self)
        }
    }

    static func holds(_ pointer: UnsafeMutableRawPointer, byteCount: Int, seed: UInt8) -> Bool {
        stride(from: 0, to: byteCount, by: 4096).allSatisfy {
            pointer.load(fromByteOffset: $0, as: UInt8.self) == seed &+ UInt8(truncatingIfNeeded: $0 >> 12)
        }
    }

    static func address(_ pointer: UnsafeMutableRawPointer) -> UInt64 { UInt64(UInt(bitPattern: pointer)) }

    @Test func growthThatMustMovePlacesTheBlockInTheWindow() throws {
        let other = try Syscall.map(length: 4096, protection: .readWrite)  // moves the window into the arena
        var source = SyscallPageSource()
        let granule = 64 << 10
        // Granule 0 is `other`'s (EEXIST: marked used), the pad takes 1, the block 2-5, the blocker 6.
        let pad = try Self.some(source.mapPages(byteCount: granule, alignment: granule))
        var block = try Self.some(source.mapPages(byteCount: 4 * granule, alignment: granule))
        let blocker = try Self.some(source.mapPages(byteCount: granule, alignment: granule))
        #expect(Self.address(block) == other.raw + UInt64(2 * granule))
        #expect(Self.address(blocker) == other.raw + UInt64(6 * granule))
        Self.fill(block, byteCount: 4 * granule, seed: 0x51)
        // Blocked by the span after it: moved by a fixed remap to the window's lowest room for 16 granules.
        let before = fakeKernel.calls.count
        let old = block
        block = try Self.some(source.remapPages(block, oldByteCount: 4 * granule, newByteCount: 16 * granule, alignment: granule))
        #expect(Self.address(block) == other.raw + UInt64(7 * granule), "the first 16 free granules after the blocker")
        #expect(fakeKernel.calls.count - before == 1, "one remap, fixed")
        #expect(
            fakeKernel.calls.last!.arguments[3] & RemapFlags.fixedBit != 0
                && fakeKernel.calls.last!.arguments[4] == Self.address(block))
        #expect(Self.holds(block, byteCount: 4 * granule, seed: 0x51))
        #expect(source.fixedMoves == 1 && source.windowGranules == 3 + 16 && source.windowIsConsistent, "0, the pad, the blocker")
        #expect(source.bytesMapped == UInt64(18 * granule))
        let bitmapPage = (UInt64(source.windowBase) + Self.windowBytes, 4096)
        #expect(
            fakeKernel.mappedPagesAre([
                (other.raw, 4096), bitmapPage, (Self.address(pad), granule), (Self.address(blocker), granule),
                (Self.address(block), 16 * granule),
            ]))
        // The room it left is reused first.
        let span = try Self.some(source.mapPages(byteCount: granule, alignment: granule))
        #expect(span == old)
        // Room after it (the window's top is free): growth in place, no move.
        let grown = try Self.some(
            source.remapPages(block, oldByteCount: 16 * granule, newByteCount: 20 * granule, alignment: granule))
        #expect(grown == block && source.fixedMoves == 1 && source.windowGranules == 4 + 20 && source.windowIsConsistent)
        #expect(Self.holds(block, byteCount: 4 * granule, seed: 0x51))
        for (pointer, bytes) in [(pad, granule), (span, granule), (blocker, granule), (grown, 20 * granule)] {
            source.unmapPages(pointer, byteCount: bytes)
        }
        #expect(source.bytesMapped == 0 && source.windowBase == 0 && source.kernelRefusals == 0)
        #expect(fakeKernel.mappedPagesAre([(other.raw, 4096)]) && fakeKernel.checkInvariants() == nil)
    }

    @Test func growthSkipsPlacesTakenByOthersAndFallsBackOutsideTheWindow() throws {
        let other = try Syscall.map(length: 4096, protection: .readWrite)
        var source = SyscallPageSource()
        let granule = 64 << 10
        let block = try Self.some(source.mapPages(byteCount: granule, alignment: granule))
        let blocker = try Self.some(source.mapPages(byteCount: granule, alignment: granule))
        // The program's own hinted map where the growth would go: EEXIST, the next place.
        let theirs = try Syscall.map(
            hint: VirtualAddress(other.raw + UInt64(3 * granule)), length: 4096, protection: .readWrite)
        Self.fill(block, byteCount: granule, seed: 7)
        let moved = try Self.some(source.remapPages(block, oldByteCount: granule, newByteCount: 2 * granule, alignment: granule))
        #expect(Self.address(moved) == other.raw + UInt64(5 * granule), "3-4 refused (theirs is in granule 3), then 5-6")
        #expect(source.hintsRefused == 2 && source.fixedMoves == 1 && source.windowIsConsistent, "granule 0, then 3")
        #expect(Self.holds(moved, byteCount: granule, seed: 7))
        source.unmapPages(moved, byteCount: 2 * granule)
        source.unmapPages(blocker, byteCount: granule)
        try Syscall.unmap(address: theirs, length: 4096)
        try Syscall.unmap(address: other, length: 4096)
        // A fresh fake: the window lies below the host memory it backs, every place there is
        // refused (ENOMEM, not EEXIST): the old unhinted remap (which the fake does in place).
        fakeKernel = FakeKernel()
        var outside = SyscallPageSource()
        let lone = try Self.some(outside.mapPages(byteCount: granule, alignment: granule))
        Self.fill(lone, byteCount: granule, seed: 9)
        let misses = outside.windowMisses
        let grown = try Self.some(outside.remapPages(lone, oldByteCount: granule, newByteCount: 3 * granule, alignment: granule))
        #expect(grown == lone && outside.windowMisses == misses + 1 && outside.fixedMoves == 0)
        #expect(outside.windowGranules == 0 && outside.windowIsConsistent && outside.bytesMapped == UInt64(3 * granule))
        #expect(Self.holds(grown, byteCount: granule, seed: 9) && fakeKernel.checkInvariants() == nil)
        outside.unmapPages(grown, byteCount: 3 * granule)
        #expect(fakeKernel.mappedPageCount == 0 && outside.kernelRefusals == 0)
    }

    /// A realloc-growth pattern (one block grown step by step past other spans) stays in the window
    /// and the heap's granule map stays one page.
    @Test func reallocGrowthKeepsTheGranuleMapOnePage() throws {
        _ = try Syscall.map(length: 4096, protection: .readWrite)
        var heap = UserHeap(source: SyscallPageSource(), secret: 0x5EED) { _ in }
        var block = try Self.some(heap.allocate(byteCount: 200 << 10))
        var spans: [UnsafeMutableRawPointer] = []
        var size = 200 << 10
        for step in 0 ..< 12 {
            block.storeBytes(of: UInt64(step), as: UInt64.self)
            spans.append(try Self.some(heap.allocate(byteCount: 100 << 10)))  // something mapped after it
            size += 300 << 10
            block = try Self.some(heap.reallocate(block, byteCount: size))
            #expect(block.load(as: UInt64.self) == UInt64(step))
            #expect(heap.source.windowContains(block) && heap.source.windowIsConsistent)
        }
        #expect(heap.source.fixedMoves > 0 && heap.source.windowMisses == 0)
        #expect(heap.statistics.directoryBytes == 4096 && heap.checkInvariants() == nil)
        for span in spans { heap.free(span) }
        heap.free(block)
        heap.trim()
        #expect(heap.source.bytesMapped == 0 && heap.source.kernelRefusals == 0 && fakeKernel.checkInvariants() == nil)
    }
}
