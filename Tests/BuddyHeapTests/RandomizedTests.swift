// A seeded random sequence of 1 000 000 operations against a reference model: mixed sizes
// (small, medium, up to the largest block, and large), mixed alignments, a byte pattern in every
// live block checked before each free, cheap checks after every operation, checkInvariants()
// every 256 operations, occasional invalid frees, bursts of frees that empty arenas, and at the
// end: everything freed, the heap fully coalesced, and every arena back at the source.

#if canImport(Glibc)
import Glibc
#endif
import Testing
import MemoryCore
import TestSupport
@testable import BuddyHeap

/// One live allocation in the reference model.
struct ModelBlock {
    var pointer: UnsafeMutableRawPointer
    var byteCount: Int
    var alignment: Int
    var pattern: UInt8
}

/// The reference model: slots of live allocations and the totals the heap must agree with.
struct HeapModel {
    var slots: [ModelBlock?]
    var liveCount = 0
    var liveBlockBytes = 0
    var liveLargeBytes = 0

    init(slotCount: Int) { slots = Array(repeating: nil, count: slotCount) }
}

/// Fills the block with its pattern byte (TestSupport's `fill`).
func paint(_ block: ModelBlock) { fill(block.pointer, block.byteCount, with: block.pattern) }

/// True when every byte still holds the pattern (TestSupport's `holds`).
func patternIntact(_ block: ModelBlock) -> Bool { holds(block.pointer, block.byteCount, block.pattern) }

@Suite struct RandomizedTests {
    static let operations = 1_000_000
    static let fullCheckInterval = 256

    func randomRequest(_ generator: inout SeededGenerator, largest: Int) -> (byteCount: Int, alignment: Int) {
        let roll = generator.next() % 1000
        let byteCount: Int
        switch roll {
        case 0 ..< 550: byteCount = Int(generator.next() % 129)  // 0 ... 128
        case 550 ..< 850: byteCount = 129 + Int(generator.next() % 896)  // ... 1024
        case 850 ..< 990: byteCount = 1025 + Int(generator.next() % UInt64(largest - 1024))
        default: byteCount = largest + 1 + Int(generator.next() % UInt64(3 * largest))  // large
        }
        let alignmentRoll = generator.next() % 100
        let alignment: Int
        switch alignmentRoll {
        case 0 ..< 70: alignment = 16
        case 70 ..< 80: alignment = 1 << Int(generator.next() % 4)  // 1 ... 8
        default: alignment = 1 << Int(generator.next() % UInt64(largest.trailingZeroBitCount + 1))
        }
        return (byteCount, alignment)
    }

