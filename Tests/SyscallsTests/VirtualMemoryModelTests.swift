// Several processes on one machine, 200 000 random operations (map, unmap, protect, brk, remap,
// read and write faults, process exit) against a reference model, with every invariant checked after
// every operation: the changed process's own checker (regions, leaves, zero frame, resident <=
// committed region by region, charges; every process every 1000 steps), every frame owned exactly
// once across the machine, the charges summing to the system's committed total, the bytes each process reads being the bytes the model
// says it wrote (zero for untouched pages), and destroy returning every frame and every charge.
//
// The model's page-table charge is computed independently of RegionMap: the distinct 2 MiB,
// 1 GiB and 512 GiB spans of the set of reserved pages.
import MemoryCore
import PageTables
import Syscalls
import TestSupport
import Testing

/// What the model knows of one reserved page.
struct ModelPage {
    var protection: UInt64  // 1 r, 3 rw, 5 rx
    var charged: Bool
    /// The byte at offset 0 as last written (0 when never written).
    var byte: UInt8 = 0
}

/// One process in the model. Its charges are kept incrementally (every page goes in and out
/// through `reserve`/`release`), so comparing them after every step stays cheap.
struct ModelProcess {
    var memory: TestMemory
    private(set) var pages: [UInt64: ModelPage] = [:]
    var maps: [(start: UInt64, pages: UInt64)] = []
    var breakPages: UInt64 = 0
    private(set) var chargedDataPages: UInt64 = 0
    /// Reserved pages per 2 MiB, 1 GiB and 512 GiB span.
    private var spans: [[UInt64: Int]] = [[:], [:], [:]]
    static let spanShifts: [UInt64] = [21, 30, 39]

    init(memory: TestMemory) { self.memory = memory }

    /// Tables the reserved pages could need: the distinct spans at each level.
    var tablePages: UInt64 { UInt64(spans.reduce(0) { $0 + $1.count }) }

    subscript(page: UInt64) -> ModelPage? { pages[page] }

    mutating func reserve(_ page: UInt64, _ model: ModelPage) {
        precondition(pages[page] == nil)
        pages[page] = model
        if model.charged { chargedDataPages += 1 }
        for level in 0 ..< 3 { spans[level][page >> Self.spanShifts[level], default: 0] += 1 }
    }

    mutating func release(_ page: UInt64) {
        let model = pages.removeValue(forKey: page)!
        if model.charged { chargedDataPages -= 1 }
        for level in 0 ..< 3 {
            let key = page >> Self.spanShifts[level]
            spans[level][key]! -= 1
            if spans[level][key] == 0 { spans[level][key] = nil }
        }
    }

    mutating func update(_ page: UInt64, protection: UInt64? = nil, byte: UInt8? = nil) {
        var model = pages[page]!
        if let protection {
            model.protection = protection
            if protection & 2 != 0 && !model.charged {
                model.charged = true
                chargedDataPages += 1
            }
        }
        if let byte { model.byte = byte }
        pages[page] = model
    }
}

@Suite struct VirtualMemoryModelTests {
    static let frames = 2048
    static let processCount = 3
    static let operations = 200_000
    static let fullCheckInterval = 1000

