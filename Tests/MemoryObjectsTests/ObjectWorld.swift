// The randomized test's world: the real layer (KernelObjects + a fake frame source + one real
// HandleTable per simulated process) beside the reference model, and one function per operation.
// Each operation draws its inputs (valid most of the time, bad some of the time), predicts the
// outcome from the model alone, performs it on the real layer, compares, and updates the model.
import MemoryCore
import MemoryObjects
import TestSupport
import Testing

struct SimulatedProcess {
    var table = HandleTable()
    var model = ModelHandleTable()
    var mappings: [ModelMapping] = []
    /// Values this process closed or gave away (later used as stale values: bad-handle).
    var staleValues: [HandleValue] = []
}

struct ObjectWorld {
    static let commitLimit: UInt64 = 300
    static let maximumObjectPages = 8

    var kernel = KernelObjects()
    var source = FakeFrameSource(commitLimit: ObjectWorld.commitLimit)
    var model = ReferenceModel()
    var processes: [SimulatedProcess]
    var rng: SeededGenerator
    var nextTag: UInt64 = 1
    var operationCounts: [String: Int] = [:]
    var refusals = 0

    init(seed: UInt64, processCount: Int) {
        rng = SeededGenerator(seed: seed)
        processes = Array(repeating: SimulatedProcess(), count: processCount)
    }

    // MARK: Drawing inputs

    mutating func chance(_ percent: Int) -> Bool { rng.below(100) < percent }

    /// A handle value for process p: mostly one it holds (of `kind` when given), sometimes stale,
    /// another process's, or garbage.
    mutating func pickValue(_ p: Int, preferring kind: ((Handle) -> Bool)? = nil) -> HandleValue {
        let roll = rng.below(100)
        if roll < 6, let stale = processes[p].staleValues.randomElement(using: &rng) { return stale }
        if roll < 10 {
            let other = rng.below(processes.count)
            if let entry = processes[other].model.entries.randomElement(using: &rng) { return entry.value }
        }
        if roll < 13 { return HandleValue(raw: [0, rng.next(), rng.next() & 0xFFFF_FFFF, 0x10041][rng.below(4)]) }
        let entries = processes[p].model.entries
        let wanted = kind.map { k in entries.filter { k($0.handle) } } ?? entries
        if let entry = (wanted.isEmpty ? entries : wanted).randomElement(using: &rng) { return entry.value }
        return HandleValue(raw: 0x10001)
    }

    mutating func pickRights() -> Rights {
        chance(70)
            ? Rights.all.subtracting(Rights(rawValue: UInt32(rng.below(32)) & ~4)) : Rights(rawValue: UInt32(rng.below(32)))
    }

    /// A page range [first, first + count): inside a size-`pages` object, or (sometimes) not.
    mutating func pickRange(pages: UInt64) -> (UInt64, UInt64) {
        if chance(5) { return [(0, 0), (pages, 1), (UInt64.max, 2), (0, pages + 1)][rng.below(4)] }
        let first = rng.next(below: pages)
        return (first, 1 + rng.next(below: pages - first))
    }

    static func isMemory(_ h: Handle) -> Bool { if case .memory = h.object { true } else { false } }
    static func isChannel(_ h: Handle) -> Bool { h.object.channel != nil }

    /// What a memory-object lookup with `rights` must answer per the model.
    func expectedObject(_ p: Int, _ value: HandleValue, needing rights: Rights) -> Result<ObjectID, ObjectError> {
        guard let handle = processes[p].model.lookup(value) else { return .failure(.badHandle) }
        guard case .memory(let id) = handle.object else { return .failure(.wrongKind) }
        guard handle.rights.isSuperset(of: rights) else { return .failure(.rightsExceeded) }
        return .success(id)
    }

    mutating func note(_ name: String, _ refused: Bool) {
        operationCounts[name, default: 0] += 1
        if refused { refusals += 1 }
    }
}

/// Runs `body` and returns its typed error or value, for comparing with a prediction.
func outcome<T>(_ body: () throws(ObjectError) -> T) -> Result<T, ObjectError> {
    do { return .success(try body()) } catch { return .failure(error) }
}
