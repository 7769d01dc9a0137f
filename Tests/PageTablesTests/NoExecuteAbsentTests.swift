import MemoryCore
import Testing
@testable import PageTables
import TestSupport

/// On a CPU without NX (EFER.NXE off) bit 63 is reserved: an accessor that says so gets entries
/// without it, whatever flags the caller asked for, from map, protect and protectRegion alike.
@Suite struct NoExecuteAbsentTests {
    struct NoNXAccess: PhysicalMemoryAccess {
        let ram: SimulatedRAM
        func pointer(to address: PhysicalAddress) -> UnsafeMutableRawPointer { ram.pointer(to: address) }
        var noExecuteSupported: Bool { false }
    }

    @Test func noEntryEverCarriesBit63() throws {
        let ram = SimulatedRAM(frameCount: 64)
        var source = RecordingFrameSource(ram: ram)
        var space = try AddressSpace(kind: .user, memory: NoNXAccess(ram: ram), tableFrames: &source)
        let data: PageFlags = [.present, .user, .writable, .noExecute]
        for index in 0 ..< 4 {
            try space.map(
                page(1, 0, 0, index), to: FrameNumber(UInt64(40 + index)), size: .size4KiB, flags: data, tableFrames: &source)
        }
        _ = try space.protect(page(1, 0, 0, 1), size: .size4KiB, flags: [.present, .user, .noExecute])
        try space.protectRegion(startingAt: page(1, 0, 0, 2), pageCount: 2, flags: [.present, .user, .noExecute])
        for index in 0 ..< 4 {
            let translation = try #require(space.translate(page(1, 0, 0, index)))
            #expect(!translation.flags.contains(.noExecute))
        }
        for frame in source.outstanding {
            for index in 0 ..< 512 { #expect(ram.rawEntry(frame, index) & (1 << 63) == 0) }
        }
        #expect(space.checkInvariants(ledger: source) == nil)
    }

    @Test func defaultAccessorKeepsBit63() throws {
        var (_, source, space) = try makeSpace()
        try space.map(
            page(1, 0, 0, 0), to: FrameNumber(40), size: .size4KiB, flags: [.present, .user, .noExecute], tableFrames: &source)
        #expect(space.translate(page(1, 0, 0, 0))?.flags.contains(.noExecute) == true)
    }
}
