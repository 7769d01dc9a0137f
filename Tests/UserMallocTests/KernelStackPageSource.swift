// KernelStackPageSource: a UserMalloc page source that runs the kernel's own memory stack on the
// host, so the heap tests exercise PhysicalMemory's frame allocator and PageTables' address space
// exactly as the kernel's `map`/`unmap` syscalls do (Kernel/Process/Process.swift, Syscalls.swift).
//
// The machine: a memfd of ramBytes plays physical memory [0, ramBytes), with a QEMU-like firmware
// map (a hole below 1 MiB and at the top) and the kernel's first-mebibyte reservation. The memfd is
// mapped once, shared, as the physical view (the kernel's direct map: the page tables are written
// and read there, frames are zeroed and poisoned there; it starts as 0xCC garbage). A
// FrameAllocator (metadata in a separate host allocation) manages its usable frames; an
// AddressSpace(.user) keeps its tables in it and takes its table frames from the same allocator.
//
// The mapping itself is the kernel's code: Syscalls' ProcessMemory performs `map` and `unmap`
// (decode -> validate -> invoke, the same functions the kernel's syscall entry calls), over a
// StackMachine whose user frames come from the allocator one at a time (any free frame, zeroed),
// as KernelMachine.allocateUserFrame takes them: a mapping is virtually contiguous and aligned; its
// frames are wherever frames were free, and nothing physical is aligned or contiguous.
//
// The heap's pointers are virtual addresses. Once the kernel has mapped a range, the source maps
// the same host range from the memfd, page i at the offset of the frame the kernel gave page i
// (MAP_SHARED | MAP_FIXED_NOREPLACE, one mmap per run of consecutive frames): the byte the heap
// reaches at v is the byte of the physical view at translate(v), as the CPU would reach it.
// Every source owns a 64 GiB window of the map area, disjoint from every other live source's
// (swift-testing runs tests concurrently in one process, and host mappings are process-wide).
//
// map(n pages, alignment a):
//   virtual start = alignUp(bump, a); past the window's end (with the guard page) is out of memory;
//   ProcessMemory.perform(.map(hint: start, n pages, read|write, populate)): page i gets one frame
//   from the allocator, zeroed, user|writable|NX; all or nothing (a refusal for want of frames or
//   table frames hands back through freeUserFrame every frame it took: they must be the frames
//   taken, and are poisoned 0xA5 and freed one by one);
//   the frames taken, in page order, are recorded as the mapping's, and the host range
//   [start, start + n pages) is mapped from them;
//   bump = start + n pages + one unmapped guard page (virtual addresses are never reused).
// unmap(pointer, bytes): the pointer must start a recorded mapping of exactly that size; every page
// is translated through the tables and must map its recorded frame with the user-data flags; then
// ProcessMemory.perform(.unmap) unmaps the pages (freeing tables left empty), handing back the
// frames, which must be the recorded ones in page order; the host range is unmapped, and the
// frames are poisoned and freed one by one.
// remap(pointer, old bytes, new bytes, alignment a): the pointer must start a recorded mapping of
//   exactly the old size, every page mapping its recorded frame; destination = alignUp(bump, a),
//   placed as map places; ProcessMemory.perform(.remap(fixed at the destination, mayMove,
//   populate, a)) moves the kept pages' entries (their frames stay theirs), backs the growth with
//   single zeroed frames, hands back a shrink's tail frames (which must be the tail's, in page
//   order; poisoned and freed); all or nothing. The new host range is mapped from the frames
//   (kept, then taken), the old one unmapped; bump = destination + new pages + guard.
//
// Invariants (checkInvariants(), first violation returned, never trapping):
//   frame allocator and address space pass their own checkers (table frames proven outstanding)
//   usedFrames == outstandingTableFrames + mappedPages + withheldFrames
//   space.tableFrameCount == outstandingTableFrames,  space.mapped4KiBCount == mappedPages
//   mappedPages == Σ mapping.pageCount
//   page i of mapping m translates to m.frames[i], 4 KiB, flags ⊇ user|writable|NX
//   every m.frames[i] is a single-frame allocation (state allocatedRunStart)
//   page i's host bytes are m.frames[i]'s bytes in the physical view (a byte flipped through the
//     one reads flipped through the other)
//   mappings in virtual order inside the window: start_k + pages_k + guard <= start_(k+1),
//     last end + guard <= bump
//
// Contract violations by the heap (bad sizes, unmaps that name no mapping), translation mismatches
// and occupied host ranges are recorded in `faults` and change nothing; tests require `faults` to
// stay empty. An occupied host range (MAP_FIXED_NOREPLACE's EEXIST: something else of this process
// is mapped in the window) is the harness's failure, not the heap's: it is recorded and the map,
// undone in the kernel, answers nil, rather than trapping, so the test that met it fails naming the
// address while the tests running beside it carry on.

#if canImport(Glibc)
import Glibc
#endif
import MemoryCore
import PageTables
import PhysicalMemory
import Synchronization
import Syscalls
import UserMalloc
import TestSupport

// MARK: - Simulated physical memory (the only raw-pointer arithmetic of this file)

