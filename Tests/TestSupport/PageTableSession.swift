// The page tables' reference model and a session that drives an address space and the model with
// the same operations: shared by PageTablesTests (seeded, SeededGenerator) and the pagetables fuzz
// target (Tests/Fuzz: the fuzzer's input bytes are the generator, FuzzInputGenerator).
import MemoryCore
import PageTables

/// The error a page-table operation threw, or nil when it succeeded.
public func pageTableError<T>(_ body: () throws(PageTableError) -> T) -> PageTableError? {
    do {
        _ = try body()
        return nil
    } catch {
        return error
    }
}

/// The reference model: a dictionary page -> mapping, plus occupancy counts per 2 MiB region (4 KiB
/// pages only), per 1 GiB region and per PML4 slot, from which the exact number of tables the real
/// structure must hold follows: 1 (root) + #slots used + #GiB regions used + #2 MiB regions with
/// 4 KiB pages.
public struct PageTableModel {
    public struct Mapping: Equatable {
        public var frame: FrameNumber
        public var flags: PageFlags
        public var size: PageSize

        public init(frame: FrameNumber, flags: PageFlags, size: PageSize) {
            (self.frame, self.flags, self.size) = (frame, flags, size)
        }
    }

    public var mappings: [UInt64: Mapping] = [:]
    /// The mapped pages in a deterministic order (Dictionary order changes from run to run with
    /// hash seeding), so a seed always replays the same operations; `position` indexes it.
    public var pages: [UInt64] = []
    public var position: [UInt64: Int] = [:]
    public var smallPagesPer2MiB: [UInt64: Int] = [:]
    public var mappingsPer1GiB: [UInt64: Int] = [:]
    public var mappingsPerSlot: [UInt64: Int] = [:]
    public var count4KiB = 0
    public var count2MiB = 0

    public init() {}

    public var expectedTables: Int { 1 + mappingsPerSlot.count + mappingsPer1GiB.count + smallPagesPer2MiB.count }

    public static func base(_ address: UInt64, _ bytes: UInt64) -> UInt64 { address & ~(bytes - 1) }

    /// The mapping that covers `address`, with its page base.
    public func covering(_ address: UInt64) -> (UInt64, Mapping)? {
        if let small = mappings[Self.base(address, 4096)], small.size == .size4KiB { return (Self.base(address, 4096), small) }
        if let huge = mappings[Self.base(address, 2 * MiB)], huge.size == .size2MiB { return (Self.base(address, 2 * MiB), huge) }
        return nil
    }

    /// True when mapping `page` with `size` would overlap something.
    public func conflicts(_ page: UInt64, _ size: PageSize) -> Bool {
        switch size {
        case .size4KiB: covering(page) != nil
        case .size2MiB: mappings[page] != nil || smallPagesPer2MiB[page] != nil
        }
    }

    /// Tables a new mapping needs that do not exist yet.
    public func newTablesNeeded(_ page: UInt64, _ size: PageSize) -> Int {
        var needed = 0
        if mappingsPerSlot[Self.base(page, 512 * GiB)] == nil { needed += 1 }
        if mappingsPer1GiB[Self.base(page, GiB)] == nil { needed += 1 }
        if size == .size4KiB && smallPagesPer2MiB[Self.base(page, 2 * MiB)] == nil { needed += 1 }
        return needed
    }

    /// The outcome unmap/protect of (page, size) must have, ignoring argument validation.
    public func lookup(_ page: UInt64, _ size: PageSize) -> Result<Mapping, PageTableError> {
        if let mapping = mappings[page], mapping.size == size { return .success(mapping) }
        switch size {
        case .size4KiB: return covering(page) != nil ? .failure(.pageSizeMismatch) : .failure(.notMapped)
        case .size2MiB: return smallPagesPer2MiB[page] != nil ? .failure(.pageSizeMismatch) : .failure(.notMapped)
        }
    }

    public mutating func insert(_ page: UInt64, _ mapping: Mapping) {
        mappings[page] = mapping
        position[page] = pages.count
        pages.append(page)
        adjust(page, mapping.size, +1)
    }

