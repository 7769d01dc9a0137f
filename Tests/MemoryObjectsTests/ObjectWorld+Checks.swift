// The checks after every operation of the randomized test: every checker of the module, the fake
// frame source's record against the registry's counters, the model's counters against both, and
// each process's table against its model. `checkEverything` (every page of every object, every
// channel) runs periodically and at the end.
import MemoryCore
import MemoryObjects
import Testing

extension ObjectWorld {
    var mappingReferences: [ObjectID: UInt32] {
        var counts: [ObjectID: UInt32] = [:]
        for process in processes { for mapping in process.mappings { counts[mapping.object, default: 0] += 1 } }
        return counts
    }

    /// After every operation.
    func checkAll() throws {
        let violation = kernel.checkInvariants(tables: processes.map { $0.table }, mappingReferences: mappingReferences)
        try #require(violation == nil, "\(violation!)")
        try #require(kernel.memory.checkFrames(isAllocated: source.isAllocated) == nil, "a freed frame is still held")
        try #require(source.misuse.isEmpty, "\(source.misuse)")
        let stats = kernel.memory.statistics
        try #require(UInt64(source.allocatedFrames) == stats.framesHeld, "frames: fake \(source.allocatedFrames) vs \(stats)")
        try #require(source.charged == stats.chargedPages, "charge: fake \(source.charged) vs \(stats)")
        try #require(stats.framesHeld == model.framesHeld && stats.sharedFrames == model.sharedFrames, "\(stats)")
        try #require(stats.chargedPages == model.chargedPages && stats.committedPages == model.committedPages, "\(stats)")
        try #require(stats.liveObjects == model.objects.count && stats.cowCopies == UInt64(model.cowCopies), "\(stats)")
        try #require(kernel.channels.liveCount == model.channels.count)
    }

    func checkTable(_ p: Int) throws {
        let real = processes[p].table.entries
        let expected = processes[p].model.entries
        try #require(real.map { $0.value } == expected.map { $0.value }, "process \(p): table values differ")
        try #require(real.map { $0.handle } == expected.map { $0.handle }, "process \(p): table handles differ")
    }

    /// One object, page by page: size, references, frames per version, refcounts, contents.
    func checkObject(_ id: ObjectID) throws {
        let object = try #require(model.objects[id])
        try #require(kernel.memory.pageCount(id) == object.pageCount)
        try #require(kernel.memory.references(of: id) == UInt32(object.references), "object \(id.raw) references")
        for page in 0 ..< Int(object.pageCount) {
            let frame = kernel.memory.frame(id, page: UInt64(page))
            guard let version = object.versions[page] else {
                try #require(frame == nil, "object \(id.raw) page \(page) should be uncommitted")
                continue
            }
            try #require(frame == model.versionFrames[version], "object \(id.raw) page \(page): wrong frame")
            try #require(kernel.memory.referenceCount(of: frame!) == UInt32(model.versionCounts[version]!))
            try #require(source.tag(of: frame!) == object.tags[page], "object \(id.raw) page \(page): wrong contents")
        }
    }

    /// Everything, against the model.
    func checkEverything() throws {
        try checkAll()
        try #require(Set(kernel.memory.liveObjects) == Set(model.objects.keys))
        for id in model.objects.keys { try checkObject(id) }
        for p in processes.indices { try checkTable(p) }
        try #require(Set(kernel.channels.liveChannels) == Set(model.channels.keys))
        for (id, channel) in model.channels {
            for e in 0 ..< 2 {
                try #require(kernel.channels.references(of: id, endpoint: UInt8(e)) == UInt32(channel.references[e]))
                try #require(kernel.channels.queuedCount(id, endpoint: UInt8(e)) == channel.inboxes[e].count)
            }
        }
    }
}