    @Test func randomOperationsOnSeveralProcessesAgainstAReferenceModel() throws {
        var random = SeededGenerator(seed: 8)
        let ram = SimulatedRAM(frameCount: Self.frames)
        let pool = FramePool(frameCount: Self.frames)
        var machine = SimulatedMachine(ram: ram, pool: pool)
        var processes = try (0 ..< Self.processCount).map { _ in try Self.start(&machine) }
        var counts: [String: Int] = [:]
        for step in 0 ..< Self.operations {
            let index = Int(random.next() % UInt64(processes.count))
            let name = Self.step(&processes[index], &machine, &random)
            // Teardown frees without invalidating: the space is no longer loaded anywhere.
            if name == "exit" { machine.freedBeforeInvalidation.removeAll() }
            guard machine.freedBeforeInvalidation.isEmpty else {
                Issue.record("step \(step) after \(name): a frame freed before its page was invalidated")
                return
            }
            machine.recorder.events.removeAll(keepingCapacity: true)  // one step's events are checked within it
            counts[name, default: 0] += 1
            // The model's charges move only with reservations (a touch never changes them).
            let chargesMayHaveMoved = !["read", "write", "touch-refused", "touch-unreserved"].contains(name)
            if let problem = Self.check(
                processes, machine, changed: index, compareCharges: chargesMayHaveMoved || step % 64 == 0,
                full: step % Self.fullCheckInterval == 0)
            {
                Issue.record("step \(step) after \(name): \(problem)")
                return
            }
        }
        for index in processes.indices { _ = processes[index].memory.destroy(machine: &machine) }
        #expect(machine.commit.committedPages == 0 && pool.userFrames.isEmpty && pool.tableFrames.isEmpty)
        #expect(pool.free.count == Self.frames - 2, "every frame back but frame 0 and the zero frame")
        for name in [
            "map", "unmap", "protect", "brk", "remap", "remap-refused", "read", "write", "exit", "touch-refused",
            "touch-unreserved",
        ] {
            #expect(counts[name, default: 0] > 100, "\(name) too rare: \(counts)")
        }
        #expect(counts["map-refused", default: 0] > 0, "the commit limit was met: \(counts)")
    }

    /// A process with a 2-page image and its stack, as the loader leaves it.
    static func start(_ machine: inout SimulatedMachine) throws -> ModelProcess {
        var tables = PoolTables(pool: machine.pool)
        let space = try AddressSpace(kind: .user, memory: RAMAccess(ram: machine.ram), tableFrames: &tables)
        var memory = ProcessMemory(space: space, tableFrames: tables)
        try memory.mapZeroed(at: UserSpace.imageBase, pageCount: 2, flags: TestMemory.userData, machine: &machine)
        memory.setImage(start: UserSpace.imageBase, end: VirtualAddress(UserSpace.imageBase.raw + 2 * 4096))
        try memory.mapStack(machine: &machine)
        var process = ModelProcess(memory: memory)
        for page in 0 ..< UInt64(2) {
            process.reserve(UserSpace.imageBase.raw + page * 4096, ModelPage(protection: 3, charged: true))
        }
        for page in 0 ..< UserSpace.stackPages {
            process.reserve(UserSpace.stackStart.raw + page * 4096, ModelPage(protection: 3, charged: true))
        }
        return process
    }

    /// One random operation on `process`; returns its name.
    static func step(_ process: inout ModelProcess, _ machine: inout SimulatedMachine, _ random: inout SeededGenerator) -> String
    {
        switch random.next() % 17 {
        case 0, 1: return map(&process, &machine, &random)
        case 2: return unmap(&process, &machine, &random)
        case 3: return protect(&process, &machine, &random)
        case 4: return brk(&process, &machine, &random)
        case 5 ... 9: return touch(&process, &machine, &random, write: false)
        case 10 ... 14: return touch(&process, &machine, &random, write: true)
        case 15: return remap(&process, &machine, &random)
        default:
            guard random.next() % 8 == 0 else { return touch(&process, &machine, &random, write: true) }
            _ = process.memory.destroy(machine: &machine)
            process = try! start(&machine)  // the stack and image always fit: the others stay small
            return "exit"
        }
    }

    static func map(_ process: inout ModelProcess, _ machine: inout SimulatedMachine, _ random: inout SeededGenerator) -> String {
        let pages = 1 + random.next() % 24
        let protection: UInt64 = [1, 3, 3, 5][Int(random.next() % 4)]
        let populate = random.next() % 5 == 0
        let outcome = process.memory.perform(
            .map(
                hint: 0, length: pages * 4096, protection: protection,
                options: populate ? MapOptions.populateBit : 0), machine: &machine)
        if let rejection = outcome.rejection {
            // Refused only because the charge did not fit (the charges themselves are compared with
            // the model's after every step).
            let room = machine.commit.limitPages - machine.commit.committedPages
            precondition(rejection.reason == .commitLimit, "map refused: \(rejection)")
            precondition(process.memory.lastCommitRefusal!.requestedPages > room, "refused a charge that fit")
            return "map-refused"
        }
        let start = UInt64(outcome.result), charged = populate || protection & 2 != 0
        for page in 0 ..< pages { process.reserve(start + page * 4096, ModelPage(protection: protection, charged: charged)) }
        process.maps.append((start, pages))
        return "map"
    }