/// A memfd that plays physical memory [0, byteCount), mapped once as the physical view and again,
/// range by range, at the virtual addresses of mapped pages (the CPU's view through the tables).
final class SimulatedPhysicalMemory {
    /// The memfd holding the bytes of physical memory.
    private let file: Int32
    /// Host address of physical address 0 in the physical view.
    let base: UnsafeMutableRawPointer
    let byteCount: UInt64

    /// Contract: `byteCount` is a positive multiple of 4 KiB. The contents start as 0xCC garbage so
    /// that a frame handed out without being zeroed shows.
    init(byteCount: UInt64) {
        precondition(byteCount > 0 && byteCount % frameSize == 0, "RAM must be whole frames")
        self.byteCount = byteCount
        file = Self.memfdCreate("swiftmm-simulated-ram")
        precondition(file >= 0, "memfd_create failed for the simulated RAM (errno \(errno))")
        precondition(ftruncate(file, off_t(byteCount)) == 0, "ftruncate failed for the simulated RAM (errno \(errno))")
        let view = mmap(nil, Int(byteCount), PROT_READ | PROT_WRITE, MAP_SHARED, file, 0)
        precondition(view != nil && view != MAP_FAILED, "mmap failed for the simulated RAM (errno \(errno))")
        base = view!
        base.initializeMemory(as: UInt8.self, repeating: 0xCC, count: Int(byteCount))
    }

    deinit {
        munmap(base, Int(byteCount))
        close(file)
    }

    /// memfd_create(2). Swift's Glibc module imports neither it nor the variadic syscall(2), but
    /// glibc exports the symbol: it is looked up and called through its C type.
    private static func memfdCreate(_ name: String) -> Int32 {
        typealias Create = @convention(c) (UnsafePointer<CChar>, UInt32) -> Int32
        let closeOnExec: UInt32 = 1  // MFD_CLOEXEC
        guard let symbol = dlsym(nil, "memfd_create") else { return -1 }
        return unsafeBitCast(symbol, to: Create.self)(name, closeOnExec)
    }

    /// The host pointer of `address` in the physical view. Contract: address < byteCount (trapped
    /// otherwise).
    func pointer(to address: PhysicalAddress) -> UnsafeMutableRawPointer {
        precondition(address.raw < byteCount, "simulated RAM: physical address outside the buffer")
        return base + Int(address.raw)
    }

    /// Fills every byte of `frames` with `byte`. Contract: the frames lie inside the buffer.
    func fill(_ frames: FrameRange, with byte: UInt8) {
        precondition(frames.end.startAddress.raw <= byteCount, "simulated RAM: fill outside the buffer")
        pointer(to: frames.start.startAddress).initializeMemory(
            as: UInt8.self, repeating: byte,
            count: Int(frames.count * frameSize))
    }

    /// Whether every byte of `frames` equals `byte` (memcmp against itself shifted by one).
    func holds(_ frames: FrameRange, _ byte: UInt8) -> Bool {
        let start = pointer(to: frames.start.startAddress)
        let count = Int(frames.count * frameSize)
        return start.load(as: UInt8.self) == byte && memcmp(start, start + 1, count - 1) == 0
    }

    /// Maps `frames` at the host address `page` (shared with the physical view, read-write), where
    /// nothing may be mapped yet. Returns nil, or the errno when the host refused (nothing mapped:
    /// EEXIST when the range is occupied). Contract: the frames lie inside the buffer.
    func mapView(at page: VirtualAddress, frames: FrameRange) -> Int32? {
        precondition(frames.end.startAddress.raw <= byteCount, "simulated RAM: view outside the buffer")
        let wanted = UnsafeMutableRawPointer(bitPattern: UInt(page.raw))
        let length = Int(frames.count * frameSize)
        let placed = mmap(
            wanted, length, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED_NOREPLACE, file,
            off_t(frames.start.startAddress.raw))
        guard placed != MAP_FAILED else { return errno }
        guard placed == wanted else {  // a kernel before 4.17 takes the flag as a mere hint
            munmap(placed, length)
            return EEXIST
        }
        return nil
    }

    /// Unmaps the host range [page, page + byteCount) mapped by mapView.
    func unmapView(at page: VirtualAddress, byteCount: UInt64) {
        let status = munmap(UnsafeMutableRawPointer(bitPattern: UInt(page.raw)), Int(byteCount))
        precondition(status == 0, "munmap of a view failed (errno \(errno))")
    }

    /// Whether the host byte at `page` and `frame`'s first byte in the physical view are one byte:
    /// a byte flipped through the view reads flipped through the physical view (then restored).
    /// Contract: `page` is mapped on the host and nothing else touches it meanwhile.
    func viewAliases(_ page: VirtualAddress, _ frame: FrameNumber) -> Bool {
        let view = UnsafeMutableRawPointer(bitPattern: UInt(page.raw))!
        return Self.aliases(view, pointer(to: frame.startAddress))
    }

    /// Whether `a` and `b` reach the same byte (flip one, read the other, restore).
    static func aliases(_ a: UnsafeMutableRawPointer, _ b: UnsafeMutableRawPointer) -> Bool {
        let saved = a.load(as: UInt8.self)
        a.storeBytes(of: ~saved, as: UInt8.self)
        let seen = b.load(as: UInt8.self)
        a.storeBytes(of: saved, as: UInt8.self)
        return seen == ~saved
    }
}

