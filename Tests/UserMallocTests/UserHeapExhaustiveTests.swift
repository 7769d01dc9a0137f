// Exhaustive exploration of a user heap over a few pages: every sequence of up to 6 operations
// (malloc of 16, 1000, 5000 and 200 000 bytes: small, small with few slots per span, medium,
// large; free and realloc(p, 100) of every live block; a double free and an interior free;
// trim), on a page source that grants at most 6 pages
// (24 KiB), checked after every step: checkInvariants(), live bytes equal the model's, every live
// block aligned, big enough, disjoint from the others and holding its bytes (realloc keeps the
// prefix), a hostile free reported exactly once and changing nothing, and a malloc that returns nil
// must have been refused pages by the source (the heap never fails without asking).
//
// The search is depth-first with state hashing. A heap's state lives in its fields and in the pages
// it mapped, which hold pointers and address-mixed canaries, so each node is reached by replaying
// its operation path on a fresh heap whose page source sits at one fixed address (then equal
// states are equal bytes): the key is the mapped pages' bytes and the heap's lists and directory.
import MemoryCore
import TestSupport
import Testing
@testable import UserMalloc

struct UserHeapExploration {
    enum Operation: Hashable {
        case malloc(Int)
        case free(Int)  // index into the live list (sorted by address)
        case realloc(Int)
        case doubleFree
        case interiorFree(Int)
        case trim
    }

    struct Block {
        var pointer: UnsafeMutableRawPointer
        var size: Int
        var usable: Int
    }

    static let pageBudget = 6
    static let sizes = [16, 1000, 5000, 200_000]
    static let base: UInt = 0x5A00_0000_0000

    /// One fresh heap with its model, driven along a path.
    struct Run {
        let source = FakePageSource(bufferBytes: 1 << 20, fixedBase: UserHeapExploration.base)
        let log = ErrorLog()
        var heap: UserHeap<FakePageSource>
        var live: [Block] = []
        var lastFreed: UnsafeMutableRawPointer?

        init() {
            let log = self.log
            heap = UserHeap(source: source, secret: 0x5EC2_E7E4_4A05_0001) { log.errors.append($0) }
            source.byteLimit = UserHeapExploration.pageBudget * 4096
        }

        /// The byte every live block is filled with: a function of its address, so that equal
        /// states have equal bytes whatever path reached them.
        static func pattern(_ pointer: UnsafeMutableRawPointer) -> UInt8 {
            UInt8(truncatingIfNeeded: UInt(bitPattern: pointer) >> 4) | 1
        }

        mutating func operations() -> [Operation] {
            var list = UserHeapExploration.sizes.map(Operation.malloc)
            for index in live.indices { list += [.free(index), .realloc(index), .interiorFree(index)] }
            if lastFreed != nil { list.append(.doubleFree) }
            list.append(.trim)
            return list
        }

        /// Applies `operation`; returns a description of the first broken check, or nil.
        mutating func apply(_ operation: Operation) -> String? {
            let refusedBefore = source.refusedMaps
            switch operation {
            case .malloc(let size):
                guard let pointer = heap.allocate(byteCount: size) else {
                    return source.refusedMaps > refusedBefore ? nil : "malloc(\(size)) failed without being refused pages"
                }
                if let problem = adopt(pointer, size: size) { return problem }
            case .free(let index):
                let block = live.remove(at: index)
                guard holds(block.pointer, block.usable, Self.pattern(block.pointer)) else { return "block overwritten" }
                heap.free(block.pointer)
                lastFreed = block.pointer
            case .realloc(let index):
                let block = live[index]
                guard let moved = heap.reallocate(block.pointer, byteCount: 100) else {
                    return source.refusedMaps > refusedBefore ? nil : "realloc failed without being refused pages"
                }
                live.remove(at: index)
                guard holds(moved, min(100, block.usable), Self.pattern(block.pointer)) else { return "realloc lost the bytes" }
                if moved != block.pointer { lastFreed = block.pointer }
                if let problem = adopt(moved, size: 100) { return problem }
            case .doubleFree, .interiorFree:
                let pointer: UnsafeMutableRawPointer
                if case .interiorFree(let index) = operation { pointer = live[index].pointer + 8 } else { pointer = lastFreed! }
                if live.contains(where: { $0.pointer == pointer }) { return nil }  // reused: not hostile
                let liveBytes = heap.statistics.liveBytes
                heap.free(pointer)
                guard log.errors.count == 1, heap.statistics.liveBytes == liveBytes else { return "\(operation): \(log.errors)" }
                log.errors.removeAll()
            case .trim:
                heap.trim()
            }
            if !log.errors.isEmpty { return "\(operation) reported \(log.errors)" }
            if let violation = heap.checkInvariants() { return "\(operation): \(violation)" }
            if heap.statistics.liveBytes != live.reduce(0, { $0 + $1.usable }) { return "\(operation): live bytes" }
            for block in live where !holds(block.pointer, block.usable, Self.pattern(block.pointer)) {
                return "\(operation) damaged a block"
            }
            if !source.misuse.isEmpty { return "page source misuse \(source.misuse)" }
            return nil
        }

