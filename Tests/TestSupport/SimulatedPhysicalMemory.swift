// (Shared by PageTablesTests and the pagetables fuzz target in Tests/Fuzz.)
// Host fakes: a buffer that plays physical memory, and a table-frame source that records every frame
// it hands out, so tests can read every entry bit and catch leaks, double frees and unzeroed tables.

import MemoryCore
import PageTables

/// A run of simulated RAM at a high physical address, so entries use frame bits up to bit 51.
public final class SimulatedRAM {
    /// 0x000F_FFFF_F000_0000: every address has bits 28..51 set.
    public static let defaultFirstFrame = FrameNumber(0x000F_FFFF_F000_0000 >> 12)

    public let firstFrame: FrameNumber
    public let frameCount: Int
    public let base: UnsafeMutableRawPointer

    public init(frameCount: Int, firstFrame: FrameNumber = SimulatedRAM.defaultFirstFrame) {
        self.firstFrame = firstFrame
        self.frameCount = frameCount
        base = UnsafeMutableRawPointer.allocate(byteCount: frameCount * 4096, alignment: 4096)
        base.initializeMemory(as: UInt8.self, repeating: 0xCC, count: frameCount * 4096)
    }

    deinit { base.deallocate() }

    public var frames: FrameRange { FrameRange(firstFrame, firstFrame.advanced(by: Int64(frameCount))) }

    public func pointer(to address: PhysicalAddress) -> UnsafeMutableRawPointer {
        precondition(frames.physicalRange.contains(address), "simulated RAM: access outside the buffer")
        return base + Int(address.raw - firstFrame.startAddress.raw)
    }

    /// Raw 64-bit entry `index` of the table in `frame`, read directly (not through the module).
    public func rawEntry(_ frame: FrameNumber, _ index: Int) -> UInt64 {
        pointer(to: frame.startAddress).load(fromByteOffset: index * 8, as: UInt64.self)
    }

    public func setRawEntry(_ frame: FrameNumber, _ index: Int, _ value: UInt64) {
        pointer(to: frame.startAddress).storeBytes(of: value, toByteOffset: index * 8, as: UInt64.self)
    }

    public func fill(_ frame: FrameNumber, byte: UInt8) {
        pointer(to: frame.startAddress).initializeMemory(as: UInt8.self, repeating: byte, count: 4096)
    }
}

/// The accessor the address space uses in tests.
public struct SimulatedMemoryAccess: PhysicalMemoryAccess {
    public let ram: SimulatedRAM
    public init(ram: SimulatedRAM) { self.ram = ram }
    public func pointer(to address: PhysicalAddress) -> UnsafeMutableRawPointer { ram.pointer(to: address) }
}

/// A table-frame source over the simulated RAM: fills allocated frames with garbage (so a missing
/// zeroing shows), poisons freed frames, records misuse, and can be limited to force exhaustion.
public struct RecordingFrameSource: TableFrameSource, TableFrameLedger {
    public let ram: SimulatedRAM
    private var free: [FrameNumber]
    public private(set) var outstanding: Set<FrameNumber> = []
    public private(set) var allocationCount = 0
    public private(set) var freeCount = 0
    /// Frees of a frame that was not outstanding (double or foreign free).
    public private(set) var badFrees: [FrameNumber] = []
    /// allocateTableFrame returns nil once this many frames are outstanding.
    public var outstandingLimit = Int.max

    public init(ram: SimulatedRAM) {
        self.ram = ram
        // Hand out in ascending order.
        free = (0 ..< ram.frameCount).reversed().map { ram.firstFrame.advanced(by: Int64($0)) }
    }

    public mutating func allocateTableFrame() -> FrameNumber? {
        guard outstanding.count < outstandingLimit, let frame = free.popLast() else { return nil }
        outstanding.insert(frame)
        allocationCount += 1
        ram.fill(frame, byte: 0xA5)
        return frame
    }

    public mutating func freeTableFrame(_ frame: FrameNumber) {
        guard outstanding.remove(frame) != nil else {
            badFrees.append(frame)
            return
        }
        freeCount += 1
        ram.fill(frame, byte: 0x5A)
        free.append(frame)
    }

    public func isOutstandingTableFrame(_ frame: FrameNumber) -> Bool { outstanding.contains(frame) }
    public var outstandingTableFrameCount: Int? { outstanding.count }
}

public typealias TestSpace = AddressSpace<SimulatedMemoryAccess>

/// A fresh RAM, source and address space of `kind`.
public func makeSpace(kind: AddressSpaceKind = .user, frames: Int = 256) throws -> (SimulatedRAM, RecordingFrameSource, TestSpace)
{
    let ram = SimulatedRAM(frameCount: frames)
    var source = RecordingFrameSource(ram: ram)
    let space = try TestSpace(kind: kind, memory: SimulatedMemoryAccess(ram: ram), tableFrames: &source)
    return (ram, source, space)
}

/// A user page by its indices (PML4 slot, PDPT, PD, PT).
public func page(_ slot: Int, _ pdpt: Int, _ pd: Int, _ pt: Int) -> VirtualAddress {
    VirtualAddress.canonical(pml4: slot, pdpt: pdpt, pd: pd, pt: pt)
}
