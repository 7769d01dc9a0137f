// The index arithmetic every other part relies on, swept exhaustively over a small arena.

import Testing
import MemoryCore
@testable import BuddyHeap
import TestSupport

@Suite struct GeometryTests {
    @Test func fittingOrderCoversSizeAndAlignment() {
        #expect(BlockOrder.fitting(byteCount: 0, alignment: 1) == BlockOrder(0))
        #expect(BlockOrder.fitting(byteCount: 16, alignment: 16) == BlockOrder(0))
        #expect(BlockOrder.fitting(byteCount: 17, alignment: 1) == BlockOrder(1))
        #expect(BlockOrder.fitting(byteCount: 1, alignment: 64) == BlockOrder(2))
        #expect(BlockOrder.fitting(byteCount: 4096, alignment: 16) == BlockOrder(8))
        #expect(BlockOrder.fitting(byteCount: 4097, alignment: 16) == BlockOrder(9))
        for size in 1 ... 5000 {
            let order = BlockOrder.fitting(byteCount: size, alignment: 1)
            #expect(order.byteCount >= size && (order.raw == 0 || order.byteCount / 2 < size))
        }
    }

    @Test func nodeIndexRoundTripsForEveryNode() {
        let geometry = ArenaGeometry(arenaShift: 12)
        #expect(geometry.rootOrder == 8 && geometry.largestBlockOrder == 7)
        #expect(geometry.nodeTableBytes == 128 && geometry.reservedBytes == 144)
        var seen = Set<Int>()
        for order in 0 ... geometry.rootOrder {
            let size = UInt64(16 << order)
            var offset: UInt64 = 0
            while offset < geometry.arenaBytes {
                let node = geometry.node(offset: offset, order: order)
                #expect(geometry.offset(node: node, order: order) == offset)
                #expect(geometry.order(ofNode: node) == order)
                #expect(geometry.node(offset: offset + size - 1, order: order) == node)
                if order < geometry.rootOrder {
                    #expect(geometry.node(offset: offset ^ size, order: order) == node ^ 1)
                    #expect(geometry.node(offset: offset, order: order + 1) == node >> 1)
                }
                seen.insert(node)
                offset += size
            }
        }
        #expect(seen == Set(1 ..< 512))
    }

    @Test func maximalDecompositionTilesTheRange() {
        let geometry = ArenaGeometry(arenaShift: 12)
        for (start, end) in [(144, 4096), (0, 144), (0, 4096), (16, 48), (2048, 2064)] {
            var next = UInt64(start)
            var orders: [Int] = []
            geometry.forEachMaximalBlock(from: UInt64(start), to: UInt64(end)) { offset, order in
                #expect(offset == next)
                #expect(offset % UInt64(16 << order) == 0)
                next = offset + UInt64(16 << order)
                orders.append(order)
            }
            #expect(next == UInt64(end))
            if start != 0 { #expect(orders == maximalBlockOrders(from: start, to: end)) }
        }
        var whole: [Int] = []
        geometry.forEachMaximalBlock(from: 0, to: 4096) { _, order in whole.append(order) }
        #expect(whole == [8])
    }

    @Test func configurationProblemsAreReported() {
        #expect(HeapConfiguration(arenaShift: 9).problem == .arenaShiftOutOfRange)
        #expect(HeapConfiguration(arenaShift: 31).problem == .arenaShiftOutOfRange)
        #expect(HeapConfiguration(arenaShift: 12, cachedOrderLimit: BlockOrder(7)).problem == .cachedOrderLimitOutOfRange)
        #expect(HeapConfiguration(arenaShift: 12, cachedOrderLimit: BlockOrder(6)).problem == nil)
        #expect(HeapConfiguration(cacheCapacityPerOrder: -1).problem == .negativeCacheCapacity)
        #expect(HeapConfiguration(retainedEmptyArenas: -1).problem == .retainedEmptyArenasOutOfRange)
        #expect(HeapConfiguration.kernel.problem == nil)
        #expect(throws: HeapConfigurationError.arenaShiftOutOfRange) {
            _ = try TestHeap(source: RecordingArenaSource(), configuration: HeapConfiguration(arenaShift: 40))
        }
    }
}
