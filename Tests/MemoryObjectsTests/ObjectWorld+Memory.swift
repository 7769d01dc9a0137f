// The memory-object operations of the randomized test: create, adopt (page transfer), map, unmap,
// clone, read and write faults, commit, decommit.
import MemoryCore
import MemoryObjects
import Testing

extension ObjectWorld {
    mutating func create(_ p: Int) throws {
        let pages: UInt64 = chance(2) ? [0, MemoryObjects.maximumPageCount + 1][rng.below(2)] : 1 + rng.next(below: 8)
        let expected: ObjectError? =
            processes[p].model.freeCount == 0
            ? .handleTableFull
            : pages == 0
                ? .zeroSize
                : pages > MemoryObjects.maximumPageCount
                    ? .tooLarge
                    : model.objects.count == MemoryObjects.capacity
                        ? .objectTableFull
                        : model.chargedPages + pages > Self.commitLimit ? .commitLimit : nil
        let result = outcome { () throws(ObjectError) in
            try kernel.createObject(pageCount: pages, table: &processes[p].table, source: &source)
        }
        note("create", expected != nil)
        if let expected { return try #require(result.failure == expected, "create \(pages): \(result)") }
        let (value, id) = try #require(result.success, "create \(pages): \(result)")
        try #require(model.objects[id] == nil)
        model.objects[id] = ModelObject(
            tags: Array(repeating: 0, count: Int(pages)), versions: Array(repeating: nil, count: Int(pages)), references: 1)
        try #require(processes[p].model.insert(Handle(object: .memory(id), rights: .all)) == value)
    }

    /// Page transfer: frames of the process's "anonymous memory" (taken from the fake, with
    /// contents) move into a new object with no copy.
    mutating func adopt(_ p: Int) throws {
        let pages = 1 + rng.below(Self.maximumObjectPages)
        var frames: [FrameNumber?] = []
        var tags: [UInt64] = []
        for _ in 0 ..< pages {
            let tag = nextTag
            nextTag += 1
            let frame = chance(70) ? source.takeFrame(tag: tag) : nil
            frames.append(frame)
            tags.append(frame == nil ? 0 : tag)
        }
        let expected: ObjectError? =
            processes[p].model.freeCount == 0
            ? .handleTableFull
            : model.chargedPages + UInt64(pages) > Self.commitLimit ? .commitLimit : nil
        let copiesBefore = source.copies
        let result = outcome { () throws(ObjectError) in
            try kernel.adoptFrames(frames, table: &processes[p].table, source: &source)
        }
        note("adopt", expected != nil)
        try #require(source.copies == copiesBefore, "a page transfer copied")
        if let expected {
            for case let frame? in frames { source.freeFrame(frame) }  // the process keeps its memory
            return try #require(result.failure == expected, "adopt: \(result)")
        }
        let (value, id) = try #require(result.success, "adopt: \(result)")
        let versions = frames.map { $0.map { model.newVersion(frame: $0) } }
        model.objects[id] = ModelObject(tags: tags, versions: versions, references: 1)
        try #require(processes[p].model.insert(Handle(object: .memory(id), rights: .all)) == value)
    }

    mutating func map(_ p: Int) throws {
        let value = pickValue(p, preferring: Self.isMemory)
        let writable = chance(60)
        let rights: Rights = writable ? [.map, .read, .write] : [.map, .read]
        let expected = expectedObject(p, value, needing: rights)
        let result = outcome { () throws(ObjectError) in try kernel.memoryObject(value, needing: rights, in: processes[p].table) }
        note("map", expected.failure != nil)
        try #require(result == expected, "map \(value.raw): \(result) vs \(expected)")
        guard case .success(let id) = result else { return }
        let (first, count) = pickRange(pages: model.objects[id]!.pageCount)
        guard count > 0, first < model.objects[id]!.pageCount, count <= model.objects[id]!.pageCount - first else { return }
        try kernel.memory.retain(id)
        model.objects[id]!.references += 1
        processes[p].mappings.append(ModelMapping(object: id, firstPage: first, pageCount: count, writable: writable))
    }

    mutating func unmap(_ p: Int) throws {
        guard !processes[p].mappings.isEmpty else { return }
        let mapping = processes[p].mappings.remove(at: rng.below(processes[p].mappings.count))
        try releaseMapping(mapping)
        note("unmap", false)
    }

    mutating func releaseMapping(_ mapping: ModelMapping) throws {
        let pages = model.objects[mapping.object]!.pageCount
        let expected: ObjectReleaseOutcome =
            model.releaseObject(mapping.object).map { .destroyed(framesFreed: UInt64($0), pages: pages) }
            ?? .stillReferenced(UInt32(model.objects[mapping.object]!.references))
        try #require(try kernel.memory.release(mapping.object, source: &source) == expected)
    }

    mutating func clone(_ p: Int) throws {
        let value = pickValue(p, preferring: Self.isMemory)
        let found = expectedObject(p, value, needing: [.read, .duplicate])
        let size = found.success.map { model.objects[$0]!.pageCount } ?? 1
        let (first, count) = pickRange(pages: size)
        var expected: ObjectError? = found.failure
        if expected == nil {
            expected =
                processes[p].model.freeCount == 0
                ? .handleTableFull
                : count == 0
                    ? .zeroSize
                    : (first >= size || count > size - first)
                        ? .outsideObject
                        : model.chargedPages + count > Self.commitLimit ? .commitLimit : nil
        }
        let result = outcome { () throws(ObjectError) in
            try kernel.cloneObject(value, firstPage: first, pageCount: count, table: &processes[p].table, source: &source)
        }
        note("clone", expected != nil)
        if let expected { return try #require(result.failure == expected, "clone: \(result) vs \(expected)") }
        let (newValue, id) = try #require(result.success)
        let original = model.objects[found.success!]!
        let range = Int(first) ..< Int(first + count)
        let versions = Array(original.versions[range])
        for case let version? in versions { model.versionCounts[version]! += 1 }
        model.objects[id] = ModelObject(tags: Array(original.tags[range]), versions: versions, references: 1)
        try #require(processes[p].model.insert(Handle(object: .memory(id), rights: .all)) == newValue)
        try checkObject(id)
    }

    /// A fault through one of the process's mappings (a write only through a writable one).
    mutating func fault(_ p: Int, write wantWrite: Bool) throws {
        guard let mapping = processes[p].mappings.randomElement(using: &rng) else { return try map(p) }
        let forWrite = wantWrite && mapping.writable
        let page = mapping.firstPage + rng.next(below: mapping.pageCount)
        let index = Int(page)
        let version = model.objects[mapping.object]!.versions[index]
        let count = version.map { model.versionCounts[$0]! } ?? 0
        let resolution = try kernel.memory.resolvePage(mapping.object, page: page, forWrite: forWrite, source: &source)
        note(forWrite ? "write-fault" : "read-fault", false)
        if version == nil {
            try #require(resolution.outcome == .committed && resolution.exclusive && resolution.references == 1)
            try #require(source.tag(of: resolution.frame) == 0, "a committed page is not zero")
            model.objects[mapping.object]!.versions[index] = model.newVersion(frame: resolution.frame)
        } else if forWrite && count > 1 {
            try #require(resolution.outcome == .copied(old: model.versionFrames[version!]!) && resolution.exclusive)
            try #require(resolution.references == 1)
            _ = model.dropVersion(version!)
            model.objects[mapping.object]!.versions[index] = model.newVersion(frame: resolution.frame)
            model.cowCopies += 1
        } else {
            try #require(resolution.outcome == .present && resolution.frame == model.versionFrames[version!]!)
            try #require(resolution.exclusive == (count == 1) && resolution.references == UInt32(count))
        }
        try #require(source.tag(of: resolution.frame) == model.objects[mapping.object]!.tags[index], "read the wrong contents")
        if forWrite {
            source.write(resolution.frame, tag: nextTag)
            model.objects[mapping.object]!.tags[index] = nextTag
            nextTag += 1
        }
    }

    /// Commit (op 0) or decommit (op 1) of a range through a handle (needs write).
    mutating func commitOrDecommit(_ p: Int, decommit: Bool) throws {
        let value = pickValue(p, preferring: Self.isMemory)
        let found = expectedObject(p, value, needing: .write)
        let size = found.success.map { model.objects[$0]!.pageCount } ?? 1
        let (first, count) = pickRange(pages: size)
        var expected: ObjectError? = found.failure
        if expected == nil {
            expected = count == 0 ? .zeroSize : (first >= size || count > size - first) ? .outsideObject : nil
        }
        let id = found.success
        let result = outcome { () throws(ObjectError) in
            let id = try kernel.memoryObject(value, needing: .write, in: processes[p].table)
            return decommit
                ? try kernel.memory.decommit(id, firstPage: first, pageCount: count, source: &source)
                : try kernel.memory.commit(id, firstPage: first, pageCount: count, source: &source)
        }
        note(decommit ? "decommit" : "commit", expected != nil)
        if let expected { return try #require(result.failure == expected, "commit/decommit: \(result) vs \(expected)") }
        var changed: UInt64 = 0
        for index in Int(first) ..< Int(first + count) {
            let version = model.objects[id!]!.versions[index]
            if decommit, let version {
                _ = model.dropVersion(version)
                model.objects[id!]!.versions[index] = nil
                model.objects[id!]!.tags[index] = 0
                changed += 1
            } else if !decommit, version == nil {
                let frame = try #require(kernel.memory.frame(id!, page: UInt64(index)))
                try #require(source.tag(of: frame) == 0)
                model.objects[id!]!.versions[index] = model.newVersion(frame: frame)
                changed += 1
            }
        }
        try #require(result.success == changed)
        try checkObject(id!)
    }
}

extension Result {
    var success: Success? { if case .success(let value) = self { value } else { nil } }
    var failure: Failure? { if case .failure(let error) = self { error } else { nil } }
}
