// SyscallPageSource: aligned mappings in one map call (the alignment in map's options), exact
// accounting, nothing left behind on failure.
import MemoryCore
import Testing
import UserMalloc
@testable import UserSyscalls

extension FakeKernelSuite {
    @Suite("SyscallPageSource over the fake kernel")
    struct SyscallPageSourceTests {
        init() { fakeKernel = FakeKernel() }

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
                let before = fakeKernel.calls.count
                let mappedPointer = source.mapPages(byteCount: byteCount, alignment: alignment)
                let pointer = try #require(mappedPointer)
                let address = UInt64(UInt(bitPattern: pointer))
                #expect(address % UInt64(alignment) == 0)
                #expect(fakeKernel.calls.count - before == 1, "one map with the alignment in its options")
                #expect(fakeKernel.mappedPagesAre(premapped + [(address, byteCount)]))
                #expect(source.bytesMapped == UInt64(byteCount))
                pointer.storeBytes(of: 0xABCD, toByteOffset: byteCount - 8, as: UInt64.self)
                source.unmapPages(pointer, byteCount: byteCount)
                #expect(fakeKernel.mappedPagesAre(premapped))
                #expect(source.bytesMapped == 0)
            }
            #expect(source.kernelRefusals == 0 && fakeKernel.checkInvariants() == nil)
        }

        @Test func outOfMemoryReturnsNilAndMapsNothing() {
            var source = SyscallPageSource()
            fakeKernel.failNextMap = -12
            #expect(source.mapPages(byteCount: 64 << 10, alignment: 64 << 10) == nil)
            #expect(fakeKernel.mappedPageCount == 0 && source.bytesMapped == 0)
        }

        @Test func refusedUnmapsAreCounted() throws {
            _ = try Syscall.map(length: 4096, protection: .readWrite)  // a misaligned next free page
            var source = SyscallPageSource()
            fakeKernel.failUnmaps = -22
            let mappedPointer = source.mapPages(byteCount: 64 << 10, alignment: 64 << 10)
            let pointer = try #require(mappedPointer)
            #expect(UInt(bitPattern: pointer) % (64 << 10) == 0)
            #expect(source.kernelRefusals == 0, "an aligned map needs no trimming unmap")
            source.unmapPages(pointer, byteCount: 64 << 10)
            #expect(source.kernelRefusals == 1)
        }
    }
}