    public mutating func remove(_ page: UInt64) {
        let mapping = mappings.removeValue(forKey: page)!
        let index = position.removeValue(forKey: page)!
        let last = pages.removeLast()
        if last != page {
            pages[index] = last
            position[last] = index
        }
        adjust(page, mapping.size, -1)
    }

    private mutating func adjust(_ page: UInt64, _ size: PageSize, _ delta: Int) {
        func bump(_ table: inout [UInt64: Int], _ key: UInt64) {
            let value = table[key, default: 0] + delta
            table[key] = value == 0 ? nil : value
        }
        bump(&mappingsPerSlot, Self.base(page, 512 * GiB))
        bump(&mappingsPer1GiB, Self.base(page, GiB))
        if size == .size4KiB {
            bump(&smallPagesPer2MiB, Self.base(page, 2 * MiB))
            count4KiB += delta
        } else {
            count2MiB += delta
        }
    }
}

extension Result {
    public var failureValue: Failure? {
        if case .failure(let failure) = self { return failure }
        return nil
    }
}

public struct ModelMismatch: Error, CustomStringConvertible {
    public var description: String
}

/// Seeded random map / unmap / protect / translate / range operations on 4 KiB and 2 MiB pages,
/// each checked against `PageTableModel`: outcome (value or exact error), counts, table count,
/// frames outstanding at the source and the translation of the touched page after every step;
/// `checkInvariants` every `auditInterval` steps and a translation sweep over the whole model every
/// `sweepInterval` steps.
public struct PageTableSession<Generator: RandomNumberGenerator> {
    /// Full `checkInvariants` every 50 steps, a translation sweep over the whole model every 500
    /// (both O(tables * 512) or O(model) and slow in debug builds); the cheap checks run every step.
    static var auditInterval: Int { 50 }
    static var sweepInterval: Int { 500 }
    static var slots: [Int] { [1, 2, 254] }
    static var pdptIndices: [Int] { [0, 1, 511] }
    static var pdIndices: [Int] { [0, 1, 2, 3, 4, 5] }
    static var ptIndices: [Int] { [0, 1, 2, 509, 510, 511] }
    static var flagPool: [PageFlags] { [.writable, .user, .noExecute, .writeThrough, .cacheDisable, .accessed, .dirty, .global] }

    var random: Generator
    let ram: SimulatedRAM
    var source: RecordingFrameSource
    var space: TestSpace
    var model = PageTableModel()
    var tight = false
    var step = 0
    /// How often each outcome occurred ("map4KiB ok", "unmap notMapped", ...): the test requires
    /// every interesting outcome to have happened, so a generator bug cannot silently skip one.
    public var outcomes: [String: Int] = [:]

    mutating func record(_ operation: String, _ error: PageTableError?) {
        outcomes["\(operation) \(error.map { "\($0)" } ?? "ok")", default: 0] += 1
    }

    /// Steps per phase: one phase in three runs short of table frames.
    let phaseLength: Int

    /// `ramFrames` must cover every table the operations can need, so that only `outstandingLimit`
    /// ever runs the source dry: 1 PML4 + 3 PDPTs + 3 * 7 PDs + 3 * 3 * 7 PTs = 88 (runs that
    /// start at PD index 5 cross into index 6).
    public init(generator: Generator, phaseLength: Int = 1000, ramFrames: Int = 1024) throws {
        random = generator
        ram = SimulatedRAM(frameCount: ramFrames)
        self.phaseLength = phaseLength
        source = RecordingFrameSource(ram: ram)
        space = try TestSpace(kind: .user, memory: SimulatedMemoryAccess(ram: ram), tableFrames: &source)
    }

    mutating func pick<T>(_ values: [T]) -> T { values[Int(random.next() % UInt64(values.count))] }
    mutating func chance(_ percent: UInt64) -> Bool { random.next() % 100 < percent }

    mutating func randomPage(_ size: PageSize) -> UInt64 {
        // PDPT indices 7...10 hold only 2 MiB pages, so their PDs empty out (and get freed) often.
        let slot = pick(Self.slots), pdpt = pick(size == .size2MiB ? Self.pdptIndices + [7, 8, 9, 10] : Self.pdptIndices),
            pd = pick(Self.pdIndices)
        return page(slot, pdpt, pd, size == .size4KiB ? pick(Self.ptIndices) : 0).raw
    }

