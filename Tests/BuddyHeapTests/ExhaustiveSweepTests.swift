// Exhaustive small cases: on a 1 KiB arena (free region [48, 1024), largest block 512 B), every
// triple of block orders is allocated and freed in every order, with and without the cache;
// invariants hold after every step and the arena ends whole (or returned).

import Testing
import MemoryCore
@testable import BuddyHeap
import TestSupport

@Suite struct ExhaustiveSweepTests {
    static let permutations = [[0, 1, 2], [0, 2, 1], [1, 0, 2], [1, 2, 0], [2, 0, 1], [2, 1, 0]]

    @Test(arguments: [nil, BlockOrder(2)])
    func everyTripleOfOrdersInEveryFreeOrder(cachedOrderLimit: BlockOrder?) {
        var heap = makeHeap(arenaShift: 10, cachedOrderLimit: cachedOrderLimit, cacheCapacity: 2)
        let largest = heap.largestBlockBytes
        #expect(largest == 512)
        var sequences = 0
        for a in 0 ... 5 {
            for b in 0 ... 5 {
                for c in 0 ... 5 {
                    let sizes = [16 << a, 16 << b, 16 << c]
                    for order in Self.permutations {
                        var blocks: [UnsafeMutableRawPointer] = []
                        for size in sizes {
                            blocks.append(mustAllocate(&heap, size))
                            if let violation = heap.checkInvariants() {
                                Issue.record("\(sizes) alloc: \(violation)")
                                return
                            }
                        }
                        for index in order {
                            mustFree(&heap, blocks[index])
                            if let violation = heap.checkInvariants() {
                                Issue.record("\(sizes) \(order): \(violation)")
                                return
                            }
                        }
                        heap.coalesce()
                        #expect(heap.statistics.liveBlockBytes == 0)
                        #expect(freeCounts(heap) == wholeArenaFreeCounts(arenaShift: 10, arenas: heap.statistics.arenasHeld))
                        sequences += 1
                    }
                }
            }
        }
        #expect(sequences == 216 * 6)
        heap.trim()
        #expect(heap.source.ledger.outstanding.isEmpty)
        #expect(heap.source.ledger.badReleases == 0)
    }
}
