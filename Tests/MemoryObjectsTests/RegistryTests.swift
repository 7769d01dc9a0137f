// The registry, operation by operation: create, clone, adopt, resolvePage in each case, commit,
// decommit, retain/release, and each refusal (nothing changed after it).
import MemoryCore
import MemoryObjects
import Testing

/// Every checker, and the fake's record against the registry's.
func expectConsistent(_ objects: MemoryObjects, _ source: FakeFrameSource, sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(objects.checkInvariants() == nil, sourceLocation: sourceLocation)
    #expect(objects.checkFrames(isAllocated: source.isAllocated) == nil, sourceLocation: sourceLocation)
    #expect(source.misuse.isEmpty, "\(source.misuse)", sourceLocation: sourceLocation)
    #expect(UInt64(source.allocatedFrames) == objects.statistics.framesHeld, sourceLocation: sourceLocation)
    #expect(source.charged == objects.statistics.chargedPages, sourceLocation: sourceLocation)
}

@Suite struct RegistryTests {
    @Test func createChargesWholeSizeAndCommitsOnDemand() throws {
        var source = FakeFrameSource()
        var objects = MemoryObjects()
        let id = try objects.create(pageCount: 8, source: &source)
        #expect(objects.pageCount(id) == 8)
        #expect(source.charged == 8 && source.allocatedFrames == 0)
        let read = try objects.resolvePage(id, page: 3, forWrite: false, source: &source)
        #expect(read.outcome == .committed && read.exclusive && read.references == 1)
        #expect(objects.frame(id, page: 3) == read.frame)
        let again = try objects.resolvePage(id, page: 3, forWrite: true, source: &source)
        #expect(again.outcome == .present && again.frame == read.frame && again.exclusive)
        #expect(objects.statistics.committedPages == 1)
        expectConsistent(objects, source)
        #expect(try objects.release(id, source: &source) == .destroyed(framesFreed: 1, pages: 8))
        #expect(source.charged == 0 && source.allocatedFrames == 0)
        expectConsistent(objects, source)
    }
}

extension RegistryTests {
    @Test func cloneSharesFramesAndCopiesOnFirstWriteOnly() throws {
        var source = FakeFrameSource()
        var objects = MemoryObjects()
        let original = try objects.create(pageCount: 4, source: &source)
        for page: UInt64 in 0 ..< 3 {
            let frame = try objects.resolvePage(original, page: page, forWrite: true, source: &source).frame
            source.write(frame, tag: 10 + page)
        }
        let clone = try objects.clone(original, firstPage: 1, pageCount: 3, source: &source)
        #expect(source.charged == 7 && source.allocatedFrames == 3 && source.copies == 0)
        #expect(objects.frame(clone, page: 0) == objects.frame(original, page: 1))
        #expect(objects.frame(clone, page: 2) == nil)  // uncommitted stays uncommitted
        #expect(objects.statistics.sharedFrames == 2)
        // A read of a shared page: the same frame, not exclusive (the leaf stays read-only).
        let read = try objects.resolvePage(clone, page: 0, forWrite: false, source: &source)
        #expect(read.outcome == .present && !read.exclusive && read.references == 2)
        // The first write copies, the contents come along, the source keeps its frame.
        let old = try #require(objects.frame(original, page: 1))
        let write = try objects.resolvePage(clone, page: 0, forWrite: true, source: &source)
        #expect(write.outcome == .copied(old: old) && write.exclusive && write.references == 1)
        #expect(source.tag(of: write.frame) == 11 && objects.statistics.cowCopies == 1)
        // The source's frame now has refcount 1: a write there reuses it (no copy).
        let reuse = try objects.resolvePage(original, page: 1, forWrite: true, source: &source)
        #expect(reuse.outcome == .present && reuse.frame == old && reuse.exclusive)
        #expect(objects.statistics.cowCopies == 1 && objects.statistics.sharedFrames == 1)
        expectConsistent(objects, source)
        _ = try objects.release(original, source: &source)
        #expect(objects.referenceCount(of: objects.frame(clone, page: 1)!) == 1)
        _ = try objects.release(clone, source: &source)
        #expect(source.allocatedFrames == 0 && source.charged == 0)
        expectConsistent(objects, source)
    }

