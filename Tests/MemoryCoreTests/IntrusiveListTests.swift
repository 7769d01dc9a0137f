// IntrusiveList: unit tests of each operation and of the checker's findings, and seeded random
// operation sequences against an Array model (invariants and contents compared after every op),
// for both the stack (head only) and the queue (head and tail).

import Testing
import TestSupport
import MemoryCore

/// A node in a host buffer: 32 bytes each, links at +8 (so a wrong offset would show).
struct TestNode: IntrusiveListNode, Equatable {
    let nodeAddress: UInt
    init(nodeAddress: UInt) { self.nodeAddress = nodeAddress }
    static var linkOffset: Int { 8 }
}

/// `count` nodes in one allocation, released at the end of `body`.
func withNodes<R>(_ count: Int, _ body: ([TestNode]) throws -> R) rethrows -> R {
    let stride = 32
    let buffer = UnsafeMutableRawPointer.allocate(byteCount: count * stride, alignment: 16)
    buffer.initializeMemory(as: UInt8.self, repeating: 0xA5, count: count * stride)
    defer { buffer.deallocate() }
    let base = UInt(bitPattern: buffer)
    return try body((0 ..< count).map { TestNode(nodeAddress: base + UInt($0 * stride)) })
}

/// Writes one link word of `node` (to break a list on purpose).
func overwriteLink(of node: TestNode, word: Int, with value: UInt) {
    UnsafeMutableRawPointer(bitPattern: node.nodeAddress + UInt(TestNode.linkOffset + 8 * word))!
        .storeBytes(of: value, as: UInt.self)
}

@Suite struct IntrusiveListTests {
    @Test func stackPushPopRemove() {
        withNodes(4) { n in
            var list = IntrusiveStack<TestNode>()
            #expect(list.isEmpty && list.first == nil && list.popFirst() == nil)
            for node in n { list.pushFront(node) }
            #expect(Array(list) == [n[3], n[2], n[1], n[0]])
            #expect(list.checkInvariants(limit: 4) == .success(4))
            #expect(list.next(after: n[3]) == n[2] && list.previous(before: n[3]) == nil)
            #expect(list.previous(before: n[0]) == n[1] && list.next(after: n[0]) == nil)
            #expect(list.remove(n[1]) == false)  // middle
            #expect(list.remove(n[3]) == false)  // head
            #expect(list.remove(n[0]) == false)  // end
            #expect(Array(list) == [n[2]])
            #expect(list.remove(n[2]) == true)  // last one: now empty
            #expect(list.isEmpty && list.checkInvariants(limit: 0) == .success(0))
            list.pushFront(n[1])
            #expect(list.popFirst() == n[1] && list.isEmpty)
        }
    }

    @Test func queueAppendsAtTheBackAndTakesFromTheFront() {
        withNodes(4) { n in
            var queue = IntrusiveQueue<TestNode>()
            #expect(queue.last == nil)
            queue.append(n[0])
            queue.append(n[1])
            queue.pushFront(n[2])
            queue.append(n[3])
            #expect(Array(queue) == [n[2], n[0], n[1], n[3]] && queue.first == n[2] && queue.last == n[3])
            #expect(queue.checkInvariants(limit: 4) == .success(4))
            queue.remove(n[3])
            #expect(queue.last == n[1])
            #expect(queue.popFirst() == n[2] && queue.popFirst() == n[0] && queue.popFirst() == n[1])
            #expect(queue.isEmpty && queue.last == nil && queue.checkInvariants(limit: 0) == .success(0))
        }
    }

    @Test func theListValueIsMovableAndCopyable() {
        withNodes(3) { n in
            var list = IntrusiveStack<TestNode>()
            for node in n { list.pushFront(node) }
            let moved = [list][0]  // a copy elsewhere names the same nodes
            #expect(Array(moved) == Array(list) && moved.checkInvariants(limit: 3) == .success(3))
        }
    }