/// The address space's view of physical memory: the physical view of the simulated RAM.
struct SimulatedMemoryAccess: PhysicalMemoryAccess {
    let ram: SimulatedPhysicalMemory
    func pointer(to address: PhysicalAddress) -> UnsafeMutableRawPointer { ram.pointer(to: address) }
}

// MARK: - Virtual windows

/// Disjoint windows of the kernel's map area, one per live source: every source's mappings are host
/// mappings at their virtual addresses, and sources live side by side in one test process. A
/// window is claimed at a source's init and released at its deinit; the lowest free one is taken
/// (far below where the host puts its own mappings: the executable near 0x5555_..., libraries and
/// mmap near 0x7fff_...).
enum VirtualWindows {
    static let byteCount: UInt64 = 64 * GiB
    static let count = Int((UserSpace.mapAreaEnd.raw - UserSpace.mapAreaStart.raw) / byteCount)
    private static let claimed = Mutex<Set<Int>>([])

    /// Window 0 is never handed out: AddressSanitizer's shadow of high memory ends at
    /// 0x1000_7FFF_7FFF, inside it, so under `make asan-test` its host ranges are taken.
    static let firstUsable = 1

    /// The lowest free window's index. Traps when all are claimed (1535 sources at once).
    static func claim() -> Int {
        claimed.withLock { claimed in
            let index = (firstUsable ..< count).first { !claimed.contains($0) }
            precondition(index != nil, "every virtual window is claimed")
            claimed.insert(index!)
            return index!
        }
    }

    static func release(_ index: Int) {
        _ = claimed.withLock { $0.remove(index) }
    }

    /// The virtual range [start, end) of window `index`.
    static func range(_ index: Int) -> (start: VirtualAddress, end: VirtualAddress) {
        let start = UserSpace.mapAreaStart.raw + UInt64(index) * byteCount
        return (VirtualAddress(start), VirtualAddress(start + byteCount))
    }
}

// MARK: - Table frames from the frame allocator

/// The kernel's TableFrameSource (KernelTableFrames) plus the bookkeeping that lets the address
/// space's checker prove every table frame is accounted for: this source serves one space only.
struct AllocatorTableFrames: TableFrameSource, TableFrameLedger {
    let allocator: FrameAllocator
    let ram: SimulatedPhysicalMemory
    private(set) var outstanding: Set<FrameNumber> = []
    /// Frees the allocator refused (would be a kernel panic).
    private(set) var refusedFrees: [FrameAllocatorError] = []

    init(allocator: FrameAllocator, ram: SimulatedPhysicalMemory) {
        self.allocator = allocator
        self.ram = ram
    }

    mutating func allocateTableFrame() -> FrameNumber? {
        guard let frame = try? allocator.allocate() else { return nil }
        outstanding.insert(frame)
        return frame
    }

    mutating func freeTableFrame(_ frame: FrameNumber) {
        outstanding.remove(frame)
        ram.fill(FrameRange(frame, frame.advanced(by: 1)), with: 0xA5)
        do throws(FrameAllocatorError) { try allocator.free(frame) } catch { refusedFrees.append(error) }
    }

    func isOutstandingTableFrame(_ frame: FrameNumber) -> Bool {
        outstanding.contains(frame) && allocator.state(of: frame) == .allocatedRunStart
    }

    var outstandingTableFrameCount: Int? { outstanding.count }
}

// MARK: - The page source

/// One mapping made by `mapPages`: `pageCount` pages at `virtualStart`, page i backed by frame
/// `frames[i]` (a single-frame allocation each, wherever the allocator found it).
struct StackMapping: Equatable {
    var virtualStart: VirtualAddress
    var frames: [FrameNumber]

    var pageCount: UInt64 { UInt64(frames.count) }
    var virtualEnd: VirtualAddress { VirtualAddress(virtualStart.raw + pageCount * frameSize) }
    func page(_ index: Int) -> VirtualAddress { VirtualAddress(virtualStart.raw + UInt64(index) * frameSize) }
    func contains(_ address: VirtualAddress) -> Bool { virtualStart <= address && address < virtualEnd }

    /// The pages as runs of consecutive frames: (first page index, frames), in page order.
    var frameRuns: [(firstPage: Int, frames: FrameRange)] {
        var runs: [(firstPage: Int, frames: FrameRange)] = []
        for (index, frame) in frames.enumerated() {
            if let last = runs.last, last.frames.end == frame {
                runs[runs.count - 1].frames = FrameRange(last.frames.start, frame.advanced(by: 1))
            } else {
                runs.append((index, FrameRange(frame, frame.advanced(by: 1))))
            }
        }
        return runs
    }
}

