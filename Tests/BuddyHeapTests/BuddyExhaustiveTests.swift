// Exhaustive exploration of a buddy arena of 16 smallest blocks: every sequence of up to 6
// operations (allocate 16, 32, 64, 128, 256 bytes and 16 bytes aligned to 64; free every live
// block; free an interior pointer of every live block; a double free; coalesce), checked after
// every step against a model of the 16 cells: an allocation must succeed exactly when 2^k free
// cells form a naturally aligned block (the buddy guarantee, caches included: a miss drains them),
// inside the free region, disjoint from every live block; every live block keeps its bytes; a
// refused free changes nothing but the error count; checkInvariants() holds throughout.
//
// The smallest arena the heap accepts is 1 KiB (HeapConfiguration.arenaShiftRange: the node table
// and header are carved from the arena itself), i.e. 64 smallest blocks of which 61 are usable.
// To explore exactly 16, the set-up pins every block outside [256, 512): the 512-byte upper half
// and the 64-, 32-and 16-byte blocks below 256 are allocated first and stay live, so the free
// region is one order-4 block of 16 cells. The search is depth-first with state hashing: the
// arena's bytes (node table, free-list links, live blocks' patterns) plus the heap's free and
// cache lists and fast-path hints are its whole state; undo restores them.
import MemoryCore
import TestSupport
import Testing
@testable import BuddyHeap

struct BuddyExploration {
    enum Operation {
        case allocate(byteCount: Int, alignment: Int)
        case free(cell: Int)
        case interiorFree(cell: Int)
        case doubleFree(cell: Int)
        case coalesce
    }

    var heap: TestHeap
    let arena: UnsafeMutableRawPointer
    /// The free region explored: 16 cells of 16 bytes at arena offset 256.
    let region: UnsafeMutableRawPointer
    /// cells[i] = the first cell of the live block covering cell i, or nil when free.
    var cells = [Int?](repeating: nil, count: 16)
    /// Live blocks: first cell -> order.
    var live: [Int: Int] = [:]
    var explored: [[UInt8]: Int] = [:]
    var transitions = 0
    var failure: String?

    init(cachedOrderLimit: BlockOrder?) {
        heap = makeHeap(arenaShift: 10, cachedOrderLimit: cachedOrderLimit, cacheCapacity: 2, retained: 1)
        heap.source.ledger.regionLimit = 1
        for size in [512, 128, 64, 16] { _ = mustAllocate(&heap, size) }
        arena = onlyArenaBase(heap)
        region = arena + 256
    }

    static let requests: [(Int, Int)] = [(16, 16), (32, 16), (64, 16), (128, 16), (256, 16), (16, 64)]

    func operations() -> [Operation] {
        var list = Self.requests.map { Operation.allocate(byteCount: $0.0, alignment: $0.1) }
        for cell in live.keys.sorted() { list += [.free(cell: cell), .interiorFree(cell: cell)] }
        if let cell = (0 ..< 16).first(where: { cells[$0] == nil }) { list.append(.doubleFree(cell: cell)) }
        list.append(.coalesce)
        return list
    }

    /// The order a request gets: the smallest block holding byteCount at the alignment.
    static func order(byteCount: Int, alignment: Int) -> Int {
        var order = 0
        while 16 << order < max(byteCount, alignment) { order += 1 }
        return order
    }

    func fits(order: Int) -> Bool {
        stride(from: 0, to: 16, by: 1 << order).contains { start in
            (start ..< start + (1 << order)).allSatisfy { cells[$0] == nil }
        }
    }

    /// The pattern a live block at `cell` holds: a function of the state, so equal states hash equal.
    static func pattern(_ cell: Int) -> UInt8 { UInt8(0x40 + cell) }

