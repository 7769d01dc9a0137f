// SyscallPageSource: aligned mappings in one map call (the alignment in map's options), exact
// accounting, nothing left behind on failure; placement lowest first in the window (exact hints,
// EEXIST skipped), the unhinted map when the window cannot serve.
//
// The fake kernel backs only [mapAreaStart, +64 GiB): in a fresh fake the window (the GiB below
// the first, 1 GiB-aligned, unhinted page) lies below that, every hint there is refused ENOMEM and
// the source falls back to the unhinted map; a page mapped first moves the window into the arena.
import MemoryCore
import Testing
import UserMalloc
@testable import UserSyscalls

extension FakeKernelSuite {
    @Suite("SyscallPageSource over the fake kernel")
    struct SyscallPageSourceTests {
        init() { fakeKernel = FakeKernel() }

        static let windowBytes = UInt64(GranuleReservation.byteCount)

        /// A mapping the test needs (mutating calls cannot sit inside #require).
        static func some(_ pointer: UnsafeMutableRawPointer?) throws -> UnsafeMutableRawPointer { try #require(pointer) }

        @Test(arguments: [4096, 64 << 10, 256 << 10, 1 << 20], [0, 1, 3, 15])
        func alignedMappingLeavesExactlyTheAlignedRange(alignment: Int, misalignedPages: Int) throws {
            fakeKernel = FakeKernel()
            var premapped: [(UInt64, Int)] = []
            if misalignedPages > 0 {
                let address = try Syscall.map(length: UInt64(misalignedPages * 4096), protection: .readWrite)
                premapped.append((address.raw, misalignedPages * 4096))
            }
            var source = SyscallPageSource()
            for byteCount in [64 << 10, 256 << 10, 4096] {
                let mappedPointer = source.mapPages(byteCount: byteCount, alignment: alignment)
                let pointer = try #require(mappedPointer)
                let bitmapPage = (UInt64(source.windowBase) + Self.windowBytes, 4096)
                let address = UInt64(UInt(bitPattern: pointer))
                #expect(address % UInt64(alignment) == 0)
                #expect(fakeKernel.mappedPagesAre(premapped + [bitmapPage, (address, byteCount)]))
                #expect(source.bytesMapped == UInt64(byteCount))
                pointer.storeBytes(of: 0xABCD, toByteOffset: byteCount - 8, as: UInt64.self)
                source.unmapPages(pointer, byteCount: byteCount)
                // Nothing held: the window closed and its page went back.
                #expect(fakeKernel.mappedPagesAre(premapped))
                #expect(source.bytesMapped == 0 && source.windowBase == 0 && source.windowGranules == 0)
            }
            #expect(source.kernelRefusals == 0 && fakeKernel.checkInvariants() == nil)
        }

        /// mapPagesForUse (the heap's spans and regions) sets map's populate option; mapPages does
        /// not (pages come on first touch). Both pass the alignment, and a mapping of each is whole.
        @Test func mappingsForUseArePopulatedOthersAreNot() throws {
            var source = SyscallPageSource()
            let span = 64 << 10
            for forUse in [true, false] {
                let before = fakeKernel.calls.count
                let mapped =
                    forUse
                    ? source.mapPagesForUse(byteCount: span, alignment: span) : source.mapPages(byteCount: span, alignment: span)
                let pointer = try Self.some(mapped)
                let maps = fakeKernel.calls[before...].filter { $0.number == SyscallNumber.map.rawValue }
                let options = try #require(maps.last).arguments[3]
                #expect((options & MapOptions.populateBit != 0) == forUse)
                #expect(options & MapOptions.alignmentField == 16 << MapOptions.alignmentShiftPosition)
                #expect(UInt(bitPattern: pointer) % UInt(span) == 0 && source.bytesMapped == UInt64(span))
                source.unmapPages(pointer, byteCount: span)
            }
            #expect(source.kernelRefusals == 0 && fakeKernel.checkInvariants() == nil)
        }

        @Test func windowPlacesLowestFirstAndSkipsRangesTakenByOthers() throws {
            let other = try Syscall.map(length: 4096, protection: .readWrite)  // the window's granule 0
            var source = SyscallPageSource()
            let span = 64 << 10
            let first = try Self.some(source.mapPages(byteCount: span, alignment: span))
            #expect(UInt64(source.windowBase) == other.raw, "the window is the GiB below the bitmap page")
            #expect(UInt64(UInt(bitPattern: first)) == other.raw + UInt64(span), "granule 0 refused: EEXIST")
            #expect(source.hintsRefused == 1 && source.windowMisses == 0)
            var spans = [first]
            for _ in 0 ..< 3 {
                let before = fakeKernel.calls.count
                spans.append(try Self.some(source.mapPages(byteCount: span, alignment: span)))
                #expect(fakeKernel.calls.count - before == 1, "one hinted map")
            }
            for (index, pointer) in spans.enumerated() {
                #expect(UInt64(UInt(bitPattern: pointer)) == other.raw + UInt64((index + 1) * span))
            }
            // Released room is reused, lowest first; a region aligned to 256 KiB skips to its boundary.
            source.unmapPages(spans[1], byteCount: span)
            let again = try Self.some(source.mapPages(byteCount: span, alignment: span))
            #expect(again == spans[1])
            let region = try Self.some(source.mapPages(byteCount: 256 << 10, alignment: 256 << 10))
            // Granule 4 is used: the next 256 KiB boundary.
            #expect(UInt64(UInt(bitPattern: region)) == other.raw + UInt64(512 << 10))
            #expect(source.windowGranules == 1 + 4 + 4 && source.windowIsConsistent)
            #expect(source.bytesMapped == UInt64(4 * span + (256 << 10)))
            // Churn: mapping and unmapping over and over stays at the same place (the hole at granule 5).
            for _ in 0 ..< 200 {
                let pointer = try Self.some(source.mapPages(byteCount: span, alignment: span))
                #expect(UInt64(UInt(bitPattern: pointer)) == other.raw + UInt64(5 * span))
                source.unmapPages(pointer, byteCount: span)
            }
            #expect(source.windowGranules == 9 && source.windowIsConsistent && source.kernelRefusals == 0)
            #expect(fakeKernel.checkInvariants() == nil)
        }

        @Test func growthAndShrinkKeepTheGranulesExact() throws {
            _ = try Syscall.map(length: 4096, protection: .readWrite)
            var source = SyscallPageSource()
            let block = try Self.some(source.mapPages(byteCount: 256 << 10, alignment: 64 << 10))
            let granules = source.windowGranules
            let shrunk = try Self.some(
                source.remapPages(block, oldByteCount: 256 << 10, newByteCount: 64 << 10, alignment: 64 << 10))
            #expect(shrunk == block && source.windowGranules == granules - 3 && source.windowIsConsistent)
            let grown = try Self.some(
                source.remapPages(block, oldByteCount: 64 << 10, newByteCount: 200 << 10, alignment: 64 << 10))
            #expect(grown == block && source.windowGranules == granules && source.windowIsConsistent)
            #expect(source.bytesMapped == 200 << 10)
            source.unmapPages(grown, byteCount: 200 << 10)
            #expect(source.windowGranules == 0 && source.bytesMapped == 0 && source.windowBase == 0)
            #expect(fakeKernel.mappedPageCount == 1, "the page mapped first only")
        }

        @Test func outOfMemoryReturnsNilAndMapsNothing() throws {
            var source = SyscallPageSource()
            let opened = try Self.some(source.mapPages(byteCount: 64 << 10, alignment: 64 << 10))  // opens the window
            source.unmapPages(opened, byteCount: 64 << 10)
            #expect(source.windowBase == 0, "nothing held: the window closed")
            let held = try Self.some(source.mapPages(byteCount: 64 << 10, alignment: 64 << 10))  // opens it again
            fakeKernel.forcedResult = -12  // the window's hinted map (an ENOMEM gives its granules back)
            fakeKernel.failNextMap = -12  // and the unhinted fallback
            #expect(source.mapPages(byteCount: 64 << 10, alignment: 64 << 10) == nil)
            #expect(fakeKernel.mappedPageCount == 1 + 16, "the window's page and the held mapping only")
            source.unmapPages(held, byteCount: 64 << 10)
            #expect(fakeKernel.mappedPageCount == 0)
            #expect(source.bytesMapped == 0 && source.windowGranules == 0 && source.windowIsConsistent)
        }

        @Test func refusedUnmapsAreCounted() throws {
            var source = SyscallPageSource()
            fakeKernel.failUnmaps = -22
            let mappedPointer = source.mapPages(byteCount: 64 << 10, alignment: 64 << 10)
            let pointer = try #require(mappedPointer)
            #expect(UInt(bitPattern: pointer) % (64 << 10) == 0)
            #expect(source.kernelRefusals == 0, "an aligned map needs no trimming unmap")
            source.unmapPages(pointer, byteCount: 64 << 10)
            #expect(source.kernelRefusals == 2, "the mapping's unmap, then the closing window's page")
        }
    }
}
