// An unbalanced binary search tree of Swift class nodes, each holding a Swift array: every node
// and every array buffer is a heap allocation through posix_memalign/free -> UserHeap.
// Iterative insert and lookup; recursion only in the ARC release of the tree (depth = height).

final class TreeNode {
    let key: UInt64
    var values: [UInt64]
    var left: TreeNode?
    var right: TreeNode?

    init(key: UInt64, values: [UInt64]) {
        self.key = key
        self.values = values
    }
}

struct SearchTree {
    private(set) var root: TreeNode?
    private(set) var count = 0

    /// Inserts a node; false (and nothing changes) when the key is already present.
    mutating func insert(key: UInt64, values: [UInt64]) -> Bool {
        guard var node = root else {
            root = TreeNode(key: key, values: values)
            count = 1
            return true
        }
        while true {
            if key == node.key { return false }
            let next = key < node.key ? node.left : node.right
            if let next {
                node = next
                continue
            }
            let leaf = TreeNode(key: key, values: values)
            if key < node.key { node.left = leaf } else { node.right = leaf }
            count += 1
            return true
        }
    }

    func find(_ key: UInt64) -> TreeNode? {
        var node = root
        while let current = node {
            if key == current.key { return current }
            node = key < current.key ? current.left : current.right
        }
        return nil
    }

    /// In-order walk with an explicit stack (a Swift array, itself on the heap): the number of
    /// nodes visited, whether keys came out strictly increasing, and the height.
    func walk() -> (visited: Int, sorted: Bool, height: Int) {
        var stack: [(TreeNode, Int)] = []
        var node = root
        var depth = 1
        var visited = 0, height = 0
        var previous: UInt64? = nil
        var sorted = true
        while node != nil || !stack.isEmpty {
            while let current = node {
                stack.append((current, depth))
                height = max(height, depth)
                node = current.left
                depth += 1
            }
            let (current, currentDepth) = stack.removeLast()
            if let previous, previous >= current.key { sorted = false }
            previous = current.key
            visited += 1
            node = current.right
            depth = currentDepth + 1
        }
        return (visited, sorted, height)
    }
}