    mutating func apply(_ operation: Operation) -> Bool {
        let errorsBefore = heap.statistics.invalidFrees
        switch operation {
        case .allocate(let byteCount, let alignment):
            let order = Self.order(byteCount: byteCount, alignment: alignment)
            let expected = fits(order: order)
            guard let pointer = heap.allocate(byteCount: byteCount, alignment: alignment) else {
                if expected { failure = "\(operation) failed although \(1 << order) aligned cells are free" }
                return failure == nil
            }
            let offset = pointer - region
            let cell = offset / 16
            guard expected, offset >= 0, offset % (16 << order) == 0, cell + (1 << order) <= 16,
                heap.blockByteCount(of: pointer) == 16 << order,
                (cell ..< cell + (1 << order)).allSatisfy({ cells[$0] == nil })
            else {
                failure = "\(operation) gave offset \(offset) (expected success: \(expected))"
                return false
            }
            for index in cell ..< cell + (1 << order) { cells[index] = cell }
            live[cell] = order
            fill(pointer, 16 << order, with: Self.pattern(cell))
        case .free(let cell):
            let order = live[cell]!
            guard holds(region + 16 * cell, 16 << order, Self.pattern(cell)) else {
                failure = "block \(cell) overwritten"
                return false
            }
            if let error = freeError(&heap, region + 16 * cell) {
                failure = "\(operation): \(error)"
                return false
            }
            for index in cell ..< cell + (1 << order) { cells[index] = nil }
            live[cell] = nil
        case .interiorFree(let cell):
            let offset = live[cell]! == 0 ? 8 : 16
            guard freeError(&heap, region + 16 * cell + offset) != nil, heap.statistics.invalidFrees == errorsBefore + 1 else {
                failure = "\(operation) accepted"
                return false
            }
        case .doubleFree(let cell):
            guard freeError(&heap, region + 16 * cell) != nil, heap.statistics.invalidFrees == errorsBefore + 1 else {
                failure = "\(operation) accepted"
                return false
            }
        case .coalesce:
            heap.coalesce()
        }
        if let violation = heap.checkInvariants() {
            failure = "\(operation): \(violation)"
            return false
        }
        for (cell, order) in live where !holds(region + 16 * cell, 16 << order, Self.pattern(cell)) {
            failure = "\(operation) damaged block \(cell)"
            return false
        }
        return true
    }

    /// The heap's whole state: arena bytes, lists and hints (not the counters, which only grow).
    func stateKey() -> [UInt8] {
        var key = Array(UnsafeRawBufferPointer(start: arena, count: 1024))
        withUnsafeBytes(of: heap.core.freeLists) { key += $0 }
        withUnsafeBytes(of: heap.core.cacheLists) { key += $0 }
        withUnsafeBytes(of: (heap.core.recentArena, heap.core.recentOrder, heap.core.recentOrderTrust)) { key += $0 }
        return key
    }

    mutating func explore(remaining: Int) {
        guard remaining > 0, failure == nil else { return }
        let key = stateKey()
        if let seen = explored[key], seen >= remaining { return }
        explored[key] = remaining
        let saved = (heap, cells, live)
        let bytes = Array(UnsafeRawBufferPointer(start: arena, count: 1024))
        for operation in operations() where failure == nil {
            transitions += 1
            guard apply(operation) else { return }
            explore(remaining: remaining - 1)
            (heap, cells, live) = saved
            bytes.withUnsafeBytes { arena.copyMemory(from: $0.baseAddress!, byteCount: 1024) }
        }
    }
}

@Suite struct BuddyExhaustiveTests {
    @Test(arguments: [nil, BlockOrder(1)])
    func everySequenceOfSixOperationsOnSixteenBlocks(cachedOrderLimit: BlockOrder?) {
        var exploration = BuddyExploration(cachedOrderLimit: cachedOrderLimit)
        // After pinning, the only free memory is one order-4 block: 16 cells of 16 bytes.
        #expect(freeCounts(exploration.heap) == [0, 0, 0, 0, 1, 0])
        exploration.explore(remaining: 6)
        #expect(exploration.failure == nil, "\(exploration.failure ?? "")")
        #expect(exploration.explored.count > 500)
        print(
            "exhaustive buddy cache=\(String(describing: cachedOrderLimit)) depth=6 states=\(exploration.explored.count) transitions=\(exploration.transitions)"
        )
        exploration.heap.source.ledger.releaseAll()
    }
}