    static func unmap(_ process: inout ModelProcess, _ machine: inout SimulatedMachine, _ random: inout SeededGenerator) -> String
    {
        guard !process.maps.isEmpty else { return "unmap-none" }
        let which = Int(random.next() % UInt64(process.maps.count))
        let (start, pages) = process.maps[which]
        let first = random.next() % pages, count = 1 + random.next() % (pages - first)
        let address = start + first * 4096
        let whole = (0 ..< count).allSatisfy { process[address + $0 * 4096] != nil }
        let outcome = process.memory.perform(.unmap(address: address, length: count * 4096), machine: &machine)
        precondition((outcome.rejection == nil) == whole, "unmap \(outcome)")
        guard whole else { return "unmap-refused" }
        for page in 0 ..< count { process.release(address + page * 4096) }
        if (0 ..< pages).allSatisfy({ process[start + $0 * 4096] == nil }) { process.maps.remove(at: which) }
        return "unmap"
    }

    static func protect(
        _ process: inout ModelProcess, _ machine: inout SimulatedMachine, _ random: inout SeededGenerator
    ) -> String {
        guard let (start, pages) = process.maps.randomElement(using: &random) else { return "protect-none" }
        let protection: UInt64 = [1, 3, 5][Int(random.next() % 3)]
        let whole = (0 ..< pages).allSatisfy { process[start + $0 * 4096] != nil }
        let outcome = process.memory.perform(
            .protect(address: start, length: pages * 4096, protection: protection), machine: &machine)
        guard whole else {
            precondition(outcome.rejection?.reason == .notMapped, "protect over a hole: \(outcome)")
            return "protect-refused"
        }
        if let rejection = outcome.rejection {
            precondition(rejection.reason == .commitLimit && protection == 3, "protect: \(rejection)")
            return "protect-refused"
        }
        for page in 0 ..< pages { process.update(start + page * 4096, protection: protection) }
        return "protect"
    }

    static func brk(_ process: inout ModelProcess, _ machine: inout SimulatedMachine, _ random: inout SeededGenerator) -> String {
        let target = random.next() % 24
        let breakStart = process.memory.breakStart.raw
        let outcome = process.memory.perform(.brk(requested: breakStart + target * 4096), machine: &machine)
        if outcome.rejection != nil {
            precondition(outcome.rejection?.reason == .commitLimit || outcome.rejection?.reason == .overlapsMapping)
            return "brk-refused"
        }
        for page in min(target, process.breakPages) ..< max(target, process.breakPages) {
            if target > process.breakPages {
                process.reserve(breakStart + page * 4096, ModelPage(protection: 3, charged: true))
            } else {
                process.release(breakStart + page * 4096)
            }
        }
        process.breakPages = target
        return "brk"
    }