    @Test func adoptMovesFramesWithoutCopyAndRefusesFramesInUse() throws {
        var source = FakeFrameSource()
        var objects = MemoryObjects()
        let a = source.takeFrame(tag: 7)!
        let b = source.takeFrame(tag: 8)!
        let id = try objects.adopt(frames: [a, nil, b], source: &source)
        #expect(objects.frame(id, page: 0) == a && objects.frame(id, page: 1) == nil && objects.frame(id, page: 2) == b)
        #expect(source.copies == 0 && source.charged == 3 && objects.statistics.committedPages == 2)
        #expect(throws: ObjectError.frameInUse) { try objects.adopt(frames: [a], source: &source) }
        let c = source.takeFrame(tag: 9)!
        #expect(throws: ObjectError.frameInUse) { try objects.adopt(frames: [c, c], source: &source) }
        #expect(throws: ObjectError.frameInUse) { try objects.adopt(frames: [FrameNumber(1 << 60)], source: &source) }
        #expect(source.charged == 3)
        source.freeFrame(c)
        expectConsistent(objects, source)
        #expect(try objects.release(id, source: &source) == .destroyed(framesFreed: 2, pages: 3))
        expectConsistent(objects, source)
    }

    @Test func decommitDropsFramesKeepsChargeAndSharedFramesSurvive() throws {
        var source = FakeFrameSource()
        var objects = MemoryObjects()
        let id = try objects.create(pageCount: 4, source: &source)
        #expect(try objects.commit(id, firstPage: 0, pageCount: 4, source: &source) == 4)
        #expect(try objects.commit(id, firstPage: 1, pageCount: 2, source: &source) == 0)
        let clone = try objects.clone(id, firstPage: 0, pageCount: 2, source: &source)
        #expect(try objects.decommit(id, firstPage: 0, pageCount: 4, source: &source) == 4)
        #expect(source.allocatedFrames == 2 && source.charged == 6)  // the clone still holds 2
        #expect(objects.frame(id, page: 0) == nil && objects.frame(clone, page: 0) != nil)
        #expect(try objects.decommit(id, firstPage: 0, pageCount: 4, source: &source) == 0)
        expectConsistent(objects, source)
        _ = try objects.release(clone, source: &source)
        _ = try objects.release(id, source: &source)
        expectConsistent(objects, source)
        #expect(source.allocatedFrames == 0 && source.charged == 0)
    }

