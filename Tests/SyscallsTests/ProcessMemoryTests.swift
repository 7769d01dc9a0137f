// The memory calls in random sequences against a reference model (the set of mapped pages, the
// break, the counters), with every invariant checked after every call; TLB invalidation before
// every frame goes back; and teardown returning every frame.
import MemoryCore
import PageTables
import Syscalls
import TestSupport
import Testing

@Suite struct ProcessMemoryTests {
    @Test func unmapAndProtectInvalidateEveryPageBeforeItsFrameIsFreed() throws {
        var (memory, machine) = try makeProcess()
        let address = try memory.map(
            hint: 0, length: 100 * 4096, protection: 3, options: MapOptions.populateBit,
            machine: &machine
        ).get()
        _ = try memory.protect(address: address, length: 100 * 4096, protection: 1, machine: &machine).get()
        let pages = (0 ..< 100).map { VirtualAddress(address + UInt64($0) * 4096) }
        #expect(machine.recorder.events == pages.map { .invalidate($0) })
        machine.recorder.events = []
        _ = try memory.unmap(address: address, length: 100 * 4096, machine: &machine).get()
        #expect(machine.recorder.events.filter { if case .invalidate = $0 { true } else { false } }.count == 100)
        #expect(machine.recorder.events.filter { if case .free = $0 { true } else { false } }.count == 100)
        #expect(machine.freedBeforeInvalidation.isEmpty)
    }

    @Test func aMapBeyondTheCommitLimitLeavesNothingMapped() throws {
        var (memory, machine) = try makeProcess(frames: 1024)
        let free = machine.freeFrameCount
        let outcome = memory.perform(.map(hint: 0, length: 2000 * 4096, protection: 3, options: 1), machine: &machine)
        #expect(outcome.rejection == Rejection(.outOfMemory, .commitLimit))
        #expect(machine.freeFrameCount == free && machine.freedBeforeInvalidation.isEmpty)
        #expect(memory.checkInvariants(zeroFrame: machine.sharedZeroFrame, ledger: memory.tableFrames) == nil)
    }