        mutating func adopt(_ pointer: UnsafeMutableRawPointer, size: Int) -> String? {
            let usable = heap.usableByteCount(of: pointer)
            let address = UInt(bitPattern: pointer)
            guard address % 16 == 0, usable >= size else { return "block \(address): usable \(usable) for \(size)" }
            for other in live {
                let start = UInt(bitPattern: other.pointer)
                if address < start + UInt(other.usable) && start < address + UInt(usable) {
                    return "block \(address) overlaps \(start)"
                }
            }
            fill(pointer, usable, with: Self.pattern(pointer))
            live.append(Block(pointer: pointer, size: size, usable: usable))
            live.sort { UInt(bitPattern: $0.pointer) < UInt(bitPattern: $1.pointer) }
            return nil
        }

        /// The heap's state as bytes: every mapping (address, size, contents) and the heap's lists.
        func stateKey() -> [UInt8] {
            var key: [UInt8] = []
            for (address, size) in source.mappings.sorted(by: { $0.key < $1.key }) {
                withUnsafeBytes(of: (address, size)) { key += $0 }
                key += UnsafeRawBufferPointer(start: UnsafeRawPointer(bitPattern: address), count: size)
            }
            withUnsafeBytes(of: heap.classes) { key += $0 }
            withUnsafeBytes(of: heap.classSpanBytes) { key += $0 }
            withUnsafeBytes(of: heap.directory) { key += $0 }
            withUnsafeBytes(of: heap.emptySpans) { key += $0 }
            withUnsafeBytes(of: heap.bins) { key += $0 }
            withUnsafeBytes(of: (heap.regions, heap.emptyRegionCount, heap.largeBlocks, heap.largeCache)) { key += $0 }
            withUnsafeBytes(of: lastFreed) { key += $0 }
            return key
        }
    }

    var explored: [[UInt8]: Int] = [:]
    var transitions = 0
    var failure: String?

    /// A fresh run that has replayed `path` (each step already checked when first explored).
    func replay(_ path: [Operation]) -> Run {
        var run = Run()
        for operation in path { _ = run.apply(operation) }
        return run
    }

    /// Only one Run (one fixed-address page source) may exist at a time: each is confined to a
    /// function that returns before the next is made.
    mutating func explore(path: [Operation], remaining: Int) {
        guard remaining > 0, failure == nil else { return }
        let (key, operations) = keyAndOperations(path)
        if let seen = explored[key], seen >= remaining { return }
        explored[key] = remaining
        for operation in operations where failure == nil {
            transitions += 1
            if let problem = check(path, then: operation) {
                failure = "\(path + [operation]): \(problem)"
                return
            }
            explore(path: path + [operation], remaining: remaining - 1)
        }
    }

    func keyAndOperations(_ path: [Operation]) -> ([UInt8], [Operation]) {
        var run = replay(path)
        return (run.stateKey(), run.operations())
    }

    func check(_ path: [Operation], then operation: Operation) -> String? {
        var run = replay(path)
        return run.apply(operation)
    }
}

@Suite(.serialized) struct UserHeapExhaustiveTests {
    @Test func everySequenceOfSixOperationsOverSixPages() {
        var exploration = UserHeapExploration()
        exploration.explore(path: [], remaining: 6)
        #expect(exploration.failure == nil, "\(exploration.failure ?? "")")
        #expect(exploration.explored.count > 100)
        print(
            "exhaustive userheap pages=\(UserHeapExploration.pageBudget) depth=6 states=\(exploration.explored.count) transitions=\(exploration.transitions)"
        )
    }
}
