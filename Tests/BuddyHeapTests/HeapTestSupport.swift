// Shared helpers: small heaps, snapshots for "nothing changed" checks, invariant expectations.

#if canImport(Glibc)
import Glibc
#endif
import Testing
import MemoryCore
@testable import BuddyHeap
import TestSupport

typealias TestHeap = BuddyHeap<RecordingArenaSource>

/// 4 KiB arenas: node table 128 B + header 16 B carved, largest block 2 KiB (order 7).
let smallArenaShift = 12

func makeHeap(
    arenaShift: Int = smallArenaShift, cachedOrderLimit: BlockOrder? = nil, cacheCapacity: Int = 8,
    retained: Int = 1, debug: HeapDebugOptions = [], trailer: AllocationTrailer = .none
) -> TestHeap {
    let configuration = HeapConfiguration(
        arenaShift: arenaShift, cachedOrderLimit: cachedOrderLimit,
        cacheCapacityPerOrder: cacheCapacity, retainedEmptyArenas: retained,
        debugOptions: debug, trailer: trailer)
    do {
        return try TestHeap(source: RecordingArenaSource(), configuration: configuration)
    } catch {
        fatalError("test configuration refused: \(error)")
    }
}

func expectValid(_ heap: TestHeap, sourceLocation: SourceLocation = #_sourceLocation) {
    let violation = heap.checkInvariants()
    #expect(violation == nil, "invariant violated: \(String(describing: violation))", sourceLocation: sourceLocation)
}

func address(_ pointer: UnsafeMutableRawPointer) -> VirtualAddress {
    VirtualAddress(UInt64(UInt(bitPattern: pointer)))
}

/// Everything observable about a heap: its statistics and the bytes of every arena it holds.
struct HeapSnapshot: Equatable {
    var statistics: HeapStatistics
    var arenaBytes: [[UInt8]]

    init(_ heap: TestHeap) {
        var heap = heap  // `statistics` is a mutating getter (read in place, BuddyCore+Queries.swift)
        statistics = heap.statistics
        arenaBytes = heap.source.ledger.outstandingArenas.map { arena in
            Array(UnsafeRawBufferPointer(start: UnsafeRawPointer(bitPattern: arena.base), count: arena.byteCount))
        }
    }

    /// The same snapshot with `n` more invalid frees counted (the only change an error makes).
    func withInvalidFrees(_ n: Int) -> HeapSnapshot {
        var copy = self
        copy.statistics.invalidFrees += n
        return copy
    }
}

/// Offsets of the maximal blocks of [start, end): the free layout of an empty, coalesced arena.
func maximalBlockOrders(from start: Int, to end: Int) -> [Int] {
    var orders: [Int] = []
    var offset = start
    while offset < end {
        var order = 0
        while offset % (32 << order) == 0 && offset + (32 << order) <= end { order += 1 }
        orders.append(order)
        offset += 16 << order
    }
    return orders
}

/// Free-block counts per order that `arenas` empty coalesced arenas of 2^shift bytes have.
func wholeArenaFreeCounts(arenaShift: Int, arenas: Int) -> [Int] {
    let arenaBytes = 1 << arenaShift
    var counts = Array(repeating: 0, count: arenaShift - 4)
    for order in maximalBlockOrders(from: arenaBytes / 32 + 16, to: arenaBytes) { counts[order] += arenas }
    return counts
}

func freeCounts(_ heap: TestHeap) -> [Int] {
    var heap = heap  // as in HeapSnapshot.init
    let statistics = heap.statistics
    return (0 ..< statistics.freeBlocks.orderCount).map { statistics.freeBlocks[BlockOrder($0)] }
}

/// The error `free` threw, or nil when it succeeded.
func freeError(_ heap: inout TestHeap, _ pointer: UnsafeMutableRawPointer) -> HeapError? {
    do {
        try heap.free(pointer)
        return nil
    } catch {
        return error
    }
}

/// The error `allocateChecked` threw, or nil when it succeeded (the block is then freed again).
func allocationError(_ heap: inout TestHeap, byteCount: Int, alignment: Int) -> AllocationError? {
    do {
        let pointer = try heap.allocateChecked(byteCount: byteCount, alignment: alignment)
        _ = freeError(&heap, pointer)
        return nil
    } catch {
        return error
    }
}

/// Allocates or fails the test.
func mustAllocate(
    _ heap: inout TestHeap, _ byteCount: Int, alignment: Int = 16,
    sourceLocation: SourceLocation = #_sourceLocation
) -> UnsafeMutableRawPointer {
    guard let pointer = heap.allocate(byteCount: byteCount, alignment: alignment) else {
        Issue.record("allocation of \(byteCount) bytes failed", sourceLocation: sourceLocation)
        fatalError("cannot continue")
    }
    return pointer
}

/// Frees or fails the test.
func mustFree(_ heap: inout TestHeap, _ pointer: UnsafeMutableRawPointer, sourceLocation: SourceLocation = #_sourceLocation) {
    if let error = freeError(&heap, pointer) {
        Issue.record("free failed: \(error)", sourceLocation: sourceLocation)
    }
}

/// The single arena's base (tests with one arena).
func onlyArenaBase(_ heap: TestHeap) -> UnsafeMutableRawPointer {
    let arenas = heap.source.ledger.outstandingArenas
    precondition(arenas.count == 1)
    return UnsafeMutableRawPointer(bitPattern: arenas[0].base)!
}
