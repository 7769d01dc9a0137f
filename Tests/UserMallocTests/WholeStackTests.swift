// The whole SwiftMM memory stack under the user malloc: UserHeap -> KernelStackPageSource ->
// FrameAllocator (PhysicalMemory) + AddressSpace (PageTables) over simulated RAM.
//
// A seeded random sequence of malloc/free/calloc/realloc/posix_memalign runs against a reference
// model (live blocks with their sizes and fill patterns; contents verified before every free and
// realloc). After every operation: no heap report, the heap's live bytes equal the model's, the
// heap's held bytes equal the source's mapped bytes, and the source's O(1) frame equation holds.
// Every `fullCheckInterval` operations: the heap's checkInvariants(), the source's (frame
// allocator, page tables, every mapping translated), and every live block reached through the
// page tables at its first and last byte. Then: everything freed and trimmed leaves only the PML4,
// and destroying the space returns that too; small machines run out of frames without crashing.

#if canImport(Glibc)
import Glibc
#endif
import MemoryCore
import PageTables
import PhysicalMemory
import Testing
import TestSupport
import UserMalloc

/// One live block of the reference model.
struct StackModelBlock {
    var pointer: UnsafeMutableRawPointer
    var size: Int
    var usable: Int
    var pattern: UInt8
}

/// Collects the heap's misuse reports (none are expected).
final class StackHeapReports {
    var errors: [HeapError] = []
}

/// The request sizes a run draws from.
enum StackSizeMix {
    /// Mostly small, some medium, a few large (every tier, and many page-source calls).
    case mixed
    /// Larger on average, so a small machine runs out of frames often.
    case pressure
}

struct WholeStackRun {
    var heap: UserHeap<KernelStackPageSource>
    let source: KernelStackPageSource
    let reports = StackHeapReports()
    var rng: SeededGenerator
    let mix: StackSizeMix
    var slots: [StackModelBlock?]
    /// Live block addresses -> slot: the heap must never hand out a live address twice.
    var slotOfAddress: [UInt: Int] = [:]
    var modelLiveBytes = 0
    var nextPattern: UInt8 = 0
    var outOfMemoryCount = 0

    init(seed: UInt64, ramBytes: UInt64, slotCount: Int, mix: StackSizeMix) throws {
        source = try KernelStackPageSource(ramBytes: ramBytes)
        let reports = self.reports
        heap = UserHeap(source: source, secret: seed) { reports.errors.append($0) }
        rng = SeededGenerator(seed: seed)
        self.mix = mix
        slots = Array(repeating: nil, count: slotCount)
    }

    mutating func randomSize() -> Int {
        let tier = Int.random(in: 0 ..< 1000, using: &rng)
        let largeShare = mix == .mixed ? 5 : 40
        let mediumShare = mix == .mixed ? 80 : 300
        if tier < largeShare { return Int.random(in: 131_073 ... 600_000, using: &rng) }
        if tier < mediumShare { return Int.random(in: 4097 ... 131_072, using: &rng) }
        return Int.random(in: 0 ... (1 << Int.random(in: 3 ... 12, using: &rng)), using: &rng)
    }

    mutating func freshPattern() -> UInt8 {
        nextPattern = nextPattern == 255 ? 1 : nextPattern + 1
        return nextPattern
    }

    // MARK: Operations

    mutating func step() throws {
        let slot = Int.random(in: 0 ..< slots.count, using: &rng)
        let choice = Int.random(in: 0 ..< 100, using: &rng)
        if let block = slots[slot] {
            try verifyContents(block)
            if choice < 65 { release(slot) } else { try reallocate(slot, toZero: choice < 67) }
        } else if choice < 55 {
            let size = randomSize()
            guard let pointer = heap.allocate(byteCount: size) else { return outOfMemoryCount += 1 }
            try adopt(pointer, size: size, slot: slot)
        } else if choice < 75 {
            try allocateZeroed(slot)
        } else {
            try allocateAligned(slot)
        }
    }

    mutating func allocateZeroed(_ slot: Int) throws {
        let count = Int.random(in: 1 ... 8, using: &rng)
        let size = randomSize() / count
        guard let pointer = heap.allocateZeroed(count: count, byteCount: size) else { return outOfMemoryCount += 1 }
        try #require(Self.holds(pointer, count * size, 0), "calloc memory not zero")
        try adopt(pointer, size: count * size, slot: slot)
    }