    @Test func badInputIsRefusedAndChangesNothing() throws {
        var source = FakeFrameSource(commitLimit: 6)
        var objects = MemoryObjects()
        #expect(throws: ObjectError.zeroSize) { try objects.create(pageCount: 0, source: &source) }
        #expect(throws: ObjectError.tooLarge) {
            try objects.create(pageCount: MemoryObjects.maximumPageCount + 1, source: &source)
        }
        #expect(throws: ObjectError.commitLimit) { try objects.create(pageCount: 7, source: &source) }
        let id = try objects.create(pageCount: 4, source: &source)
        #expect(throws: ObjectError.commitLimit) { try objects.clone(id, firstPage: 0, pageCount: 4, source: &source) }
        for (first, count): (UInt64, UInt64) in [(4, 1), (3, 2), (UInt64.max, 2), (1, UInt64.max)] {
            #expect(throws: ObjectError.outsideObject) {
                try objects.clone(id, firstPage: first, pageCount: count, source: &source)
            }
            #expect(throws: ObjectError.outsideObject) {
                try objects.commit(id, firstPage: first, pageCount: count, source: &source)
            }
            #expect(throws: ObjectError.outsideObject) {
                try objects.decommit(id, firstPage: first, pageCount: count, source: &source)
            }
        }
        #expect(throws: ObjectError.zeroSize) { try objects.clone(id, firstPage: 0, pageCount: 0, source: &source) }
        #expect(throws: ObjectError.zeroSize) { try objects.commit(id, firstPage: 0, pageCount: 0, source: &source) }
        #expect(throws: ObjectError.outsideObject) { try objects.resolvePage(id, page: 4, forWrite: false, source: &source) }
        for stale in [ObjectID(raw: 0), ObjectID(raw: id.raw + 1), ObjectID(raw: id.raw &+ 0x10000)] {
            #expect(throws: ObjectError.noSuchObject) { try objects.retain(stale) }
            #expect(throws: ObjectError.noSuchObject) { try objects.release(stale, source: &source) }
            #expect(throws: ObjectError.noSuchObject) { try objects.resolvePage(stale, page: 0, forWrite: true, source: &source) }
            #expect(objects.pageCount(stale) == nil)
        }
        #expect(source.charged == 4 && source.allocatedFrames == 0)
        expectConsistent(objects, source)
        _ = try objects.release(id, source: &source)
        #expect(throws: ObjectError.noSuchObject) { try objects.release(id, source: &source) }  // a freed id stays dead
        expectConsistent(objects, source)
    }

    @Test func outOfFramesRollsBackAPartialCommit() throws {
        var source = FakeFrameSource(frameLimit: 3)
        var objects = MemoryObjects()
        let id = try objects.create(pageCount: 8, source: &source)
        _ = try objects.resolvePage(id, page: 5, forWrite: true, source: &source)
        #expect(throws: ObjectError.outOfFrames) { try objects.commit(id, firstPage: 0, pageCount: 8, source: &source) }
        #expect(source.allocatedFrames == 1 && objects.statistics.committedPages == 1)
        let shared = try objects.clone(id, firstPage: 5, pageCount: 1, source: &source)
        _ = try objects.commit(id, firstPage: 0, pageCount: 2, source: &source)
        #expect(throws: ObjectError.outOfFrames) { try objects.resolvePage(shared, page: 0, forWrite: true, source: &source) }
        #expect(objects.frame(shared, page: 0) == objects.frame(id, page: 5))
        expectConsistent(objects, source)
        _ = try objects.release(shared, source: &source)
        _ = try objects.release(id, source: &source)
        #expect(source.allocatedFrames == 0 && source.charged == 0)
    }

    @Test func objectTableFillsToCapacityWithAClearError() throws {
        var source = FakeFrameSource()
        var objects = MemoryObjects()
        var ids: [ObjectID] = []
        for _ in 0 ..< MemoryObjects.capacity { ids.append(try objects.create(pageCount: 1, source: &source)) }
        #expect(throws: ObjectError.objectTableFull) { try objects.create(pageCount: 1, source: &source) }
        #expect(throws: ObjectError.objectTableFull) { try objects.clone(ids[0], firstPage: 0, pageCount: 1, source: &source) }
        #expect(source.charged == UInt64(MemoryObjects.capacity))
        expectConsistent(objects, source)
        for id in ids { _ = try objects.release(id, source: &source) }
        #expect(source.charged == 0 && objects.statistics.liveObjects == 0)
    }

    @Test func retainKeepsTheObjectUntilTheLastRelease() throws {
        var source = FakeFrameSource()
        var objects = MemoryObjects()
        let id = try objects.create(pageCount: 2, source: &source)
        try objects.retain(id)
        _ = try objects.resolvePage(id, page: 0, forWrite: true, source: &source)
        #expect(try objects.release(id, source: &source) == .stillReferenced(1))
        #expect(source.allocatedFrames == 1)
        #expect(try objects.release(id, source: &source) == .destroyed(framesFreed: 1, pages: 2))
        #expect(objects.statistics.objectsDestroyed == 1 && objects.statistics.framesFreed == 1)
    }
}