/// A call the heap got wrong, a page-table state unmap refused to act on, or a host range the
/// harness could not map. Nothing changed.
enum StackSourceFault: Equatable {
    case badMapArguments(byteCount: Int, alignment: Int)
    /// The pointer is not the start of a recorded mapping.
    case unmapOfUnknownPointer(UInt)
    case unmapWithWrongByteCount(recorded: Int, given: Int)
    case translationMismatch(page: VirtualAddress, expected: FrameNumber, found: Translation?)
    case pageTableRefused(PageTableError)
    case frameFreeRefused(FrameAllocatorError)
    /// The kernel's map or unmap refused a call the heap was entitled to make.
    case syscallRefused(Rejection)
    /// The kernel's unmap handed back frames other than the mapping's, in page order; or a refused
    /// map handed back frames other than those it took.
    case wrongFramesReturned
    /// The kernel's map took frames for pages other than the mapping's, one each in page order.
    case wrongFramesTaken
    /// The host refused to map the mapping's host range (EEXIST: something else of this process
    /// is mapped there). The harness's failure: the kernel's mapping was undone.
    case hostRangeRefused(page: VirtualAddress, errno: Int32)
}

/// The kernel's SyscallMachine on the host, taking and zeroing user frames one at a time from the
/// frame allocator exactly as KernelMachine does; the frames taken (with their pages) and handed
/// back are recorded for the source to check, and the source frees what comes back. No TLB:
/// invalidations are counted.
struct StackMachine: SyscallMachine {
    let ram: SimulatedPhysicalMemory
    let allocator: FrameAllocator
    /// Frames taken since the last `reset()`, with the page each was taken for, in order.
    private(set) var taken: [(page: VirtualAddress, frame: FrameNumber)] = []
    var takenFrames: [FrameNumber] { taken.map { $0.frame } }
    var takenPages: [VirtualAddress] { taken.map { $0.page } }
    /// Frames handed back since the last `reset()`, in order.
    private(set) var returned: [FrameNumber] = []
    var invalidations = 0
    /// Every map here populates (a host double takes no page faults), so the zero frame is never
    /// mapped; frame 0, reserved at boot, stands in.
    let sharedZeroFrame = FrameNumber(0)
    /// Tests withhold frames behind any ledger's back to force exhaustion, so this one has no
    /// limit: running out shows as out-of-frames / out-of-table-frames, as before strict commit.
    var commit = SystemCommit(limitPages: UInt64.max)

    init(ram: SimulatedPhysicalMemory, allocator: FrameAllocator) {
        self.ram = ram
        self.allocator = allocator
    }

    mutating func reset() {
        taken.removeAll(keepingCapacity: true)
        returned.removeAll(keepingCapacity: true)
    }

    mutating func allocateUserFrame(for page: VirtualAddress) -> FrameNumber? {
        guard let frame = try? allocator.allocate() else { return nil }
        ram.fill(FrameRange(frame, frame.advanced(by: 1)), with: 0)
        taken.append((page, frame))
        return frame
    }

    mutating func freeUserFrame(_ frame: FrameNumber) { returned.append(frame) }
    func invalidate(page: VirtualAddress) {}
    var freeFrameCount: UInt64 { allocator.statistics.freeFrames }
    mutating func writeConsole(_ bytes: UnsafeRawBufferPointer) {}
}

/// The first broken rule `KernelStackPageSource.checkInvariants()` found.
enum StackSourceViolation: Equatable {
    case frameAllocator(FrameAllocatorInvariantViolation)
    case pageTables(PageTableInvariantViolation)
    case frameAccounting(used: UInt64, tables: Int, mappedPages: UInt64, withheld: Int)
    case tableCount(space: Int, outstanding: Int)
    case mappedPageCount(space: Int, recorded: UInt64, summed: UInt64)
    case translation(page: VirtualAddress, expected: FrameNumber, found: Translation?)
    case frameState(frame: FrameNumber, state: FrameState)
    /// The host byte at `page` is not its recorded frame's byte in the physical view.
    case hostView(page: VirtualAddress, frame: FrameNumber)
    case mappingOrder(VirtualAddress)
    case faultsRecorded(count: Int)
    case processMemory(ProcessMemoryViolation)
}

/// Whether a frame count left by `withholdFrames(leaving:)` is exact.
enum WithholdOutcome: Equatable {
    case leftExactly(UInt64)
    case alreadyBelow(free: UInt64)
}

final class KernelStackPageSource: PageSource {
    /// What the kernel maps for PROT_READ | PROT_WRITE.
    static let userDataFlags: PageFlags = [.user, .writable, .noExecute]

    let ram: SimulatedPhysicalMemory
    private let metadata: UnsafeMutableRawPointer
    let allocator: FrameAllocator
    /// The process's memory, exactly as the kernel keeps it.
    var memory: ProcessMemory<SimulatedMemoryAccess, AllocatorTableFrames>
    private var machine: StackMachine
    var space: AddressSpace<SimulatedMemoryAccess> {
        get { memory.space }
        set { memory.space = newValue }
    }
    var tableFrames: AllocatorTableFrames { memory.tableFrames }
    /// This source's part of the map area (VirtualWindows): every mapping lies in [start, end).
    private let windowIndex: Int
    let window: (start: VirtualAddress, end: VirtualAddress)
    /// Live mappings in virtual order (the bump only rises, so a new one is always the last).
    private(set) var mappings: [StackMapping] = []
    /// Next candidate virtual address (the heap's own placement, aligned; the kernel is given it as a hint).
    private(set) var mapNext: VirtualAddress
    private(set) var mappedPages: UInt64 = 0
    private(set) var faults: [StackSourceFault] = []
    /// Frames a test took away from the heap to force exhaustion (single-frame allocations).
    private var withheld: [FrameNumber] = []
    private(set) var mapCount = 0
    private(set) var unmapCount = 0
    /// remapPages calls that moved a mapping.
    private(set) var remapCount = 0
    /// mapPages calls answered nil because frames (or table frames, or the window) ran out.
    private(set) var outOfMemoryCount = 0
    private(set) var isDestroyed = false