    @Test func millionOperationsAgainstAReferenceModel() {
        let arenaShift = 14  // 16 KiB arenas, largest block 8 KiB: growth and release happen often
        var heap = makeHeap(arenaShift: arenaShift, cachedOrderLimit: BlockOrder(6), cacheCapacity: 16, retained: 1)
        let largest = heap.largestBlockBytes
        var generator = SeededGenerator(seed: 0x5EED_B0DD)
        var model = HeapModel(slotCount: 384)
        var serial: UInt64 = 0
        var failures = 0

        for step in 0 ..< Self.operations {
            // Every 100 000 operations, free 90 % of the live blocks in a burst so arenas empty out.
            let burst = step % 100_000 >= 99_000
            let slot = Int(generator.next() % UInt64(model.slots.count))
            if let block = model.slots[slot] {
                if !patternIntact(block) {
                    failures += 1
                    Issue.record("pattern damaged at step \(step)")
                    break
                }
                let expectedSize = heap.blockByteCount(of: block.pointer)
                if generator.next() % 512 == 0 {
                    // A free of an interior or misaligned pointer is refused and changes nothing.
                    let offset = expectedSize.map { $0 > 16 ? 16 : 1 } ?? 1
                    let error = freeError(&heap, block.pointer + offset)
                    if offset == 16 {
                        #expect(error == .interiorPointer(address(block.pointer + 16), blockStart: address(block.pointer)))
                    } else {
                        #expect(
                            error == .misalignedPointer(address(block.pointer + 1))
                                || error == .interiorPointer(address(block.pointer + 1), blockStart: address(block.pointer)))
                    }
                }
                if let error = freeError(&heap, block.pointer) {
                    Issue.record("free failed at step \(step): \(error)")
                    failures += 1
                    break
                }
                model.slots[slot] = nil
                model.liveCount -= 1
                if block.byteCount > largest {
                    model.liveLargeBytes -= expectedSize ?? 0
                } else {
                    model.liveBlockBytes -= expectedSize ?? 0
                }
                if generator.next() % 256 == 0 {
                    // A double free: the block is now free, cached, merged into a free block, or
                    // gone with its arena.
                    let error = freeError(&heap, block.pointer)
                    let a = address(block.pointer)
                    #expect(error == .doubleFree(a) || error == .neverAllocated(a) || error == .foreignPointer(a))
                }
            } else if !burst {
                let request = randomRequest(&generator, largest: largest)
                guard let pointer = heap.allocate(byteCount: request.byteCount, alignment: request.alignment) else {
                    Issue.record("allocation failed at step \(step)")
                    failures += 1
                    break
                }
                let granted = heap.blockByteCount(of: pointer) ?? -1
                if UInt(bitPattern: pointer) % UInt(request.alignment) != 0 || granted < request.byteCount {
                    Issue.record("bad block at step \(step): \(pointer) size \(granted) for \(request)")
                    failures += 1
                    break
                }
                serial += 1
                let block = ModelBlock(
                    pointer: pointer, byteCount: request.byteCount, alignment: request.alignment,
                    pattern: UInt8(truncatingIfNeeded: serial % 251 + 1))
                paint(block)
                model.slots[slot] = block
                model.liveCount += 1
                if request.byteCount > largest { model.liveLargeBytes += granted } else { model.liveBlockBytes += granted }
            }
            // Cheap check every operation: the heap's totals equal the model's.
            let statistics = heap.core.counters
            if statistics.allocations - statistics.frees != model.liveCount || statistics.liveBlockBytes != model.liveBlockBytes
                || statistics.liveLargeBytes != model.liveLargeBytes
            {
                Issue.record("accounting differs from the model at step \(step)")
                failures += 1
                break
            }
            if step % Self.fullCheckInterval == 0, let violation = heap.checkInvariants() {
                Issue.record("step \(step): \(violation)")
                failures += 1
                break
            }
            if step % 250_000 == 0 && step > 0 { heap.coalesce() }
        }
        #expect(failures == 0)
        // The sequence really exercised what it claims to.
        #expect(heap.statistics.allocations + heap.statistics.frees + heap.statistics.invalidFrees >= Self.operations * 9 / 10)
        #expect(heap.statistics.invalidFrees > 1000)
        #expect(heap.statistics.liveLargeBytes > 0 || heap.statistics.peakLiveBytes > 0)

        // Free everything, checking patterns; the heap must end fully coalesced with every held
        // arena whole, and after trim() the source must have everything back.
        for slot in model.slots.indices {
            guard let block = model.slots[slot] else { continue }
            #expect(patternIntact(block))
            mustFree(&heap, block.pointer)
        }
        let statistics = heap.statistics
        #expect(statistics.liveAllocations == 0 && statistics.liveBlockBytes == 0 && statistics.liveLargeBytes == 0)
        #expect(statistics.arenasHeld <= 1)
        heap.coalesce()
        #expect(heap.isFullyCoalesced)
        expectValid(heap)
        #expect(freeCounts(heap) == wholeArenaFreeCounts(arenaShift: arenaShift, arenas: heap.statistics.arenasHeld))
        #expect(heap.statistics.arenasAcquired > 10 && heap.statistics.arenasReleased > 10)
        #expect(heap.statistics.splits > 0 && heap.statistics.merges > 0)
        heap.trim()
        expectValid(heap)
        #expect(heap.statistics.arenasHeld == 0)
        #expect(heap.source.ledger.outstanding.isEmpty)
        #expect(heap.source.ledger.badReleases == 0)
        #expect(heap.statistics.arenasAcquired == heap.source.ledger.arenasHandedOut)
        #expect(heap.statistics.arenasReleased == heap.source.ledger.arenasTakenBack)
    }
}