    /// remap of a recorded mapping to 1 ... 32 pages: mayMove 3 times in 4, populate 1 in 5, a
    /// 64 KiB alignment 1 in 4; a fixed destination 1 in 3 of the moves (on another mapping, near
    /// the run, or where unhinted maps go; now and then off the alignment). Refused exactly when
    /// the model says (a page not reserved, two protections; a fixed destination misaligned,
    /// overlapping the run, or holding a reserved page; else only the charge, or growth blocked
    /// without mayMove); on success the model's pages move with their bytes and charge rule, the
    /// growth is reserved as map does.
    static func remap(_ process: inout ModelProcess, _ machine: inout SimulatedMachine, _ random: inout SeededGenerator) -> String
    {
        guard !process.maps.isEmpty else { return "remap-none" }
        let which = Int(random.next() % UInt64(process.maps.count))
        let (start, pages) = process.maps[which]
        let newPages = 1 + random.next() % 32
        var flags = RemapFlags(
            mayMove: random.next() % 4 != 0, populate: random.next() % 5 == 0,
            alignment: random.next() % 4 == 0 ? 64 << 10 : 4096)
        flags.fixed = flags.mayMove && random.next() % 3 == 0
        let destination = flags.fixed ? fixedDestination(process, near: start, &random) : 0
        let outcome = process.memory.perform(
            .remap(
                address: start, oldLength: pages * 4096, newLength: newPages * 4096,
                flags: flags.rawValue, destination: destination), machine: &machine)
        let old = (0 ..< pages).map { process[start + $0 * 4096] }
        guard old.allSatisfy({ $0 != nil }) else {
            precondition(outcome.rejection?.reason == .notMapped, "remap over a hole: \(outcome)")
            return "remap-refused"
        }
        let protection = old[0]!.protection
        guard old.allSatisfy({ $0!.protection == protection }) else {
            precondition(outcome.rejection?.reason == .mixedProtection, "remap over two protections: \(outcome)")
            return "remap-refused"
        }
        if flags.fixed, let expected = fixedRefusal(process, destination, newPages, flags, run: (start, pages)) {
            precondition(outcome.rejection == expected, "fixed remap to \(destination): \(outcome), expected \(expected)")
            return "remap-refused"
        }
        if let rejection = outcome.rejection {
            if rejection.reason == .commitLimit {
                let room = machine.commit.limitPages - machine.commit.committedPages
                precondition(process.memory.lastCommitRefusal!.requestedPages > room, "refused a charge that fit")
            } else {
                precondition(rejection.reason == .noRoomInPlace && !flags.mayMove && newPages > pages, "remap: \(rejection)")
            }
            return "remap-refused"
        }
        let address = UInt64(outcome.result)
        machine.relearnPages(of: process.memory, from: address, pageCount: newPages)
        precondition(
            flags.fixed
                ? address == destination
                : address == start || (newPages > pages && flags.mayMove && address % flags.alignment == 0),
            "remap placed \(address)")
        for page in 0 ..< pages {  // the kept pages move (when the run does) with their bytes; the tail goes
            process.release(start + page * 4096)
            if page < newPages { process.reserve(address + page * 4096, old[Int(page)]!) }
        }
        for page in min(pages, newPages) ..< newPages {
            process.reserve(
                address + page * 4096, ModelPage(protection: protection, charged: flags.populate || protection & 2 != 0))
        }
        process.maps[which] = (address, newPages)
        return "remap"
    }

    /// A fixed destination to try: a page of one of the process's mappings (often occupied), a
    /// page near the run (often overlapping it), or a 64 KiB boundary where unhinted maps go
    /// (often free); one in 8 a page off its boundary.
    static func fixedDestination(_ process: ModelProcess, near start: UInt64, _ random: inout SeededGenerator) -> UInt64 {
        let page: UInt64
        switch random.next() % 3 {
        case 0:
            let (other, pages) = process.maps[Int(random.next() % UInt64(process.maps.count))]
            page = other + (random.next() % pages) * 4096
        case 1: page = start + (random.next() % 64) * 4096 - min(start - UserSpace.mapAreaStart.raw, 32 * 4096)
        default: page = process.memory.mapNext.raw / (64 << 10) * (64 << 10) + (random.next() % 64) * (64 << 10)
        }
        return random.next() % 8 == 0 ? page + 4096 : page
    }

    /// The model's answer to a fixed remap whose run is valid: nil when it must be done (or
    /// refused for the charge only).
    static func fixedRefusal(
        _ process: ModelProcess, _ destination: UInt64, _ newPages: UInt64, _ flags: RemapFlags,
        run: (start: UInt64, pages: UInt64)
    ) -> Rejection? {
        if destination % flags.alignment != 0 { return Rejection(.invalidArgument, .badRange(.misaligned)) }
        let end = destination + newPages * 4096
        if end > run.start && destination < run.start + run.pages * 4096 {
            return Rejection(.invalidArgument, .destinationOverlapsRun)
        }
        for page in 0 ..< newPages where process[destination + page * 4096] != nil {
            return Rejection(.exists, .overlapsMapping)
        }
        return nil
    }