    mutating func allocateAligned(_ slot: Int) throws {
        let alignment = 8 << Int.random(in: 0 ... 15, using: &rng)  // 8 B ... 256 KiB
        let size = randomSize()
        let pointer: UnsafeMutableRawPointer
        do throws(MallocErrno) {
            pointer = try heap.allocateAligned(byteCount: size, alignment: alignment)
        } catch {
            try #require(error == .outOfMemory, "posix_memalign: \(error)")
            return outOfMemoryCount += 1
        }
        try adopt(pointer, size: size, slot: slot, alignment: alignment)
    }

    mutating func reallocate(_ slot: Int, toZero: Bool) throws {
        let block = slots[slot]!
        let size = toZero ? 0 : randomSize()
        let result = heap.reallocate(block.pointer, byteCount: size)
        if size == 0 {
            try #require(result == nil, "realloc(p, 0) frees and returns nil")
            return forget(slot)
        }
        guard let moved = result else {
            try #require(Self.holds(block.pointer, block.size, block.pattern), "failed realloc touched the block")
            return outOfMemoryCount += 1
        }
        try #require(Self.holds(moved, min(size, block.size), block.pattern), "realloc lost the contents")
        forget(slot)
        try adopt(moved, size: size, slot: slot)
    }

    mutating func release(_ slot: Int) {
        heap.free(slots[slot]!.pointer)
        forget(slot)
    }

    /// Checks a new block (alignment, usable size, not overlapping a live address), fills it.
    mutating func adopt(_ pointer: UnsafeMutableRawPointer, size: Int, slot: Int, alignment: Int = 16) throws {
        let address = UInt(bitPattern: pointer)
        try #require(address % UInt(max(alignment, 16)) == 0, "alignment \(alignment)")
        try #require(slotOfAddress[address] == nil, "address handed out twice")
        let usable = heap.usableByteCount(of: pointer)
        try #require(usable >= size, "usable \(usable) < \(size)")
        let block = StackModelBlock(pointer: pointer, size: size, usable: usable, pattern: freshPattern())
        memset(pointer, Int32(block.pattern), size)
        slots[slot] = block
        slotOfAddress[address] = slot
        modelLiveBytes += usable
    }

    mutating func forget(_ slot: Int) {
        let block = slots[slot]!
        slots[slot] = nil
        slotOfAddress[UInt(bitPattern: block.pointer)] = nil
        modelLiveBytes -= block.usable
    }

    // MARK: Checks

    func verifyContents(_ block: StackModelBlock) throws {
        try #require(Self.holds(block.pointer, block.size, block.pattern), "block contents changed")
    }

    /// After every operation: O(1).
    func cheapCheck(_ step: Int) throws {
        try #require(reports.errors.isEmpty, "step \(step): heap reported \(reports.errors)")
        try #require(
            heap.statistics.liveBytes == modelLiveBytes,
            "step \(step): live bytes \(heap.statistics.liveBytes) vs model \(modelLiveBytes)")
        try #require(
            heap.statistics.heldBytes == source.mappedBytes,
            "step \(step): held \(heap.statistics.heldBytes) vs mapped \(source.mappedBytes)")
        try #require(
            heap.statistics.mapCalls == source.mapCount && heap.statistics.unmapCalls == source.unmapCount,
            "step \(step): the heap's page-source calls and the source's disagree")
        if let violation = source.cheapCheck() { try Self.fail("step \(step): source \(violation)") }
    }

    /// Every structure of every layer, and every live block reached through the page tables.
    func fullCheck(_ step: Int) throws {
        try cheapCheck(step)
        if let violation = heap.checkInvariants() { try Self.fail("step \(step): heap \(violation)") }
        if let violation = source.checkInvariants() { try Self.fail("step \(step): source \(violation)") }
        for case let block? in slots { try checkReachableThroughPageTables(block, step) }
    }

    /// The block's first and last usable bytes: the heap's pointer is a virtual address in a
    /// recorded mapping, the page tables translate it to the frame the source recorded for its page,
    /// and the heap's byte is that frame's byte (flipped through the pointer, it reads flipped in
    /// the physical view).
    func checkReachableThroughPageTables(_ block: StackModelBlock, _ step: Int) throws {
        for offset in [0, block.usable - 1] {
            let host = block.pointer + offset
            guard let virtual = source.virtualAddress(of: host) else { try Self.fail("step \(step): block byte in no mapping") }
            let recorded = try #require(source.recordedPhysicalAddress(of: virtual))
            let reached = try #require(source.hostPointer(translating: virtual), "step \(step): \(virtual) not user data")
            try #require(reached == source.ram.pointer(to: recorded), "step \(step): page tables disagree at \(virtual)")
            try #require(SimulatedPhysicalMemory.aliases(host, reached), "step \(step): \(virtual) is not its frame's byte")
        }
    }

    /// Frees every block (verifying it), trims, and checks that the heap gave every page back.
    mutating func drainAndTrim() throws {
        for slot in slots.indices where slots[slot] != nil {
            try verifyContents(slots[slot]!)
            release(slot)
        }
        try fullCheck(-1)
        heap.trim()
        try fullCheck(-2)
        try #require(heap.statistics.heldBytes == 0 && heap.statistics.liveBytes == 0)
        try #require(source.mappingCount == 0 && source.mappedPages == 0, "\(source.mappingCount) mappings left")
        try #require(source.mapCount == source.unmapCount)
    }

    static func holds(_ pointer: UnsafeMutableRawPointer, _ byteCount: Int, _ pattern: UInt8) -> Bool {
        guard byteCount > 0 else { return true }
        return pointer.load(as: UInt8.self) == pattern && memcmp(pointer, pointer + 1, byteCount - 1) == 0
    }

    static func fail(_ message: String) throws -> Never {
        Issue.record(Comment(rawValue: message))
        throw CancellationError()
    }
}