    mutating func randomFlags() -> PageFlags {
        var flags: PageFlags = []
        for flag in Self.flagPool where chance(flag == .global ? 10 : 40) { flags.insert(flag) }
        return flags
    }

    mutating func randomFrame(_ size: PageSize) -> FrameNumber {
        let raw = chance(10) ? PageTableEntry.frameLimit - 1 - random.next() % 4096 : random.next() % (1 << 36)
        return FrameNumber(raw & ~(size.frameCount - 1))
    }

    func expect(_ condition: Bool, _ what: @autoclosure () -> String) throws {
        if !condition { throw ModelMismatch(description: "step \(step): \(what())") }
    }

    public mutating func run(steps: Int) throws {
        for index in 0 ..< steps {
            step = index
            tight = (index / phaseLength) % 3 == 2  // one third of the time, frames run short
            source.outstandingLimit = tight ? source.outstanding.count + max(0, Int(random.next() % 4) - 1) : Int.max
            let touched = try performRandomOperation()
            try checkCheaply(touched: touched)
            if index % Self.auditInterval == 0 { try audit(sweep: index % Self.sweepInterval == 0) }
        }
        try audit(sweep: true)
        try destroyAndCompare()
    }

    /// Runs one operation; returns an address whose translation must now match the model.
    mutating func performRandomOperation() throws -> UInt64 {
        let roll = random.next() % 100
        switch roll {
        case 0 ..< 25: return try mapOne(.size4KiB)
        case 25 ..< 35: return try mapOne(.size2MiB)
        case 35 ..< 60: return try unmapOne()
        case 60 ..< 70: return try protectOne()
        case 70 ..< 79: return randomPage(.size4KiB) + random.next() % 4096
        case 79 ..< 85: return try mapRun()
        case 85 ..< 89: return try unmapRun()
        case 89 ..< 92: return try unmapRegion()
        case 92 ..< 96: return try protectRegion()
        default: return try refuseBadArguments()
        }
    }

    mutating func mapOne(_ size: PageSize) throws -> UInt64 {
        let page = randomPage(size), frame = randomFrame(size), flags = randomFlags()
        let expected: PageTableError?
        if flags.contains(.user) && flags.contains(.global) {
            expected = .invalidFlags
        } else if model.conflicts(page, size) {
            expected = .alreadyMapped
        } else if source.outstanding.count + model.newTablesNeeded(page, size) > source.outstandingLimit {
            expected = .outOfTableFrames
        } else {
            expected = nil
        }
        let actual = pageTableError { () throws(PageTableError) in
            try space.map(VirtualAddress(page), to: frame, size: size, flags: flags, tableFrames: &source)
        }
        try expect(actual == expected, "map \(page) \(size): \(String(describing: actual)) != \(String(describing: expected))")
        if expected == nil { model.insert(page, .init(frame: frame, flags: flags.union(.present), size: size)) }
        record("map\(size)", expected)
        return page
    }

    /// A mapped page most of the time (sometimes asked with the wrong size), else any page.
    mutating func existingOrRandomPage() -> (UInt64, PageSize) {
        if !model.pages.isEmpty && chance(75) {
            let page = pick(model.pages), mapping = model.mappings[page]!
            if chance(10) { return (page, mapping.size == .size4KiB ? .size2MiB : .size4KiB) }
            return (page, mapping.size)
        }
        let size: PageSize = chance(30) ? .size2MiB : .size4KiB
        return (randomPage(size), size)
    }

    mutating func unmapOne() throws -> UInt64 {
        var (page, size) = existingOrRandomPage()
        if size == .size2MiB { page = PageTableModel.base(page, 2 * MiB) }  // 4K page asked as 2M: align it
        let expected = model.lookup(page, size)
        let actual: Result<FrameNumber, PageTableError>
        do { actual = .success(try space.unmap(VirtualAddress(page), size: size, tableFrames: &source)) } catch {
            actual = .failure(error)
        }
        try expect(actual == expected.map(\.frame), "unmap \(page) \(size): \(actual) != \(expected)")
        if case .success = expected { model.remove(page) }
        record("unmap\(size)", expected.failureValue)
        return page
    }