    /// A machine with `ramBytes` of simulated physical memory (a multiple of 4 KiB, > 2 MiB).
    init(ramBytes: UInt64) throws {
        ram = SimulatedPhysicalMemory(byteCount: ramBytes)
        let usable = UsableFrameRanges(map: Self.firmwareMap(ramBytes: ramBytes), reservations: Self.bootReservations())
        let metadataBytes = FrameAllocator.metadataByteCount(managing: usable.span)
        metadata = UnsafeMutableRawPointer.allocate(byteCount: Int(metadataBytes), alignment: 8)
        allocator = try FrameAllocator(
            span: usable.span, storage: metadata, storageByteCount: metadataBytes,
            usable: usable, reservations: Self.bootReservations())
        var tableFrames = AllocatorTableFrames(allocator: allocator, ram: ram)
        let space = try AddressSpace(kind: .user, memory: SimulatedMemoryAccess(ram: ram), tableFrames: &tableFrames)
        memory = ProcessMemory(space: space, tableFrames: tableFrames)
        machine = StackMachine(ram: ram, allocator: allocator)
        windowIndex = VirtualWindows.claim()
        window = VirtualWindows.range(windowIndex)
        mapNext = window.start
    }

    /// The host ranges still mapped go (their frames die with the memfd), then the window.
    deinit {
        for mapping in mappings { ram.unmapView(at: mapping.virtualStart, byteCount: mapping.pageCount * frameSize) }
        VirtualWindows.release(windowIndex)
        metadata.deallocate()
    }

    /// What QEMU's pc machine reports for small `-m`: RAM below 640 KiB, the VGA/BIOS hole, RAM
    /// from 1 MiB to the top but for 8 KiB of firmware data.
    static func firmwareMap(ramBytes: UInt64) -> MemoryMap {
        var map = MemoryMap()
        map.append(MemoryRegion(start: 0, end: 0x9_FC00, kind: .usable))
        map.append(MemoryRegion(start: 0x9_FC00, end: 0xA_0000, kind: .reserved))
        map.append(MemoryRegion(start: 0xF_0000, end: MiB, kind: .reserved))
        map.append(MemoryRegion(start: MiB, end: ramBytes - 8 * KiB, kind: .usable))
        map.append(MemoryRegion(start: ramBytes - 8 * KiB, end: ramBytes, kind: .reserved))
        return map
    }

    /// The kernel reserves the first mebibyte (real-mode structures, boot data).
    static func bootReservations() -> ReservationList {
        var list = ReservationList()
        try! list.add(PhysicalRange(start: PhysicalAddress(0), end: PhysicalAddress(MiB)), reason: .firstMebibyte)
        return list
    }

    // MARK: Observations

    var frameStatistics: FrameStatistics { allocator.statistics }
    var freeFrames: UInt64 { allocator.statistics.freeFrames }
    var usedFrames: UInt64 { allocator.statistics.usedFrames }
    var outstandingTableFrames: Int { tableFrames.outstanding.count }
    var mappedBytes: Int { Int(mappedPages * frameSize) }
    var mappingCount: Int { mappings.count }

    /// O(1) accounting: the frame equation and the space's counters (cheap enough for every op).
    func cheapCheck() -> StackSourceViolation? {
        if !faults.isEmpty || !tableFrames.refusedFrees.isEmpty {
            return .faultsRecorded(count: faults.count + tableFrames.refusedFrees.count)
        }
        guard usedFrames == UInt64(outstandingTableFrames) + mappedPages + UInt64(withheld.count) else {
            return .frameAccounting(
                used: usedFrames, tables: outstandingTableFrames, mappedPages: mappedPages, withheld: withheld.count)
        }
        guard isDestroyed || space.tableFrameCount == outstandingTableFrames else {
            return .tableCount(space: space.tableFrameCount, outstanding: outstandingTableFrames)
        }
        guard isDestroyed || UInt64(space.mapped4KiBCount) == mappedPages, space.mapped2MiBCount == 0 else {
            return .mappedPageCount(space: space.mapped4KiBCount, recorded: mappedPages, summed: mappedPages)
        }
        return nil
    }

    /// Every invariant of the file comment. O(frames / 64 + tables + mapped pages).
    func checkInvariants() -> StackSourceViolation? {
        if let violation = allocator.checkInvariants() { return .frameAllocator(violation) }
        if let violation = cheapCheck() { return violation }
        if isDestroyed { return nil }
        if let violation = space.checkInvariants(ledger: tableFrames) { return .pageTables(violation) }
        if let violation = memory.checkInvariants(zeroFrame: machine.sharedZeroFrame) { return .processMemory(violation) }
        let summed = mappings.reduce(0) { $0 + $1.pageCount }
        guard summed == mappedPages else {
            return .mappedPageCount(space: space.mapped4KiBCount, recorded: mappedPages, summed: summed)
        }
        return checkMappingOrder() ?? mappings.lazy.compactMap(checkMapping).first
    }