@Suite struct WholeStackTests {
    static let fullCheckInterval = 1000
    static let trimInterval = 5000

    /// (a) 200 000 mixed operations over 64 MiB of simulated RAM, then (b) everything comes back.
    @Test func mixedOperationsOverTheKernelStackAgainstAReferenceModel() throws {
        var run = try WholeStackRun(seed: 0x57AC_0001, ramBytes: 64 * MiB, slotCount: 1500, mix: .mixed)
        for step in 0 ..< 200_000 {
            try run.step()
            try run.cheapCheck(step)
            if step % Self.trimInterval == Self.trimInterval - 1 { run.heap.trim() }
            if step % Self.fullCheckInterval == 0 { try run.fullCheck(step) }
        }
        #expect(run.outOfMemoryCount == 0, "64 MiB is enough for this mix")
        // The page tables were really used: many mappings came and went.
        #expect(run.source.mapCount > 500 && run.source.unmapCount > 400)
        #expect(run.source.remapCount > 1000, "large blocks resized and mappings recycled through the kernel's remap")
        try run.drainAndTrim()
        try expectOnlyTheRootLeft(run.source)
        try expectEverythingBackAfterDestroy(run.source)
    }

    /// (b) after trim only the PML4 is held; destroying the space returns it.
    func expectOnlyTheRootLeft(_ source: KernelStackPageSource) throws {
        #expect(source.space.tableFrameCount == 1 && source.outstandingTableFrames == 1)
        #expect(source.space.mapped4KiBCount == 0 && source.space.mappedByteCount == 0)
        #expect(source.usedFrames == 1, "only the PML4 is allocated")
        #expect(source.checkInvariants() == nil)
    }

    func expectEverythingBackAfterDestroy(_ source: KernelStackPageSource) throws {
        let freed = source.destroyAddressSpace()
        #expect(freed.tableFrames == 1 && freed.leaves == 0)
        #expect(source.outstandingTableFrames == 0)
        #expect(source.usedFrames == 0 && source.freeFrames == source.frameStatistics.totalFrames)
        #expect(source.checkInvariants() == nil)
    }

    /// (c) a 4 MiB machine under large requests: nil (never a crash) whenever frames run out, heap
    /// and stack consistent after every operation, everything back at the end. (With frames taken
    /// one at a time, as the kernel takes them, 6 MiB ran out only 9 times in this sequence, 5 MiB
    /// 143 times, 4 MiB 327 times.)
    @Test func smallMachineRunsOutOfFramesAndStaysConsistent() throws {
        var run = try WholeStackRun(seed: 0x57AC_0002, ramBytes: 4 * MiB, slotCount: 120, mix: .pressure)
        for step in 0 ..< 12_000 {
            try run.step()
            try run.cheapCheck(step)
            if step % 250 == 0 { try run.fullCheck(step) }
            if step % 2000 == 1999 { run.heap.trim() }
        }
        #expect(run.outOfMemoryCount > 100, "the machine must actually run out")
        #expect(run.source.outOfMemoryCount > 0)
        try run.drainAndTrim()
        try expectOnlyTheRootLeft(run.source)
        try expectEverythingBackAfterDestroy(run.source)
    }