    mutating func protectOne() throws -> UInt64 {
        var (page, size) = existingOrRandomPage()
        if size == .size2MiB { page = PageTableModel.base(page, 2 * MiB) }
        let flags = randomFlags()
        let found = model.lookup(page, size)
        let expected: Result<PageFlags, PageTableError> =
            flags.contains(.user) && flags.contains(.global) ? .failure(.invalidFlags) : found.map(\.flags)
        let actual: Result<PageFlags, PageTableError>
        do { actual = .success(try space.protect(VirtualAddress(page), size: size, flags: flags)) } catch {
            actual = .failure(error)
        }
        try expect(actual == expected, "protect \(page) \(size): \(actual) != \(expected)")
        if case .success(let old) = expected {
            model.mappings[page]!.flags = flags.union(old.intersection(.hardwareManaged)).union(.present)
        }
        record("protect\(size)", expected.failureValue)
        return page
    }

    /// A run of 1...12 4 KiB pages (crossing PT and PD boundaries when it starts at PT index >= 508);
    /// sometimes one frame of the run is out of range. Predicts the outcome page by page.
    mutating func mapRun() throws -> UInt64 {
        let start = randomPage(.size4KiB), count = 1 + random.next() % 12, flags = randomFlags().subtracting(.global)
        let badIndex: UInt64? = chance(10) ? random.next() % count : nil
        var frames: [FrameNumber] = (0 ..< count).map { _ in randomFrame(.size4KiB) }
        if let badIndex { frames[Int(badIndex)] = FrameNumber(PageTableEntry.frameLimit + badIndex) }
        let pages = (0 ..< count).map { start + $0 * 4096 }
        var expected: PageTableError? = pages.contains { model.conflicts($0, .size4KiB) } ? .alreadyMapped : nil
        var after = model
        var outstanding = source.outstanding.count
        if expected == nil {
            for (index, page) in pages.enumerated() {
                if UInt64(index) == badIndex {
                    expected = .frameOutOfRange
                    break
                }
                outstanding += after.newTablesNeeded(page, .size4KiB)
                if outstanding > source.outstandingLimit {
                    expected = .outOfTableFrames
                    break
                }
                after.insert(page, .init(frame: frames[index], flags: flags.union(.present), size: .size4KiB))
            }
        }
        let actual = pageTableError { () throws(PageTableError) in
            _ = try space.mapRange(
                startingAt: VirtualAddress(start), pageCount: count, size: .size4KiB, flags: flags, tableFrames: &source
            ) { frames[Int($0)] }
        }
        try expect(
            actual == expected, "mapRange \(start) x\(count): \(String(describing: actual)) != \(String(describing: expected))")
        if expected == nil { model = after }
        record("mapRange", expected)
        return pages.last!
    }

    mutating func unmapRun() throws -> UInt64 {
        let small = model.pages.filter { model.mappings[$0]!.size == .size4KiB }
        let start = small.isEmpty || chance(30) ? randomPage(chance(50) ? .size2MiB : .size4KiB) : pick(small)
        let count = 1 + random.next() % 6
        let pages = (0 ..< count).map { start + $0 * 4096 }
        var expected: PageTableError?
        for page in pages {
            if case .failure(let failure) = model.lookup(page, .size4KiB) {
                expected = failure
                break
            }
        }
        var released: [UInt64] = []
        let actual = pageTableError { () throws(PageTableError) in
            _ = try space.unmapRange(startingAt: VirtualAddress(start), pageCount: count, size: .size4KiB, tableFrames: &source) {
                page, frame in
                released.append(page.raw)
                if model.mappings[page.raw]?.frame != frame { released.append(UInt64.max) }
            }
        }
        try expect(
            actual == expected, "unmapRange \(start) x\(count): \(String(describing: actual)) != \(String(describing: expected))")
        try expect(released == (expected == nil ? pages : []), "unmapRange released \(released)")
        if expected == nil { for page in pages { model.remove(page) } }
        record("unmapRange", expected)
        return start
    }