    /// A fault as the CPU would raise it for a read or write of a random page (reserved or not),
    /// then the access itself when the fault was resolved.
    static func touch(
        _ process: inout ModelProcess, _ machine: inout SimulatedMachine, _ random: inout SeededGenerator,
        write: Bool
    ) -> String {
        let page: UInt64
        if let region = process.memory.regions.regions.randomElement(using: &random), random.next() % 8 != 0 {
            page = region.start.raw + random.next() % region.pageCount * 4096
        } else {
            page = UserSpace.mapAreaStart.raw + random.next() % 512 * 4096
        }
        let present = process.memory.space.translate(VirtualAddress(page)) != nil
        let outcome = process.memory.resolveFault(fault(page, write ? .write : .read, present: present), machine: &machine)
        guard let model = process[page] else {
            precondition(outcome == .failure(.notMapped), "a touch outside every region: \(outcome)")
            return "touch-unreserved"
        }
        if write && model.protection & 2 == 0 {
            precondition(outcome == .failure(.protectionViolation), "a write to read-only memory: \(outcome)")
            return "touch-refused"
        }
        guard case .success = outcome else { preconditionFailure("a touch of reserved memory refused: \(outcome)") }
        precondition(userByte(process.memory, machine, page) == model.byte, "page \(page) lost its byte")
        if write {
            let byte = UInt8(truncatingIfNeeded: random.next()) | 1
            storeUserByte(process.memory, machine, page, byte)
            process.update(page, byte: byte)
        }
        return write ? "write" : "read"
    }

    /// The machine-wide rules and the checker of the process that just changed (a step changes one
    /// process only; every process is walked every `fullCheckInterval` steps); nil when all hold.
    /// A frame owned twice across processes shows as the pool's user-frame set being smaller than
    /// the resident pages summed; within the changed process it is found by the walk.
    static func check(
        _ processes: [ModelProcess], _ machine: SimulatedMachine, changed: Int, compareCharges: Bool,
        full: Bool
    ) -> String? {
        var tables = 0, committed: UInt64 = 0, resident = 0
        for (index, process) in processes.enumerated() {
            let memory = process.memory
            tables += memory.space.tableFrameCount
            committed += memory.committedPages
            resident += memory.pagesMapped
            guard index == changed || full else { continue }
            if let violation = memory.checkInvariants(zeroFrame: machine.sharedZeroFrame) { return "\(violation)" }
            guard
                !compareCharges
                    || (memory.chargedDataPages == process.chargedDataPages && memory.chargedTablePages == process.tablePages)
            else {
                return
                    "charge \(memory.chargedDataPages)+\(memory.chargedTablePages), model \(process.chargedDataPages)+\(process.tablePages)"
            }
            var privateFrames = Set<FrameNumber>()
            for region in memory.regions.regions {
                var problem: String? = nil
                try? memory.space.leaves(startingAt: region.start, pageCount: region.pageCount) { _, frame, _ in
                    guard frame != machine.sharedZeroFrame else { return }
                    if !privateFrames.insert(frame).inserted { problem = "a frame mapped twice" }
                    if !machine.pool.userFrames.contains(frame) {
                        problem = "a mapped frame the pool does not count as a user frame"
                    }
                }
                if let problem { return problem }
            }
        }
        guard resident == machine.pool.userFrames.count else {
            return "resident \(resident) != user frames \(machine.pool.userFrames.count)"
        }
        guard tables == machine.pool.tableFrames.count else {
            return "table frames \(tables) != \(machine.pool.tableFrames.count)"
        }
        guard committed == machine.commit.committedPages, committed <= machine.commit.limitPages else {
            return "charges \(committed) != system \(machine.commit.committedPages)"
        }
        guard machine.pool.free.count + resident + tables + 2 == frames else { return "a frame is lost" }
        return nil
    }
}
