// The reference model for the objects layer, written the plain way: per object an array of page
// contents (tags) and of "versions" (a version = one frame's worth of content; a clone shares its
// source's versions, a CoW copy makes a new one), per version the number of slots holding it (the
// model's frame refcount) and the frame the real registry gave it; per process a 64-slot handle
// table with generations; per channel two endpoint reference counts and two inboxes. Every
// release cascade (a channel's queued handles released when its endpoint closes) is a plain
// recursion here, a worklist in the module.
import MemoryCore
import MemoryObjects

struct ModelObject {
    var tags: [UInt64]
    /// nil: uncommitted.
    var versions: [Int?]
    var references: Int
    var pageCount: UInt64 { UInt64(tags.count) }
}

struct ModelMapping {
    var object: ObjectID
    var firstPage: UInt64
    var pageCount: UInt64
    var writable: Bool
}

struct ModelHandleTable {
    var generations = [UInt16](repeating: 1, count: 64)
    var handles = [Handle?](repeating: nil, count: 64)

    var count: Int { handles.filter { $0 != nil }.count }
    var freeCount: Int { 64 - count }

    func value(slot: Int) -> HandleValue { HandleValue(raw: UInt64(generations[slot]) << 16 | UInt64(slot + 1)) }

    func slot(of value: HandleValue) -> Int? {
        let raw = value.raw
        guard raw >> 32 == 0 else { return nil }
        let slot = Int(raw & 0xFFFF) - 1
        let generation = UInt16(raw >> 16)
        guard slot >= 0, slot < 64, generation != 0, generations[slot] == generation, handles[slot] != nil else { return nil }
        return slot
    }

    func lookup(_ value: HandleValue) -> Handle? { slot(of: value).flatMap { handles[$0] } }

    mutating func insert(_ handle: Handle) -> HandleValue {
        let slot = handles.firstIndex { $0 == nil }!
        handles[slot] = handle
        return value(slot: slot)
    }

    mutating func remove(_ value: HandleValue) -> Handle {
        let slot = slot(of: value)!
        let handle = handles[slot]!
        handles[slot] = nil
        generations[slot] = generations[slot] == UInt16.max ? 1 : generations[slot] + 1
        return handle
    }

    var entries: [(value: HandleValue, handle: Handle)] {
        handles.indices.compactMap { slot in handles[slot].map { (value(slot: slot), $0) } }
    }
}

struct ModelChannel {
    var references = [1, 1]
    var inboxes: [[ChannelMessage]] = [[], []]
}

struct ReferenceModel {
    var objects: [ObjectID: ModelObject] = [:]
    var versionCounts: [Int: Int] = [:]
    var versionFrames: [Int: FrameNumber] = [:]
    var nextVersion = 1
    var cowCopies = 0
    var channels: [ChannelID: ModelChannel] = [:]

    var chargedPages: UInt64 { objects.values.reduce(0) { $0 + $1.pageCount } }
    var committedPages: UInt64 { objects.values.reduce(0) { $0 + UInt64($1.versions.filter { $0 != nil }.count) } }
    var framesHeld: UInt64 { UInt64(versionCounts.count) }
    var sharedFrames: UInt64 { UInt64(versionCounts.values.filter { $0 > 1 }.count) }

    mutating func newVersion(frame: FrameNumber) -> Int {
        let version = nextVersion
        nextVersion += 1
        versionCounts[version] = 1
        versionFrames[version] = frame
        return version
    }

    /// One slot fewer holds the version; true when it was the last (its frame is free now).
    mutating func dropVersion(_ version: Int) -> Bool {
        versionCounts[version]! -= 1
        guard versionCounts[version]! == 0 else { return false }
        versionCounts[version] = nil
        versionFrames[version] = nil
        return true
    }

    /// One reference fewer; returns the frames freed when that was the last (nil: still alive).
    mutating func releaseObject(_ id: ObjectID) -> Int? {
        objects[id]!.references -= 1
        guard objects[id]!.references == 0 else { return nil }
        let object = objects.removeValue(forKey: id)!
        return object.versions.compactMap { $0 }.filter { dropVersion($0) }.count
    }

    /// Releases handles and everything that frees in turn (the plain recursion).
    mutating func release(_ handles: [Handle]) {
        for handle in handles {
            switch handle.object {
            case .memory(let id): _ = releaseObject(id)
            case .channel(let id, let endpoint):
                let e = Int(endpoint)
                channels[id]!.references[e] -= 1
                guard channels[id]!.references[e] == 0 else { continue }
                let orphans = channels[id]!.inboxes[e].flatMap { $0.handles }
                channels[id]!.inboxes[e] = []
                if channels[id]!.references[1 - e] == 0 { channels[id] = nil }
                release(orphans)
            }
        }
    }

    mutating func retain(_ object: KernelObject) {
        switch object {
        case .memory(let id): objects[id]!.references += 1
        case .channel(let id, let endpoint): channels[id]!.references[Int(endpoint)] += 1
        }
    }

    /// True when `target` is `start` or reachable through queued endpoint handles.
    func reaches(from start: ChannelID, target: ChannelID, visited: Set<ChannelID> = []) -> Bool {
        if start == target { return true }
        guard !visited.contains(start), let channel = channels[start] else { return false }
        let next = channel.inboxes.flatMap { $0 }.flatMap { $0.handles }.compactMap { $0.object.channel }
        return next.contains { reaches(from: $0, target: target, visited: visited.union([start])) }
    }
}