    /// The outcome of a region operation's straddle check on [start, end).
    func straddles(_ start: UInt64, _ end: UInt64) -> Bool {
        if let (base, mapping) = model.covering(start), base < start { return mapping.size == .size2MiB }
        if let (base, mapping) = model.covering(end - 1), base + mapping.size.bytes > end { return true }
        return false
    }

    /// A mixed-size region: whole 2 MiB pages, or any run of up to 1100 4 KiB pages.
    mutating func randomRegion() -> (UInt64, UInt64) {
        let start = chance(50) ? randomPage(.size2MiB) : randomPage(.size4KiB)
        let count = chance(50) ? 512 * (1 + random.next() % 3) : 1 + random.next() % 1100
        return (start, count)
    }

    mutating func unmapRegion() throws -> UInt64 {
        let (start, count) = randomRegion()
        let end = start + count * 4096
        let expected: PageTableError? = straddles(start, end) ? .pageSizeMismatch : nil
        let inside = model.pages.filter { start <= $0 && $0 < end }.sorted()
        var released: [UInt64] = []
        var wrongFrame = false
        let actual = pageTableError { () throws(PageTableError) in
            _ = try space.unmapRegion(startingAt: VirtualAddress(start), pageCount: count, tableFrames: &source) {
                page, frame, size in
                released.append(page.raw)
                if model.mappings[page.raw] != nil
                    && (model.mappings[page.raw]!.frame != frame || model.mappings[page.raw]!.size != size)
                {
                    wrongFrame = true
                }
            }
        }
        try expect(
            actual == expected, "unmapRegion \(start) x\(count): \(String(describing: actual)) != \(String(describing: expected))"
        )
        try expect(
            released == (expected == nil ? inside : []) && !wrongFrame, "unmapRegion released \(released), expected \(inside)")
        if expected == nil { for page in inside { model.remove(page) } }
        record("unmapRegion", expected)
        return start
    }

    mutating func protectRegion() throws -> UInt64 {
        var start: UInt64, count: UInt64
        if !model.pages.isEmpty && chance(75) {
            start = pick(model.pages)
            count = model.mappings[start]!.size.frameCount * (1 + random.next() % 2)
            if chance(20) { start += 4096 }
        } else {
            (start, count) = randomRegion()
        }
        let end = start + count * 4096
        let flags = randomFlags()
        var expected: PageTableError?
        if flags.contains(.user) && flags.contains(.global) {
            expected = .invalidFlags
        } else if straddles(start, end) {
            expected = .pageSizeMismatch
        } else {
            var cursor = start
            while cursor < end {
                guard let (base, mapping) = model.covering(cursor) else {
                    expected = .notMapped
                    break
                }
                cursor = base + mapping.size.bytes
            }
        }
        let actual = pageTableError { () throws(PageTableError) in
            _ = try space.protectRegion(startingAt: VirtualAddress(start), pageCount: count, flags: flags)
        }
        try expect(
            actual == expected,
            "protectRegion \(start) x\(count): \(String(describing: actual)) != \(String(describing: expected))")
        if expected == nil {
            for page in model.pages where start <= page && page < end {
                let old = model.mappings[page]!.flags
                model.mappings[page]!.flags = flags.union(old.intersection(.hardwareManaged)).union(.present)
            }
        }
        record("protectRegion", expected)
        return start
    }

