// malloc_demo: Swift data structures on UserHeap. Builds a binary search tree of 6000 class nodes
// (each with an array) and a Dictionary of 5000 arrays, queries both, prints the heap's
// statistics and memstat, frees everything and checks the heap gave every page back.
// Exit codes: 0 ok; 1 tree wrong; 2 dictionary wrong; 3 heap inconsistent; 4 live bytes left
// after freeing; 5 pages kept after trim; 6 memstat not back to the start.
// Expected: exit=0.
import KernelLog
import UserMalloc

@_cdecl("user_main")
func userMain() -> Int32 {
    guard let baseline = try? Syscall.memstat() else { return 6 }
    let built = buildAndQuery()
    guard built == 0 else { return built }
    ProgramHeap.report("malloc_demo")
    guard ProgramHeap.heap.statistics.liveBytes == 0 else { return 4 }
    ProgramHeap.heap.trim()
    ProgramHeap.report("malloc_demo")
    guard ProgramHeap.heap.statistics.heldBytes == 0, ProgramHeap.sourceAgrees else { return 5 }
    // Committed, not resident: the stack pages the run touched stay resident (demand paging).
    guard let after = try? Syscall.memstat(), after.committedPages == baseline.committedPages else { return 6 }
    reportMemstat("malloc_demo")
    Console.line("malloc_demo").word("ok").end()
    return 0
}

/// Everything allocated here is released when it returns.
func buildAndQuery() -> Int32 {
    var random = SplitMix64(seed: 0xDE30)
    var tree = SearchTree()
    var keys: [UInt64] = []
    while tree.count < 6000 {
        let key = random.next() % 1_000_000_007
        if tree.insert(key: key, values: valuesFor(key)) { keys.append(key) }
    }
    for key in keys {
        guard let node = tree.find(key), node.values == valuesFor(key) else { return 1 }
    }
    let walk = tree.walk()
    guard walk.visited == 6000, walk.sorted else { return 1 }
    Console.line("malloc_demo").word("tree").dec("nodes", tree.count).dec("height", walk.height).end()

    var table: [UInt64: [UInt8]] = [:]
    for index in 0 ..< 5000 { table[keys[index]] = bytesFor(keys[index]) }
    for index in stride(from: 0, to: 5000, by: 2) { table[keys[index]] = nil }
    guard table.count == 2500 else { return 2 }
    for index in 0 ..< 5000 {
        let expected: [UInt8]? = index % 2 == 0 ? nil : bytesFor(keys[index])
        guard table[keys[index]] == expected else { return 2 }
    }
    Console.line("malloc_demo").word("dictionary").dec("entries", table.count).end()

    ProgramHeap.report("malloc_demo")
    reportMemstat("malloc_demo")
    return ProgramHeap.isConsistent("malloc_demo") ? 0 : 3
}

func valuesFor(_ key: UInt64) -> [UInt64] {
    (0 ..< Int(key % 8 + 1)).map { key &* UInt64($0 + 1) }
}

func bytesFor(_ key: UInt64) -> [UInt8] {
    (0 ..< Int(key % 48 + 1)).map { UInt8(truncatingIfNeeded: key >> UInt64($0 % 8)) }
}