    /// Each page: its frame a single-frame allocation, translating to it as user data, its host
    /// byte the frame's byte.
    private func checkMapping(_ mapping: StackMapping) -> StackSourceViolation? {
        for (index, frame) in mapping.frames.enumerated() {
            let state = allocator.state(of: frame)
            guard state == .allocatedRunStart else { return .frameState(frame: frame, state: state) }
            let page = mapping.page(index)
            let found = space.translate(page)
            guard Self.isUserData(found, frame: frame) else { return .translation(page: page, expected: frame, found: found) }
            guard ram.viewAliases(page, frame) else { return .hostView(page: page, frame: frame) }
        }
        return nil
    }

    /// Mappings lie in the window below the bump pointer, in virtual order, each followed by a
    /// guard page.
    private func checkMappingOrder() -> StackSourceViolation? {
        var previousEnd = window.start
        var first = true
        for mapping in mappings {
            guard mapping.virtualStart >= previousEnd, first || mapping.virtualStart.raw >= previousEnd.raw + frameSize else {
                return .mappingOrder(mapping.virtualStart)
            }
            previousEnd = mapping.virtualEnd
            first = false
        }
        guard first || previousEnd.raw + frameSize <= mapNext.raw else { return .mappingOrder(previousEnd) }
        guard mapNext <= window.end else { return .mappingOrder(mapNext) }
        return nil
    }

    static func isUserData(_ translation: Translation?, frame: FrameNumber) -> Bool {
        guard let translation else { return false }
        return translation.frame == frame && translation.size == .size4KiB
            && translation.flags.isSuperset(of: userDataFlags.union(.present))
    }

    /// The index of the mapping holding `address`, or nil (binary search: mappings are in order).
    private func mappingIndex(containing address: VirtualAddress) -> Int? {
        var (low, high) = (0, mappings.count)  // first mapping starting above `address` is in [low, high]
        while low < high {
            let middle = (low + high) / 2
            if mappings[middle].virtualStart <= address { low = middle + 1 } else { high = middle }
        }
        guard low > 0, mappings[low - 1].contains(address) else { return nil }
        return low - 1
    }

    /// The virtual address a heap pointer stands for: the pointer itself, when it lies in a
    /// recorded mapping; nil otherwise.
    func virtualAddress(of pointer: UnsafeRawPointer) -> VirtualAddress? {
        let address = VirtualAddress(UInt64(UInt(bitPattern: pointer)))
        return mappingIndex(containing: address) == nil ? nil : address
    }

    /// The physical address the source recorded for `address` (its page's frame + the offset), or
    /// nil when no recorded mapping holds it.
    func recordedPhysicalAddress(of address: VirtualAddress) -> PhysicalAddress? {
        guard let index = mappingIndex(containing: address) else { return nil }
        let mapping = mappings[index]
        let offset = address.raw - mapping.virtualStart.raw
        let frame = mapping.frames[Int(offset / frameSize)]
        return PhysicalAddress(frame.startAddress.raw + offset % frameSize)
    }

    /// What the CPU would reach at `address` through the page tables, as a pointer into the
    /// physical view (nil when the address is not mapped as user data).
    func hostPointer(translating address: VirtualAddress) -> UnsafeMutableRawPointer? {
        guard let translation = space.translate(address), Self.isUserData(translation, frame: translation.frame) else {
            return nil
        }
        return ram.pointer(to: translation.physical)
    }

    // MARK: PageSource

    func mapPages(byteCount: Int, alignment: Int) -> UnsafeMutableRawPointer? {
        precondition(!isDestroyed, "map after the address space was destroyed")
        guard byteCount > 0, byteCount % Int(frameSize) == 0, alignment >= Int(frameSize), alignment & (alignment - 1) == 0 else {
            faults.append(.badMapArguments(byteCount: byteCount, alignment: alignment))
            return nil
        }
        let pageCount = UInt64(byteCount) / frameSize
        guard let start = placement(pageCount: pageCount, alignment: UInt64(alignment)) else { return outOfMemory() }
        machine.reset()
        let outcome = memory.perform(
            .map(
                hint: start.raw, length: UInt64(byteCount), protection: Protection.readWrite.rawValue,
                options: MapOptions.populateBit),
            machine: &machine)
        if let rejection = outcome.rejection {
            takeBackRefusedFrames(rejection)
            return outOfMemory()
        }
        let mapping = StackMapping(virtualStart: start, frames: machine.takenFrames)
        if machine.takenPages != (0 ..< Int(pageCount)).map(mapping.page) { faults.append(.wrongFramesTaken) }
        mapNext = VirtualAddress(mapping.virtualEnd.raw + frameSize)  // one unmapped guard page
        guard mapHostRange(of: mapping) else {
            undoKernelMap(mapping)
            return nil
        }
        mappings.append(mapping)
        mappedPages += pageCount
        mapCount += 1
        return UnsafeMutableRawPointer(bitPattern: UInt(start.raw))
    }

