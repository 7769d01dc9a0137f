// The randomized test: several simulated processes (a handle table + mapped object ranges each)
// doing create, adopt (page transfer), map, unmap, clone, read and write faults, commit,
// decommit, duplicate, close, channel create, send (handle transfer), receive, and process exit
// with re-spawn (startup handles), against the reference model, with every checker after every
// operation; at the end every process exits and every frame and every charge must be back.
// `operationsPerSeed` x seeds = 200 000 operations in every `swift test` / `make test`.
import MemoryCore
import MemoryObjects
import Testing

@Suite struct ObjectModelTests {
    static let operationsPerSeed = 50_000
    static let seeds: [UInt64] = [0x9_0B1E_C75, 0x5EED_0001, 0xC0FF_EE09, 0xD15E_A5E5]
    static let processCount = 5

    @Test(arguments: seeds) func randomOperationsAgainstModel(seed: UInt64) throws {
        var world = ObjectWorld(seed: seed, processCount: Self.processCount)
        for step in 0 ..< Self.operationsPerSeed {
            let p = world.rng.below(Self.processCount)
            do {
                try world.step(p)
                try world.checkAll()
                try world.checkTable(p)
                if step % 2_000 == 0 { try world.checkEverything() }
            } catch {
                Issue.record("seed \(seed) step \(step) process \(p): \(error)")
                throw error
            }
        }
        try world.checkEverything()
        // The mix really happened: every operation ran, and some of each were refused.
        for name in [
            "create", "adopt", "map", "unmap", "clone", "write-fault", "read-fault", "commit", "decommit",
            "duplicate", "close", "channel", "send", "receive", "exit", "spawn",
        ] {
            #expect(world.operationCounts[name, default: 0] > 100, "\(name): \(world.operationCounts[name, default: 0])")
        }
        #expect(
            world.model.cowCopies > 100 && world.refusals > 1_000,
            "cow \(world.model.cowCopies) refusals \(world.refusals) \(world.operationCounts) charged \(world.model.chargedPages)"
        )
        // Every process ends: everything comes back.
        for p in 0 ..< Self.processCount {
            let handles = world.processes[p].model.entries.map { $0.handle }
            _ = world.kernel.closeAll(table: &world.processes[p].table, source: &world.source)
            world.model.release(handles)
            for mapping in world.processes[p].mappings { try world.releaseMapping(mapping) }
            world.processes[p] = SimulatedProcess()
            try world.checkAll()
        }
        #expect(world.kernel.memory.statistics.liveObjects == 0 && world.kernel.channels.liveCount == 0)
        #expect(world.source.allocatedFrames == 0 && world.source.charged == 0)
        #expect(world.model.objects.isEmpty && world.model.channels.isEmpty && world.model.versionCounts.isEmpty)
    }
}

extension ObjectWorld {
    /// One operation for process p, drawn with fixed weights.
    mutating func step(_ p: Int) throws {
        switch rng.below(100) {
        case 0 ..< 8: try create(p)
        case 8 ..< 11: try adopt(p)
        case 11 ..< 21: try map(p)
        case 21 ..< 27: try unmap(p)
        case 27 ..< 33: try clone(p)
        case 33 ..< 47: try fault(p, write: true)
        case 47 ..< 57: try fault(p, write: false)
        case 57 ..< 61: try commitOrDecommit(p, decommit: false)
        case 61 ..< 65: try commitOrDecommit(p, decommit: true)
        case 65 ..< 71: try duplicate(p)
        case 71 ..< 78: try close(p)
        case 78 ..< 81: try createChannel(p)
        case 81 ..< 89: try send(p)
        case 89 ..< 97: try receive(p)
        default: try exitAndRespawn(p)
        }
    }
}