    /// (c) fill a 4 MiB machine until every tier fails, then free and allocate again.
    @Test func exhaustionReturnsNilAndRecoversAfterFrees() throws {
        var run = try WholeStackRun(seed: 0x57AC_0003, ramBytes: 4 * MiB, slotCount: 4000, mix: .mixed)
        var slot = 0
        var failures = 0
        while failures < 3 {  // fill with 1 KiB blocks, then medium, then large, until each fails
            let size = [1024, 60_000, 300_000][failures]
            if let pointer = run.heap.allocate(byteCount: size) {
                try run.adopt(pointer, size: size, slot: slot)
                slot += 1
            } else {
                failures += 1
            }
            try run.cheapCheck(slot)
        }
        try run.fullCheck(slot)
        // Each of the three failures was a refusal by the source: the heap holds most of RAM and
        // the kernel's map ran out of frames or of table frames for the pages asked (frames are
        // taken one at a time, anywhere: physical alignment and contiguity play no part; what is
        // left is less than a span or region needs, or its page tables).
        #expect(run.source.outOfMemoryCount >= 3)
        #expect(
            run.source.usedFrames * 4 >= run.source.frameStatistics.totalFrames * 3,
            "used \(run.source.usedFrames) of \(run.source.frameStatistics.totalFrames) frames")
        #expect(run.source.mapPages(byteCount: 65_536, alignment: 65_536) == nil)
        // Every entry point answers out of memory without changing anything.
        let held = run.heap.statistics.heldBytes
        #expect(run.heap.allocate(byteCount: 1 << 20) == nil)
        #expect(run.heap.allocateZeroed(count: 4, byteCount: 100_000) == nil)
        #expect(throws: MallocErrno.outOfMemory) { try run.heap.allocateAligned(byteCount: 200_000, alignment: 1 << 16) }
        let victim = run.slots[0]!
        #expect(run.heap.reallocate(victim.pointer, byteCount: 1 << 20) == nil)
        try run.verifyContents(victim)
        #expect(run.heap.statistics.heldBytes == held)
        try run.fullCheck(slot)
        // A freed slot is reused without new pages.
        run.release(0)
        let againOrNil = run.heap.allocate(byteCount: 1024)
        let again = try #require(againOrNil)
        try run.adopt(again, size: 1024, slot: 0)
        try run.fullCheck(slot)
        // Everything back; now the large request that failed fits.
        try run.drainAndTrim()
        try expectOnlyTheRootLeft(run.source)
        let largeOrNil = run.heap.allocate(byteCount: 1 << 20)
        let large = try #require(largeOrNil)
        try run.adopt(large, size: 1 << 20, slot: 0)
        try run.fullCheck(slot)
        try run.drainAndTrim()
        try expectEverythingBackAfterDestroy(run.source)
    }

    /// The frame run fits but the page tables cannot be built: map answers nil and every frame,
    /// table and counter is as before (the half-built tables were rolled back).
    @Test func outOfTableFramesChangesNothing() throws {
        let source = try KernelStackPageSource(ramBytes: 4 * MiB)
        // A fresh slot needs a PDPT, a PD and a PT: with two free frames the data frame and the
        // PDPT fit, the PD does not.
        #expect(source.withholdFrames(leaving: 2) == .leftExactly(2))
        #expect(source.mapPages(byteCount: 4096, alignment: 4096) == nil)
        #expect(source.freeFrames == 2 && source.space.tableFrameCount == 1 && source.mappingCount == 0)
        #expect(source.outOfMemoryCount == 1 && source.checkInvariants() == nil)
        // Four frames are enough: one data frame and three tables.
        source.releaseWithheldFrames()
        source.withholdFrames(leaving: 4)
        let pointer = try #require(source.mapPages(byteCount: 4096, alignment: 4096))
        #expect(source.freeFrames == 0 && source.space.tableFrameCount == 4 && source.checkInvariants() == nil)
        #expect(WholeStackRun.holds(pointer, 4096, 0), "mapped memory reads as zero")
        source.unmapPages(pointer, byteCount: 4096)
        #expect(source.freeFrames == 4 && source.space.tableFrameCount == 1 && source.checkInvariants() == nil)
        source.releaseWithheldFrames()
        #expect(source.usedFrames == 1)
    }

    /// Mappings honour alignment (the heap's pointer is the virtual address), keep a guard page
    /// between them, and their memory is the memory of the frames the tables map.
    @Test func mappingsAreAlignedGuardedAndTranslated() throws {
        let source = try KernelStackPageSource(ramBytes: 16 * MiB)
        var pointers: [(UnsafeMutableRawPointer, Int)] = []
        for (bytes, alignment) in [(4096, 4096), (65_536, 65_536), (12_288, 4096), (262_144, 262_144), (8192, 1 << 20)] {
            let pointer = try #require(source.mapPages(byteCount: bytes, alignment: alignment))
            let virtual = try #require(source.virtualAddress(of: pointer))
            #expect(virtual == VirtualAddress(UInt64(UInt(bitPattern: pointer))) && virtual.isAligned(to: UInt64(alignment)))
            memset(pointer, 0x3C, bytes)
            // The last byte, written through the pointer, is in the frame the tables map for it,
            // which is the frame recorded for that page.
            let lastVirtual = VirtualAddress(virtual.raw + UInt64(bytes) - 1)
            let last = try #require(source.hostPointer(translating: lastVirtual))
            let recorded = try #require(source.recordedPhysicalAddress(of: lastVirtual))
            #expect(last.load(as: UInt8.self) == 0x3C && last == source.ram.pointer(to: recorded))
            #expect(SimulatedPhysicalMemory.aliases(pointer + bytes - 1, last))
            // The page after the mapping is its guard: unmapped.
            #expect(source.space.translate(VirtualAddress(virtual.raw + UInt64(bytes))) == nil)
            pointers.append((pointer, bytes))
        }
        #expect(source.checkInvariants() == nil)
        for (pointer, bytes) in pointers.reversed() { source.unmapPages(pointer, byteCount: bytes) }
        #expect(source.usedFrames == 1 && source.space.tableFrameCount == 1 && source.checkInvariants() == nil)
        // A fresh mapping reads as zero even though the frames were poisoned when unmapped.
        let reused = try #require(source.mapPages(byteCount: 65_536, alignment: 65_536))
        #expect(WholeStackRun.holds(reused, 65_536, 0))
    }

    /// The source's checks can fail: a tampered leaf is caught by checkInvariants and by unmap,
    /// which then changes nothing; a bad unmap is recorded, not obeyed.
    @Test func tamperedTablesAndBadUnmapsAreCaught() throws {
        let source = try KernelStackPageSource(ramBytes: 4 * MiB)
        let pointer = try #require(source.mapPages(byteCount: 8192, alignment: 4096))
        let virtual = try #require(source.virtualAddress(of: pointer))
        let secondPage = VirtualAddress(virtual.raw + 4096)
        try source.space.protect(secondPage, size: .size4KiB, flags: [.user, .noExecute])  // read-only
        guard case .translation(page: secondPage, expected: _, found: _)? = source.checkInvariants() else {
            Issue.record("read-only page not reported: \(String(describing: source.checkInvariants()))")
            return
        }
        let used = source.usedFrames
        source.unmapPages(pointer, byteCount: 8192)
        #expect(source.mappingCount == 1 && source.usedFrames == used, "unmap of a mismatching mapping changed nothing")
        guard case .translationMismatch(page: secondPage, expected: _, found: _)? = source.faults.last else {
            Issue.record("mismatch not recorded: \(source.faults)")
            return
        }
        source.unmapPages(pointer + 4096, byteCount: 4096)
        source.unmapPages(pointer, byteCount: 4096)
        #expect(
            Array(source.faults.suffix(2)) == [
                .unmapOfUnknownPointer(UInt(bitPattern: pointer + 4096)),
                .unmapWithWrongByteCount(recorded: 8192, given: 4096),
            ])
        #expect(source.mapPages(byteCount: 100, alignment: 4096) == nil)
        #expect(source.faults.last == .badMapArguments(byteCount: 100, alignment: 4096))
        #expect(source.mappingCount == 1 && source.usedFrames == used)
    }
}