    @Test func writeAndMemstatCopyThroughThePageTables() throws {
        var (memory, machine) = try makeProcess()
        let address = try memory.map(hint: 0, length: 8192, protection: 3, machine: &machine).get()
        let text = Array("hello across a page boundary".utf8)
        let refused: RejectionReason? = text.withUnsafeBytes { bytes in
            do throws(RejectionReason) { try memory.writeUser(address: address + 4090, from: bytes, machine: &machine) } catch {
                return error
            }
            return nil
        }
        #expect(refused == nil)
        #expect(
            try memory.write(address: address + 4090, length: UInt64(text.count), machine: &machine).get() == UInt64(text.count))
        #expect(machine.console == text)
        _ = try memory.memstat(output: address + 100, machine: &machine).get()
        #expect(memory.statistics.residentPages == 2 + 2, "the image and the two pages written")
        var copied: [UInt8] = []
        try memory.readUser(address: address + 100, length: UInt64(MemoryStatistics.recordBytes)) {
            copied.append(contentsOf: $0)
        }
        var expected = memory.statistics
        expected.freeFramesSystem = machine.freeFrameCount
        expected.commitLimitSystem = machine.commit.limitPages
        expected.committedSystem = machine.commit.committedPages
        var record = expected.record
        #expect(copied == withUnsafeBytes(of: &record) { Array($0) })
    }

    /// The placement rule (issue 12): a hinted mapping exactly where the next unhinted one would
    /// go makes the search step past it, never fail; later unhinted maps keep their gap pages.
    @Test func hintedMapAtTheCursorDoesNotBlockUnhintedMaps() throws {
        var (memory, machine) = try makeProcess()
        let first = try memory.map(hint: 0, length: 4096, protection: 3, machine: &machine).get()
        let cursor = memory.mapNext.raw
        let squatter = cursor + 4096
        #expect(try memory.map(hint: squatter, length: 8 * 4096, protection: 3, machine: &machine).get() == squatter)
        var previousEnd = first + 4096
        for _ in 0 ..< 16 {
            let next = try memory.map(hint: 0, length: 2 * 4096, protection: 3, machine: &machine).get()
            #expect(next >= previousEnd + 4096, "a gap page after the previous mapping")
            #expect(next + 2 * 4096 + 4096 <= squatter || next >= squatter + 8 * 4096 + 4096, "clear of the hinted mapping")
            previousEnd = next + 2 * 4096
        }
        #expect(memory.checkInvariants(zeroFrame: machine.sharedZeroFrame, ledger: memory.tableFrames) == nil)
    }

    /// Reference model: which pages are mapped by `map`, the break, the counters.
    @Test(arguments: [1, 2, 3])
    func randomCallsAgainstAReferenceModel(seed: UInt64) throws {
        var random = SeededGenerator(seed: seed)
        var (memory, machine) = try makeProcess(frames: 2048)
        let framesAtStart = machine.freeFrameCount + UInt64(memory.pagesMapped) + UInt64(memory.space.tableFrameCount)
        let committedAtStart = machine.commit.committedPages - memory.committedPages
        var mapped: [UInt64: Int] = [:]  // page -> protection bits
        var maps: [(UInt64, UInt64)] = []
        var written: [UInt64: UInt8] = [:]  // map page -> the byte at offset 7 (pages never written read 0)
        for step in 0 ..< 1000 {
            switch random.next() % 8 {
            case 0, 1:
                let pages = 1 + random.next() % 40
                let hint: UInt64 = random.next() % 4 == 0 && !maps.isEmpty ? maps.randomElement(using: &random)!.0 + 4096 : 0
                // A hinted map goes exactly at its hint or is refused; an unhinted one searches the
                // map area for free pages (with a gap page on each side), so it succeeds unless
                // frames or the area run out.
                let outcome = memory.perform(
                    .map(
                        hint: hint, length: pages * 4096 - random.next() % 4096, protection: 3,
                        options: random.next() % 4 == 0 ? MapOptions.populateBit : 0),
                    machine: &machine)
                let place = hint == 0 ? (outcome.rejection == nil ? UInt64(outcome.result) : memory.mapNext.raw) : hint
                let free = (0 ..< pages).allSatisfy { mapped[place + $0 * 4096] == nil }
                if hint == 0, outcome.rejection == nil {
                    #expect(place >= UserSpace.mapAreaStart.raw && place + pages * 4096 <= UserSpace.mapAreaEnd.raw)
                    #expect(mapped[place - 4096] == nil && mapped[place + pages * 4096] == nil, "step \(step): no gap")
                }
                if hint == 0, let rejection = outcome.rejection {
                    #expect([.commitLimit, .mapAreaFull].contains(rejection.reason), "step \(step): \(outcome)")
                }
                if outcome.rejection == nil {
                    #expect(free, "step \(step): map over mapped pages")
                    let start = UInt64(outcome.result)
                    for page in 0 ..< pages { mapped[start + page * 4096] = 3 }
                    maps.append((start, pages))
                } else {
                    #expect(
                        !free || outcome.rejection!.reason == .commitLimit,
                        "step \(step): \(outcome)")
                }
            case 2:
                guard let (start, pages) = maps.randomElement(using: &random) else { continue }
                let first = random.next() % pages
                let count = 1 + random.next() % (pages - first)
                let address = start + first * 4096
                let allMapped = (0 ..< count).allSatisfy { mapped[address + $0 * 4096] != nil }
                let outcome = memory.perform(.unmap(address: address, length: count * 4096), machine: &machine)
                #expect((outcome.rejection == nil) == allMapped, "step \(step): unmap \(outcome)")
                #expect(allMapped || outcome.rejection?.reason == .notMapped)
                if allMapped {
                    for page in 0 ..< count {
                        mapped[address + page * 4096] = nil
                        written[address + page * 4096] = nil
                    }
                }
            case 3:
                guard let (start, pages) = maps.randomElement(using: &random) else { continue }
                let protection: UInt64 = [1, 3, 5][Int(random.next() % 3)]
                let allMapped = (0 ..< pages).allSatisfy { mapped[start + $0 * 4096] != nil }
                let outcome = memory.perform(
                    .protect(address: start, length: pages * 4096, protection: protection), machine: &machine)
                #expect((outcome.rejection == nil) == allMapped, "step \(step): protect \(outcome)")
                if allMapped { for page in 0 ..< pages { mapped[start + page * 4096] = Int(protection) } }
            case 5:
                // remap a recorded mapping (pages in the model that still hold one protection) to a
                // new size, moving it when it must (sometimes aligned, sometimes populating the
                // growth); the written bytes must move with their pages, holes stay holes.
                guard let index = maps.indices.randomElement(using: &random) else { continue }
                let (start, pages) = maps[index]
                let newPages = 1 + random.next() % 48
                let protections = Set((0 ..< pages).map { mapped[start + $0 * 4096] })
                let flags = RemapFlags(
                    mayMove: true, populate: random.next() % 4 == 0,
                    alignment: random.next() % 3 == 0 ? 16 * 4096 : 4096)
                let committedBefore = memory.committedPages
                let outcome = memory.perform(
                    .remap(
                        address: start, oldLength: pages * 4096, newLength: newPages * 4096,
                        flags: flags.rawValue), machine: &machine)
                guard let protection = protections.first!, protections.count == 1 else {
                    #expect(outcome.rejection != nil, "step \(step): remap over a hole or mixed protections")
                    continue
                }
                guard outcome.rejection == nil else {
                    #expect(
                        [.outOfFrames, .outOfTableFrames, .mapAreaFull, .commitLimit, .quotaExceeded].contains(
                            outcome.rejection!.reason),
                        "step \(step): \(outcome)")
                    #expect(memory.committedPages == committedBefore, "step \(step): a refused remap changed the charge")
                    continue
                }
                let moved = UInt64(outcome.result)
                machine.relearnPages(of: memory, from: moved, pageCount: newPages)
                if newPages > pages && protection & 2 != 0 {
                    #expect(memory.committedPages >= committedBefore + newPages - pages, "step \(step): growth uncharged")
                }
                var movedBytes: [UInt64: UInt8] = [:]
                for page in 0 ..< pages {
                    mapped[start + page * 4096] = nil
                    if let byte = written.removeValue(forKey: start + page * 4096), page < newPages {
                        movedBytes[moved + page * 4096] = byte
                    }
                }
                #expect(
                    moved == start || (0 ..< newPages).allSatisfy { mapped[moved + $0 * 4096] == nil },
                    "step \(step): moved onto a mapping")
                for page in 0 ..< newPages { mapped[moved + page * 4096] = protection }
                written.merge(movedBytes) { $1 }
                maps[index] = (moved, newPages)
            case 6:
                // Touch a page of a recorded mapping as ring 3 would: a write (storing a byte the
                // model remembers) where the protection allows it, else a read.
                guard let (start, pages) = maps.randomElement(using: &random) else { continue }
                let page = start + (random.next() % pages) * 4096
                guard let protection = mapped[page] else { continue }
                if protection & 2 != 0 {
                    let present = memory.space.translate(VirtualAddress(page)) != nil
                    #expect(
                        (try? memory.resolveFault(fault(page, .write, present: present), machine: &machine).get()) != nil,
                        "step \(step)")
                    let byte = UInt8(truncatingIfNeeded: random.next())
                    storeUserByte(memory, machine, page + 7, byte)
                    written[page] = byte
                } else {
                    #expect((try? memory.resolveFault(fault(page, .read), machine: &machine).get()) != nil, "step \(step)")
                }
            case 4:
                let target = memory.breakStart.raw + random.next() % (64 * 4096)
                let outcome = memory.perform(.brk(requested: target), machine: &machine)
                #expect(outcome.result == Int64(target) || outcome.rejection != nil)
            default:
                let outcome = memory.perform(
                    .memstat(output: UserSpace.stackEnd.raw - UInt64(MemoryStatistics.recordBytes)), machine: &machine)
                #expect(outcome.rejection == nil)
            }
            let mapPages = mapped.count
            let breakPages = Int((alignUp(memory.breakCurrent.raw, to: 4096)! - memory.breakStart.raw) / 4096)
            let reserved = memory.regions.regions.reduce(0) { $0 + Int($1.pageCount) }
            #expect(reserved == 2 + Int(UserSpace.stackPages) + mapPages + breakPages, "step \(step)")
            for (page, protection) in mapped.prefix(8) {
                let flags = memory.regions.region(containing: VirtualAddress(page))?.flags
                #expect(flags?.contains(.writable) == (protection & 2 != 0), "step \(step)")
                if let backed = memory.space.translate(VirtualAddress(page)), backed.flags.contains(.writable) {
                    #expect(protection & 2 != 0, "step \(step): a backed page writable beyond its protection")
                }
            }
            for (page, byte) in written.prefix(8) {
                #expect(userByte(memory, machine, page + 7) == byte, "step \(step): a written byte was lost")
            }
            for (page, _) in mapped.prefix(8) where written[page] == nil {
                #expect((userByte(memory, machine, page + 7) ?? 0) == 0, "step \(step): a page never written is not zero")
            }
            #expect(
                machine.commit.committedPages == committedAtStart + memory.committedPages, "step \(step): charges != system total"
            )
            #expect(UInt64(memory.pagesMapped) <= memory.committedPages, "step \(step): resident > committed")
            let violation = memory.checkInvariants(zeroFrame: machine.sharedZeroFrame, ledger: memory.tableFrames)
            #expect(violation == nil, "step \(step)")
            #expect(machine.freedBeforeInvalidation.isEmpty)
            if violation != nil { break }
        }
        let (userFrames, tableFrames) = memory.destroy(machine: &machine)
        #expect(machine.freeFrameCount == framesAtStart && userFrames > 0 && tableFrames > 0)
        #expect(machine.commit.committedPages == committedAtStart)
        #expect(machine.pool.tableFrames.isEmpty && machine.pool.userFrames.isEmpty)
    }
}
