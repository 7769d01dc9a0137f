// UserHeap<SyscallPageSource> against the fake kernel: a seeded random malloc/free/realloc/calloc
// trace checked against a reference model of live blocks; after every step the kernel's mapped
// bytes equal the heap's held bytes and the page source's count; the whole heap is walked every
// 250 steps; at the end every page goes back to the kernel.
import MemoryCore
import Testing
import UserMalloc
@testable import UserSyscalls

/// The project's one SplitMix64 (MemoryCore).
typealias TestGenerator = SplitMix64

final class ErrorCount: @unchecked Sendable { var count = 0 }

struct LiveBlock {
    var pointer: UnsafeMutableRawPointer
    var size: Int
    var tag: UInt8
}

extension FakeKernelSuite {
    @Suite("UserHeap over SyscallPageSource")
    struct HeapOverSyscallsTests {
        init() { fakeKernel = FakeKernel() }

        static func size(_ random: inout TestGenerator) -> Int {
            switch random.below(100) {
            case 0 ..< 80: 1 + random.below(4096)
            case 80 ..< 97: 4097 + random.below(128 << 10 - 4096)
            default: (128 << 10) + 1 + random.below(1 << 20)
            }
        }

        static func fill(_ block: LiveBlock) {
            // The same tag at three places (they coincide in blocks under 3 bytes); tags differ per step.
            let bytes = block.pointer.assumingMemoryBound(to: UInt8.self)
            bytes[0] = block.tag
            bytes[block.size - 1] = block.tag
            bytes[block.size / 2] = block.tag
        }

        /// The three tagged bytes fill() wrote are intact.
        static func holds(_ block: LiveBlock) -> Bool {
            let bytes = block.pointer.assumingMemoryBound(to: UInt8.self)
            return bytes[0] == block.tag && bytes[block.size - 1] == block.tag && bytes[block.size / 2] == block.tag
        }

        /// `pageFirst`: a page mapped before the heap's first (the program's own), which puts the
        /// page source's window inside the fake kernel's memory (SyscallPageSourceTests): the
        /// heap's mappings are then placed there by hint; without it every hint is refused and
        /// the source maps unhinted.
        @Test(arguments: [0x5EED_0001 as UInt64, 0x5EED_0002], [true, false])
        func randomTraceMatchesTheModelAndReturnsEveryPage(seed: UInt64, pageFirst: Bool) throws {
            let otherPages = pageFirst ? 1 : 0
            if pageFirst { _ = try Syscall.map(length: 4096, protection: .readWrite) }
            let errors = ErrorCount()
            var heap = UserHeap(source: SyscallPageSource(), secret: UInt64.random(in: 0 ... UInt64.max)) { _ in errors.count += 1
            }
            var random = TestGenerator(seed: seed)
            var live: [LiveBlock] = []
            for step in 0 ..< 6000 {
                let action = random.below(10)
                if action < 5 || live.isEmpty {
                    let size = Self.size(&random)
                    let zeroed = action == 4
                    let allocated = zeroed ? heap.allocateZeroed(count: 1, byteCount: size) : heap.allocate(byteCount: size)
                    let pointer = try #require(allocated)
                    if zeroed {
                        let bytes = UnsafeRawBufferPointer(start: pointer, count: size)
                        #expect(bytes.allSatisfy { $0 == 0 }, "calloc memory is zero")
                    }
                    let block = LiveBlock(pointer: pointer, size: size, tag: UInt8(truncatingIfNeeded: step))
                    Self.fill(block)
                    live.append(block)
                } else if action < 9 {
                    let block = live.remove(at: random.below(live.count))
                    #expect(Self.holds(block))
                    heap.free(block.pointer)
                } else {
                    let index = random.below(live.count)
                    let old = live[index]
                    #expect(Self.holds(old))
                    let size = Self.size(&random)
                    let reallocated = heap.reallocate(old.pointer, byteCount: size)
                    let pointer = try #require(reallocated)
                    #expect(pointer.load(as: UInt8.self) == old.tag, "realloc keeps the first byte")
                    live[index] = LiveBlock(pointer: pointer, size: size, tag: UInt8(truncatingIfNeeded: step))
                    Self.fill(live[index])
                }
                let held = heap.statistics.heldBytes
                let own = Int(heap.source.ownBytes) + otherPages * 4096
                #expect(fakeKernel.mappedPageCount * 4096 == held + own && heap.source.bytesMapped == UInt64(held))
                if step % 250 == 0 {
                    #expect(heap.checkInvariants() == nil && heap.source.windowIsConsistent)
                    #expect(fakeKernel.checkInvariants() == nil)
                }
            }
            for block in live {
                #expect(Self.holds(block))
                heap.free(block.pointer)
            }
            #expect(heap.checkInvariants() == nil)
            heap.trim()
            #expect(heap.statistics.heldBytes == 0 && heap.statistics.liveBytes == 0)
            #expect(fakeKernel.mappedPageCount == otherPages, "every page went back to the kernel, the window's too")
            #expect(heap.source.kernelRefusals == 0 && errors.count == 0 && heap.source.windowIsConsistent)
            #expect(heap.source.windowBase == 0 && heap.source.windowGranules == 0, "the window closed")
            #expect((heap.source.windowMisses == 0) == pageFirst, "placed in the window exactly when it is in the fake's memory")
        }

        @Test func misuseIsReportedAndChangesNothing() throws {
            let errors = ErrorCount()
            var heap = UserHeap(source: SyscallPageSource(), secret: UInt64.random(in: 0 ... UInt64.max)) { _ in errors.count += 1
            }
            let first = heap.allocate(byteCount: 48), second = heap.allocate(byteCount: 48)
            let block = try #require(first)
            let neighbour = try #require(second)
            heap.free(block)
            let mapped = fakeKernel.mappedPageCount
            heap.free(block)
            heap.free(neighbour + 16)
            #expect(errors.count == 2)
            #expect(fakeKernel.mappedPageCount == mapped && heap.checkInvariants() == nil)
            heap.free(neighbour)
            heap.trim()
            #expect(fakeKernel.mappedPageCount == 0)
        }
    }
}
