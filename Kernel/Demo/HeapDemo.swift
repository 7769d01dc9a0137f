// The kernel heap demo: real kernel work in Swift whose every allocation goes through the buddy
// heap (watch it with LOG=trace), then a per-order table after each phase (LOG=debug).
//   1. a binary search tree of 3000 class instances: insert, query, tear down;
//   2. arrays of mixed sizes (16 B to 64 KiB) and an array grown by appending (reallocation);
//   3. kmalloc at every alignment up to 4 MiB, and one 6 MiB request above the largest block
//      (served by contiguous frames directly);
//   4. a deliberate double free and a foreign pointer through kfree: logged, survived.
// Ends with the heap's live bytes back where they started; arenas are handed back at shutdown.
import MemoryCore
import KernelLog
import BuddyHeap
import SlabHeap

enum HeapDemo {
    /// The errors phase 4 provokes on purpose (the summary reports them as expected).
    static let deliberateErrors = 2

    static func run() -> Bool {
        let liveBefore = KernelHeap.statistics.liveBlockBytes
        var passed = searchTree()
        HeapReport.orders(after: "tree")
        passed = arrays() && passed
        HeapReport.orders(after: "arrays")
        passed = alignedAllocations() && passed
        HeapReport.orders(after: "kmalloc")
        passed = mistakes() && passed
        let liveAfter = KernelHeap.statistics.liveBlockBytes
        log.line(liveAfter == liveBefore ? .info : .error, "demo", "heap-done")
            .dec("live_before", UInt64(liveBefore)).dec("live_after", UInt64(liveAfter)).end()
        return passed && liveAfter == liveBefore
    }

    // MARK: 1. objects

    private static func searchTree() -> Bool {
        let tree = SearchTree()
        var key: UInt64 = 12345
        for _ in 0 ..< 3000 {
            key = key &* 6364136223846793005 &+ 1442695040888963407  // LCG: a shuffled key order
            tree.insert(key >> 40)
        }
        let count = tree.count
        let depth = tree.depth
        let ordered = tree.isOrdered
        let allocations = KernelHeap.statistics.liveAllocations
        log.line(ordered ? .info : .error, "demo", "tree").dec("nodes", UInt64(count)).dec("depth", UInt64(depth))
            .text("in_order", ordered ? "yes" : "NO").dec("heap_live_allocations", UInt64(allocations)).end()
        return ordered && count > 2900
    }

    // MARK: 2. arrays

    private static func arrays() -> Bool {
        var sizes: [Int] = []
        var size = 16
        while size <= 64 * 1024 {
            sizes.append(size)
            sizes.append(size * 3 / 2)
            size *= 2
        }
        var buffers: [[UInt8]] = []
        for (index, size) in sizes.enumerated() {
            buffers.append([UInt8](repeating: UInt8(truncatingIfNeeded: index), count: size))
        }
        var intact = true
        for (index, buffer) in buffers.enumerated()
        where buffer.first != UInt8(truncatingIfNeeded: index) || buffer.last != UInt8(truncatingIfNeeded: index) {
            intact = false
        }
        var grown: [UInt64] = []
        for value in 0 ..< 20_000 { grown.append(UInt64(value) * 3) }
        let sum = grown.reduce(0, &+)
        let summaryText = "arrays=\(buffers.count) grown=\(grown.count)"
        let correct = intact && sum == 3 * 19_999 * 20_000 / 2 && summaryText.utf8.count > 10
        log.line(correct ? .info : .error, "demo", "arrays").dec("buffers", UInt64(buffers.count))
            .size("largest", UInt64(sizes.last!)).dec("appended", UInt64(grown.count))
            .text("contents", correct ? "intact" : "CORRUPT").end()
        return correct
    }

    // MARK: 3. kmalloc

    private static func alignedAllocations() -> Bool {
        var passed = true
        var alignment = 16
        let largest = KernelHeap.largestBlockBytes
        while alignment <= largest {
            guard let pointer = kmalloc(100, alignment) else {
                log.line(.error, "demo", "kmalloc").dec("align", alignment).text("result", "FAILED").end()
                return false
            }
            passed = passed && UInt(bitPattern: pointer) % UInt(alignment) == 0
            kfree(pointer)
            alignment *= 2
        }
        let bigSize = 6 * Int(MiB)
        guard let big = kmalloc(bigSize, 4096) else {
            log.line(.warn, "demo", "kmalloc-large").size("size", UInt64(bigSize)).text("result", "no-memory").end()
            return passed
        }
        big.initializeMemory(as: UInt8.self, repeating: 0x5A, count: bigSize)
        let held = KernelHeap.blockByteCount(of: big) ?? 0
        kfree(big)
        log.line(passed ? .info : .error, "demo", "kmalloc").size("max_alignment", UInt64(largest))
            .size("large_request", UInt64(bigSize)).size("large_held", UInt64(held)).text("aligned", passed ? "yes" : "NO").end()
        return passed && held >= bigSize
    }

    // MARK: 4. mistakes

    private static func mistakes() -> Bool {
        let errorsBefore = KernelHeap.statistics.errorsDetected
        guard let pointer = kmalloc(64, 16) else { return false }
        kfree(pointer)
        kfree(pointer)  // double free: reported, nothing changes
        var onStack: UInt64 = 0
        withUnsafeMutablePointer(to: &onStack) { kfree(UnsafeMutableRawPointer($0)) }  // foreign
        let detected = KernelHeap.statistics.errorsDetected - errorsBefore
        log.line(detected == deliberateErrors ? .info : .error, "demo", "bad-frees")
            .dec("deliberate", UInt64(deliberateErrors)).dec("detected", UInt64(detected)).text("policy", "log-and-continue")
            .end()
        return detected == deliberateErrors
    }
}

/// An unbalanced binary search tree of class instances: each node is one heap allocation.
final class SearchTree {
    final class Node {
        let key: UInt64
        var left: Node? = nil
        var right: Node? = nil
        init(_ key: UInt64) { self.key = key }
    }

    private var root: Node? = nil
    private(set) var count = 0

    func insert(_ key: UInt64) {
        guard var node = root else {
            root = Node(key)
            count = 1
            return
        }
        while true {
            if key == node.key { return }
            if key < node.key {
                guard let next = node.left else {
                    node.left = Node(key)
                    count += 1
                    return
                }
                node = next
            } else {
                guard let next = node.right else {
                    node.right = Node(key)
                    count += 1
                    return
                }
                node = next
            }
        }
    }

    var depth: Int { Self.depth(root) }
    private static func depth(_ node: Node?) -> Int {
        guard let node else { return 0 }
        return 1 + max(depth(node.left), depth(node.right))
    }

    /// In-order traversal yields strictly increasing keys.
    var isOrdered: Bool {
        var previous: UInt64? = nil
        var ordered = true
        Self.walk(root) { key in
            if let previous, previous >= key { ordered = false }
            previous = key
        }
        return ordered
    }
    private static func walk(_ node: Node?, _ visit: (UInt64) -> Void) {
        guard let node else { return }
        walk(node.left, visit)
        visit(node.key)
        walk(node.right, visit)
    }
}