    /// The kernel's `remap`, fixed: the mapping's kept pages move, entries and frames, to a
    /// destination the source places as it places a map (aligned, at the bump, in the window: never
    /// in place, as the bump has passed the guard page after the mapping), the growth populated
    /// with fresh zeroed frames, a shrink's tail freed. The host ranges follow: the new one is
    /// mapped from the frames its pages now translate to, the old one unmapped. nil, the mapping
    /// unchanged, when frames or table frames run out (the frames the call took come back through
    /// freeUserFrame and are freed), the window is full or the alignment is past remap's 1 GiB.
    func remapPages(
        _ pointer: UnsafeMutableRawPointer, oldByteCount: Int, newByteCount: Int,
        alignment: Int
    ) -> UnsafeMutableRawPointer? {
        precondition(!isDestroyed, "remap after the address space was destroyed")
        guard newByteCount > 0, newByteCount % Int(frameSize) == 0, alignment >= Int(frameSize), alignment & (alignment - 1) == 0
        else {
            faults.append(.badMapArguments(byteCount: newByteCount, alignment: alignment))
            return nil
        }
        guard let index = recordedMappingIndex(at: pointer, byteCount: oldByteCount),
            firstTranslationMismatch(of: mappings[index]) == nil
        else { return nil }
        let old = mappings[index]
        let newPages = UInt64(newByteCount) / frameSize
        guard UInt64(alignment) <= GiB, let destination = placement(pageCount: newPages, alignment: UInt64(alignment)) else {
            return nil
        }
        machine.reset()
        let flags = RemapFlags(mayMove: true, populate: true, fixed: true, alignment: UInt64(alignment))
        let outcome = memory.perform(
            .remap(
                address: old.virtualStart.raw, oldLength: UInt64(oldByteCount), newLength: UInt64(newByteCount),
                flags: flags.rawValue, destination: destination.raw),
            machine: &machine)
        if let rejection = outcome.rejection {
            takeBackRefusedFrames(rejection)
            return nil
        }
        let moved = movedMapping(old, to: destination, pageCount: newPages)
        ram.unmapView(at: old.virtualStart, byteCount: old.pageCount * frameSize)
        releaseFrames(machine.returned)
        mappings.remove(at: index)
        mappedPages -= old.pageCount
        mapNext = VirtualAddress(moved.virtualEnd.raw + frameSize)  // one unmapped guard page
        guard mapHostRange(of: moved) else {
            undoKernelMap(moved)
            return nil
        }
        mappings.append(moved)  // the destination is above every mapping: the order holds
        mappedPages += moved.pageCount
        remapCount += 1
        return UnsafeMutableRawPointer(bitPattern: UInt(destination.raw))
    }

    /// The mapping a successful remap of `old` to `destination` made: its kept frames in page
    /// order, then the growth's fresh frames. Records a fault when the call took frames for other
    /// pages, handed back other frames than the shrunk tail's, or the tables disagree.
    private func movedMapping(_ old: StackMapping, to destination: VirtualAddress, pageCount: UInt64) -> StackMapping {
        let kept = Int(min(old.pageCount, pageCount))
        let moved = StackMapping(virtualStart: destination, frames: Array(old.frames[..<kept]) + machine.takenFrames)
        if machine.takenPages != (kept ..< Int(pageCount)).map(moved.page) { faults.append(.wrongFramesTaken) }
        if machine.returned != Array(old.frames[kept...]) { faults.append(.wrongFramesReturned) }
        _ = firstTranslationMismatch(of: moved)
        return moved
    }

    func unmapPages(_ pointer: UnsafeMutableRawPointer, byteCount: Int) {
        guard let index = recordedMappingIndex(at: pointer, byteCount: byteCount),
            firstTranslationMismatch(of: mappings[index]) == nil
        else { return }
        let mapping = mappings[index]
        machine.reset()
        let outcome = memory.perform(.unmap(address: mapping.virtualStart.raw, length: UInt64(byteCount)), machine: &machine)
        if let rejection = outcome.rejection {
            faults.append(.syscallRefused(rejection))
            return
        }
        if machine.returned != mapping.frames { faults.append(.wrongFramesReturned) }
        ram.unmapView(at: mapping.virtualStart, byteCount: UInt64(byteCount))
        releaseFrames(machine.returned)
        mappings.remove(at: index)
        mappedPages -= mapping.pageCount
        unmapCount += 1
    }

    /// The virtual range for `pageCount` pages at `alignment` (plus the guard page that follows),
    /// or nil when the window is exhausted.
    private func placement(pageCount: UInt64, alignment: UInt64) -> VirtualAddress? {
        guard let start = alignUp(mapNext.raw, to: alignment),
            pageCount <= (window.end.raw - min(start, window.end.raw)) / frameSize - 1
        else { return nil }
        return VirtualAddress(start)
    }

    private func outOfMemory() -> UnsafeMutableRawPointer? {
        outOfMemoryCount += 1
        return nil
    }

