// The fault-resolution path of demand paging on the host (group "fault"): Syscalls'
// ProcessMemory over simulated RAM, exactly the code the kernel's page-fault handler runs (minus
// the exception entry and `invlpg`). Interleaved in one process, per page:
//   demand      map 1024 read-write pages (reserve only), resolve a write fault on each, unmap
//   populate    map the same pages with the populate option (every frame at map), unmap
//   zero-read   map, resolve a read fault on each (the shared zero frame), unmap
// `ratio_vs_populate` = populate time / demand time (> 1: demand paging costs less per page).
#if canImport(Glibc)
import Glibc
#endif
import MemoryCore
import PageTables
import Syscalls

/// Simulated RAM with one free list for user frames and tables (as the kernel's frame allocator).
final class BenchRAM {
    let base: UnsafeMutableRawPointer
    var free: [FrameNumber]
    init(frames: Int) {
        base = UnsafeMutableRawPointer.allocate(byteCount: frames * 4096, alignment: 4096)
        base.initializeMemory(as: UInt8.self, repeating: 0, count: frames * 4096)
        free = (1 ..< frames).reversed().map { FrameNumber(UInt64($0)) }
    }
    deinit { base.deallocate() }
}

struct BenchAccess: PhysicalMemoryAccess {
    let ram: BenchRAM
    func pointer(to address: PhysicalAddress) -> UnsafeMutableRawPointer { ram.base + Int(address.raw) }
}

struct BenchTables: TableFrameSource {
    let ram: BenchRAM
    mutating func allocateTableFrame() -> FrameNumber? { ram.free.popLast() }
    mutating func freeTableFrame(_ frame: FrameNumber) { ram.free.append(frame) }
}

struct BenchMachine: SyscallMachine {
    let ram: BenchRAM
    let sharedZeroFrame: FrameNumber
    var commit: SystemCommit
    init(ram: BenchRAM) {
        self.ram = ram
        sharedZeroFrame = ram.free.popLast()!
        commit = SystemCommit(limitPages: UInt64(ram.free.count))
    }
    mutating func allocateUserFrame(for page: VirtualAddress) -> FrameNumber? {
        guard let frame = ram.free.popLast() else { return nil }
        (ram.base + Int(frame.startAddress.raw)).initializeMemory(as: UInt8.self, repeating: 0, count: 4096)
        return frame
    }
    mutating func freeUserFrame(_ frame: FrameNumber) { ram.free.append(frame) }
    func invalidate(page: VirtualAddress) {}
    var freeFrameCount: UInt64 { UInt64(ram.free.count) }
    mutating func writeConsole(_ bytes: UnsafeRawBufferPointer) {}
}

func runFaultScenarios() {
    let pages: UInt64 = 1024
    let ram = BenchRAM(frames: 8192)
    var machine = BenchMachine(ram: ram)
    var tables = BenchTables(ram: ram)
    let space = try! AddressSpace(kind: .user, memory: BenchAccess(ram: ram), tableFrames: &tables)
    var memory = ProcessMemory(space: space, tableFrames: tables)
    memory.quotaPages = UInt64.max

    func cycle(options: UInt64, touch: FaultAccess?) {
        let address = try! memory.map(hint: 0, length: pages * 4096, protection: 3, options: options, machine: &machine).get()
        if let touch {
            for page in 0 ..< pages {
                let fault = PageFault(
                    address: VirtualAddress(address + page * 4096), access: touch, wasPresent: false, fromUser: true)
                guard case .success = memory.resolveFault(fault, machine: &machine) else { fatalError("fault refused") }
            }
        }
        _ = try! memory.unmap(address: address, length: pages * 4096, machine: &machine).get()
    }
    let comparison = compare(
        [
            Contender(name: "demand") { cycle(options: 0, touch: .write) },
            Contender(name: "populate") { cycle(options: MapOptions.populateBit, touch: nil) },
            Contender(name: "zero-read") { cycle(options: 0, touch: .read) },
        ], operations: Int(pages))
    let ratio = comparison.ratio(of: 0, against: 1)
    emitBenchLine(
        scenario: "fault-demand-zero",
        [
            ("pages", String(pages)),
            ("ns_per_page", fixed(comparison.nsPerOp[0])),
            ("populate_ns_per_page", fixed(comparison.nsPerOp[1])),
            ("zero_read_ns_per_page", fixed(comparison.nsPerOp[2])),
            ("ratio_vs_populate", fixed(ratio.median)),
            ("ratio_min", fixed(ratio.min)),
            ("ratio_max", fixed(ratio.max)),
            ("rounds", String(comparison.roundTimes[0].count)),
        ])
    benchCheck(memory.checkInvariants(zeroFrame: machine.sharedZeroFrame) == nil, "invariants after the fault bench")
}