    /// One invalid argument of each kind in turn: the exact error, and nothing allocated or changed.
    mutating func refuseBadArguments() throws -> UInt64 {
        let page = randomPage(.size4KiB)
        let before = (source.allocationCount, source.freeCount)
        let cases: [(PageTableError, (inout TestSpace, inout RecordingFrameSource) throws(PageTableError) -> Void)] = [
            (
                .nonCanonical,
                { s, f throws(PageTableError) in
                    try s.map(
                        VirtualAddress(page | 0x0000_8000_0000_0000), to: FrameNumber(1), size: .size4KiB, flags: [],
                        tableFrames: &f)
                }
            ),
            (
                .outsideAddressSpace,
                { s, f throws(PageTableError) in
                    try s.map(
                        VirtualAddress(page & 0x7F_FFFF_FFFF), to: FrameNumber(1), size: .size4KiB, flags: [], tableFrames: &f)
                }
            ),
            (
                .misaligned,
                { s, f throws(PageTableError) in
                    try s.map(VirtualAddress(page + 8), to: FrameNumber(1), size: .size4KiB, flags: [], tableFrames: &f)
                }
            ),
            (
                .misaligned,
                { s, f throws(PageTableError) in
                    try s.map(
                        VirtualAddress(PageTableModel.base(page, 2 * MiB)), to: FrameNumber(3), size: .size2MiB, flags: [],
                        tableFrames: &f)
                }
            ),
            (
                .frameOutOfRange,
                { s, f throws(PageTableError) in
                    try s.map(VirtualAddress(page), to: FrameNumber(1 << 40), size: .size4KiB, flags: [], tableFrames: &f)
                }
            ),
            (
                .invalidFlags,
                { s, f throws(PageTableError) in
                    try s.map(
                        VirtualAddress(page), to: FrameNumber(1), size: .size4KiB, flags: PageFlags(rawValue: 1 << 9),
                        tableFrames: &f)
                }
            ),
            (
                .rangeOverflow,
                { s, f throws(PageTableError) in
                    _ = try s.mapRange(
                        startingAt: VirtualAddress(page), pageCount: 1 << 40, size: .size4KiB, flags: [], tableFrames: &f
                    ) { _ in FrameNumber(1) }
                }
            ),
            (.misaligned, { s, _ throws(PageTableError) in try s.protect(VirtualAddress(page + 1), size: .size4KiB, flags: []) }),
            (
                .outsideAddressSpace,
                { s, f throws(PageTableError) in _ = try s.unmap(UserSpace.end, size: .size4KiB, tableFrames: &f) }
            ),
        ]
        let (expected, operation) = cases[step % cases.count]
        let actual = pageTableError { () throws(PageTableError) in try operation(&space, &source) }
        try expect(actual == expected, "bad argument case \(step % cases.count): \(String(describing: actual)) != \(expected)")
        try expect((source.allocationCount, source.freeCount) == before, "a refused call touched the frame source")
        record("badArgument", expected)
        return page
    }

    func checkCheaply(touched: UInt64) throws {
        try expect(
            space.mapped4KiBCount == model.count4KiB && space.mapped2MiBCount == model.count2MiB,
            "counts \(space.mapped4KiBCount)/\(space.mapped2MiBCount) != model \(model.count4KiB)/\(model.count2MiB)")
        try expect(
            space.tableFrameCount == model.expectedTables, "tables \(space.tableFrameCount) != model \(model.expectedTables)")
        try expect(source.outstanding.count == space.tableFrameCount && source.badFrees.isEmpty, "source out of step")
        try checkTranslation(of: touched)
    }

    func checkTranslation(of address: UInt64) throws {
        let actual = space.translate(VirtualAddress(address))
        guard let (base, mapping) = model.covering(address) else {
            return try expect(actual == nil, "translate \(address): \(String(describing: actual)) != nil")
        }
        let physical = PhysicalAddress(mapping.frame.startAddress.raw + address - base)
        try expect(
            actual?.physical == physical && actual?.frame == mapping.frame && actual?.flags == mapping.flags
                && actual?.size == mapping.size,
            "translate \(address): \(String(describing: actual)) != \(mapping) at \(physical)")
    }

    func audit(sweep: Bool) throws {
        let violation = space.checkInvariants(ledger: source)
        try expect(violation == nil, "invariant: \(String(describing: violation))")
        guard sweep else { return }
        for (page, mapping) in model.mappings {
            try checkTranslation(of: page)
            try checkTranslation(of: page + mapping.size.bytes - 1)
        }
    }

    mutating func destroyAndCompare() throws {
        var reported: [UInt64: PageTableModel.Mapping] = [:]
        let tables = space.tableFrameCount
        let freed = space.destroy(tableFrames: &source) { page, frame, size in
            reported[page.raw] = .init(frame: frame, flags: [], size: size)
        }
        try expect(freed == tables && source.outstanding.isEmpty && source.badFrees.isEmpty, "destroy leaked tables")
        try expect(
            reported == model.mappings.mapValues { .init(frame: $0.frame, flags: [], size: $0.size) },
            "destroy reported other leaves")
    }
}