    @Test func checkerFindsEachKindOfDamage() {
        withNodes(4) { n in
            var list = IntrusiveQueue<TestNode>()
            for node in n { list.append(node) }
            // A wrong back link.
            overwriteLink(of: n[2], word: 1, with: n[0].nodeAddress)
            #expect(
                list.checkInvariants(limit: 4) == .failure(.previousLinkWrong(node: n[2].nodeAddress, expected: n[1].nodeAddress))
            )
            overwriteLink(of: n[2], word: 1, with: n[1].nodeAddress)
            #expect(list.checkInvariants(limit: 4) == .success(4))
            // A cycle: the walk stops at the limit.
            overwriteLink(of: n[3], word: 0, with: n[0].nodeAddress)
            #expect(list.checkInvariants(limit: 4) == .failure(.tooLong(limit: 4)))
            overwriteLink(of: n[3], word: 0, with: 0)
            // The owner's limit is exceeded (a count that is too low).
            #expect(list.checkInvariants(limit: 3) == .failure(.tooLong(limit: 3)))
            // A link the owner does not accept is reported before it is read.
            #expect(list.checkInvariants(limit: 4, isNode: { $0 != n[2] }) == .failure(.foreignNode(node: n[2].nodeAddress)))
            // A forward link that skips a node: the back walk does not retrace it.
            overwriteLink(of: n[1], word: 0, with: n[3].nodeAddress)
            #expect(
                list.checkInvariants(limit: 4) == .failure(.previousLinkWrong(node: n[3].nodeAddress, expected: n[1].nodeAddress))
            )
            overwriteLink(of: n[1], word: 0, with: n[2].nodeAddress)
            // The tail names the wrong node.
            list.remove(n[3])
            overwriteLink(of: n[2], word: 0, with: n[3].nodeAddress)
            overwriteLink(of: n[3], word: 1, with: n[2].nodeAddress)
            overwriteLink(of: n[3], word: 0, with: 0)
            #expect(list.checkInvariants(limit: 4) == .failure(.tailWrong(recorded: n[2].nodeAddress, walked: n[3].nodeAddress)))
        }
    }

    /// Random pushFront / append / popFirst / remove against an Array, checked after every op.
    @Test(arguments: [1, 2, 3, 4])
    func randomOperationsMatchAnArray(seed: UInt64) {
        var rng = SeededGenerator(seed: seed)
        withNodes(64) { n in
            var stack = IntrusiveStack<TestNode>()
            var queue = IntrusiveQueue<TestNode>()
            var stackModel: [TestNode] = []
            var queueModel: [TestNode] = []
            // The first half of the nodes serve the stack, the second half the queue.
            for _ in 0 ..< 4000 {
                let useQueue = rng.below(2) == 1
                let pool = useQueue ? Array(n[32...]) : Array(n[..<32])
                var model = useQueue ? queueModel : stackModel
                let unlisted = pool.filter { !model.contains($0) }
                switch rng.below(4) {
                case 0 where !unlisted.isEmpty:
                    let node = unlisted[rng.below(unlisted.count)]
                    if useQueue { queue.pushFront(node) } else { stack.pushFront(node) }
                    model.insert(node, at: 0)
                case 1 where !unlisted.isEmpty && useQueue:
                    let node = unlisted[rng.below(unlisted.count)]
                    queue.append(node)
                    model.append(node)
                case 2:
                    let popped = useQueue ? queue.popFirst() : stack.popFirst()
                    #expect(popped == model.first)
                    if !model.isEmpty { model.removeFirst() }
                case 3 where !model.isEmpty:
                    let index = rng.below(model.count)
                    let emptied = useQueue ? queue.remove(model[index]) : stack.remove(model[index])
                    model.remove(at: index)
                    #expect(emptied == model.isEmpty)
                default:
                    break
                }
                if useQueue { queueModel = model } else { stackModel = model }
                #expect(stack.checkInvariants(limit: 32) == .success(stackModel.count), "seed \(seed)")
                #expect(queue.checkInvariants(limit: 32) == .success(queueModel.count), "seed \(seed)")
                #expect(Array(stack) == stackModel && Array(queue) == queueModel, "seed \(seed)")
                #expect(queue.last == queueModel.last && stack.first == stackModel.first)
            }
        }
    }
}
