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