    /// A map or remap the kernel refused: it must have run out of frames or table frames, and handed
    /// back through freeUserFrame exactly the frames it took; those are freed.
    private func takeBackRefusedFrames(_ rejection: Rejection) {
        if rejection.reason != .outOfFrames && rejection.reason != .outOfTableFrames {
            faults.append(.syscallRefused(rejection))
        }
        if machine.returned.sorted() != machine.takenFrames.sorted() { faults.append(.wrongFramesReturned) }
        releaseFrames(machine.returned)
    }

    /// Maps the host range of `mapping` from its frames, one mmap per run of consecutive frames.
    /// On a refusal, records the fault, unmaps what it mapped and returns false.
    private func mapHostRange(of mapping: StackMapping) -> Bool {
        var mappedBytes: UInt64 = 0
        for run in mapping.frameRuns {
            if let error = ram.mapView(at: mapping.page(run.firstPage), frames: run.frames) {
                faults.append(.hostRangeRefused(page: mapping.page(run.firstPage), errno: error))
                if mappedBytes > 0 { ram.unmapView(at: mapping.virtualStart, byteCount: mappedBytes) }
                return false
            }
            mappedBytes += run.frames.count * frameSize
        }
        return true
    }

    /// Unmaps in the kernel a mapping whose host range could not be mapped, and frees its frames.
    private func undoKernelMap(_ mapping: StackMapping) {
        machine.reset()
        let length = mapping.pageCount * frameSize
        let outcome = memory.perform(.unmap(address: mapping.virtualStart.raw, length: length), machine: &machine)
        if let rejection = outcome.rejection { faults.append(.syscallRefused(rejection)) }
        releaseFrames(machine.returned)
    }

    /// Poisons each frame and frees it (single-frame allocations, as the kernel frees user frames).
    private func releaseFrames(_ frames: [FrameNumber]) {
        for frame in frames {
            ram.fill(FrameRange(frame, frame.advanced(by: 1)), with: 0xA5)
            do throws(FrameAllocatorError) { try allocator.free(frame) } catch { faults.append(.frameFreeRefused(error)) }
        }
    }

    /// The index of the mapping that starts at `pointer` with exactly `byteCount` bytes, else a
    /// recorded fault.
    private func recordedMappingIndex(at pointer: UnsafeMutableRawPointer, byteCount: Int) -> Int? {
        let address = VirtualAddress(UInt64(UInt(bitPattern: pointer)))
        guard let index = mappingIndex(containing: address), mappings[index].virtualStart == address else {
            faults.append(.unmapOfUnknownPointer(UInt(bitPattern: pointer)))
            return nil
        }
        let recorded = Int(mappings[index].pageCount * frameSize)
        guard recorded == byteCount else {
            faults.append(.unmapWithWrongByteCount(recorded: recorded, given: byteCount))
            return nil
        }
        return index
    }

    /// Translates every page of `mapping` through the tables; the first page that does not map its
    /// recorded frame as user data is recorded as a fault and returned.
    private func firstTranslationMismatch(of mapping: StackMapping) -> StackSourceFault? {
        for (index, frame) in mapping.frames.enumerated() {
            let page = mapping.page(index)
            let found = space.translate(page)
            if !Self.isUserData(found, frame: frame) {
                let fault = StackSourceFault.translationMismatch(page: page, expected: frame, found: found)
                faults.append(fault)
                return fault
            }
        }
        return nil
    }

    // MARK: Test controls

    /// Allocates single frames until only `remaining` are free (to make frames run out on demand).
    @discardableResult
    func withholdFrames(leaving remaining: UInt64) -> WithholdOutcome {
        guard freeFrames >= remaining else { return .alreadyBelow(free: freeFrames) }
        while freeFrames > remaining, let frame = try? allocator.allocate() { withheld.append(frame) }
        return .leftExactly(freeFrames)
    }

    /// Gives every withheld frame back.
    func releaseWithheldFrames() {
        for frame in withheld {
            do throws(FrameAllocatorError) { try allocator.free(frame) } catch { faults.append(.frameFreeRefused(error)) }
        }
        withheld.removeAll()
    }

    /// Tears the address space down as process exit does: every table frame (the PML4 included)
    /// goes back to the allocator, and so does every frame of every mapping still recorded (each
    /// leaf the teardown reports must be the frame recorded for its page); their host ranges are
    /// unmapped. Returns the table frames freed and the leaves reported. The source maps nothing
    /// afterwards.
    @discardableResult
    func destroyAddressSpace() -> (tableFrames: Int, leaves: Int) {
        precondition(!isDestroyed, "address space destroyed twice")
        var leaves = 0
        var strayLeaf: StackSourceFault?
        let recorded = self.recordedPhysicalAddress
        let freedTables = memory.space.destroy(tableFrames: &memory.tableFrames) { page, frame, _ in
            leaves += 1
            let expected = recorded(page)?.containingFrame
            if expected != frame, strayLeaf == nil {
                strayLeaf = .translationMismatch(page: page, expected: expected ?? FrameNumber(0), found: nil)
            }
        }
        if let strayLeaf { faults.append(strayLeaf) }
        for mapping in mappings {
            ram.unmapView(at: mapping.virtualStart, byteCount: mapping.pageCount * frameSize)
            releaseFrames(mapping.frames)
        }
        mappings.removeAll()
        mappedPages = 0
        isDestroyed = true
        return (freedTables, leaves)
    }
}
