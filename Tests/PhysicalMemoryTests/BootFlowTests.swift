// The whole boot sequence on QEMU-like maps, as the kernel runs it: parse, normalise, reserve,
// bump-allocate the frame allocator's metadata, reserve that, build the allocator, hand out frames.
@testable import PhysicalMemory
import MemoryCore
import Testing

struct BootedMemory {
    let map: MemoryMap
    let reservations: ReservationList
    let usable: UsableFrameRanges
    let fixture: AllocatorFixture
    let metadata: PhysicalRange
}

/// Runs the kernel's sequence over `entries`, with the kernel image at [1 MiB, 3 MiB) and the
/// multiboot info and command line just after it (where QEMU puts them).
func boot(_ entries: [RawEntry]) throws -> BootedMemory {
    try boot(normalised: parse(multibootBytes(entries)).map.normalised())
}

/// The same sequence from an already normalised map (whichever parser produced it).
func boot(normalised map: MemoryMap) throws -> BootedMemory {
    var reservations = ReservationList()
    try reservations.add(bytes(0, MiB), reason: .firstMebibyte)
    try reservations.add(bytes(MiB, 3 * MiB), reason: .kernelImage)
    try reservations.add(bytes(3 * MiB, 3 * MiB + 0x1234), reason: .multibootInfo)
    try reservations.add(bytes(3 * MiB + 0x1234, 3 * MiB + 0x1300), reason: .commandLine)
    let firstUsable = UsableFrameRanges(map: map, reservations: reservations)
    var early = EarlyFrameAllocator(usable: firstUsable)
    let span = firstUsable.span
    let metadataBytes = FrameAllocator.metadataByteCount(managing: span)
    let allocated = early.allocate(byteCount: metadataBytes, alignment: frameSize)
    let metadata = try #require(allocated)
    try early.addTakenRanges(to: &reservations)
    let usable = UsableFrameRanges(map: map, reservations: reservations)
    // The span stays the one the metadata was sized for; the final usable ranges lie inside it.
    let fixture = try AllocatorFixture(span: span, usable: usable, reservations: reservations)
    return BootedMemory(map: map, reservations: reservations, usable: usable, fixture: fixture, metadata: metadata)
}

@Suite struct BootFlowTests {
    @Test func sixGiBQemuMachine() throws {
        let booted = try boot(qemu6GiBEntries)
        let frames = booted.fixture.allocator
        // Metadata: 168 992 bytes per GiB of span (7 GiB span here), whole frames, low memory.
        #expect(booted.metadata.start == PhysicalAddress(3 * MiB + 0x2000))
        #expect(
            booted.metadata.byteCount == alignUp(FrameAllocator.metadataByteCount(managing: booted.usable.span), to: frameSize)!)
        #expect(frames.state(of: booted.metadata.start.containingFrame) == .reserved)
        // Everything below the first usable frame (the boot reservations) is outside the span.
        #expect(frames.span.start == booted.metadata.start.containingFrame)
        #expect(frames.state(of: FrameNumber((3 * MiB) >> 12)) == .notManaged)
        #expect(frames.state(of: FrameNumber(0x9F)) == .notManaged)  // partial frame at 0x9fc00 trimmed
        #expect(frames.state(of: FrameNumber(0xC0000)) == .notManaged)  // PCI hole
        let usableBytes = 6 * GiB - MiB + 0x9f000
        let reservedBytes = 0x9f000 + 2 * MiB + 0x2000 + booted.metadata.byteCount  // in usable RAM
        #expect(frames.totalFrames == (usableBytes - reservedBytes) / frameSize)
        #expect(frames.totalFrames == booted.usable.frameCount)
        #expect(frames.checkInvariants() == nil)
        // Single frames come from the lowest usable frame after the metadata.
        let first = try frames.allocate()
        #expect(first == booted.metadata.end.containingFrame)
        // A 1 GiB-aligned gigabyte: [1 GiB, 2 GiB) is free below the hole.
        let gigabyte = try frames.allocate(count: GiB / frameSize, alignment: GiB / frameSize)
        #expect(gigabyte.startAddress == PhysicalAddress(GiB))
        // Another 2 GiB run must come from above 4 GiB: below it only [2 GiB, 3 GiB) is left.
        let high = try frames.allocate(count: 2 * GiB / frameSize, alignment: 512)
        #expect(high.startAddress == PhysicalAddress(4 * GiB))
        #expect(throws: FrameAllocatorError.outOfMemory) { try frames.allocate(count: 2 * GiB / frameSize, alignment: 1) }
        try frames.free(runStartingAt: high, count: 2 * GiB / frameSize)
        try frames.free(runStartingAt: gigabyte, count: GiB / frameSize)
        try frames.free(first)
        #expect(frames.statistics.freeFrames == frames.totalFrames)
        #expect(frames.largestFreeRun() == 3 * GiB / frameSize)
        #expect(frames.checkInvariants() == nil)
    }

    @Test(arguments: [32, 128] as [UInt64])
    func smallQemuMachinesHandOutEveryUsableFrameExactlyOnce(megabytes: UInt64) throws {
        let booted = try boot(qemuSmallEntries(megabytes: megabytes))
        let frames = booted.fixture.allocator
        var handedOut = Set<UInt64>()
        while let frame = try? frames.allocate() {
            handedOut.insert(frame.raw)
        }
        #expect(UInt64(handedOut.count) == frames.totalFrames)
        #expect(frames.statistics.usedFrames == frames.totalFrames)
        for index in 0 ..< booted.reservations.count {
            let reserved = booted.reservations[index].range.touchedFrames
            #expect(!handedOut.contains { reserved.contains(FrameNumber($0)) }, "reservation \(index) handed out")
        }
        #expect(
            handedOut.allSatisfy { frame in
                (0 ..< booted.usable.count).contains { booted.usable[$0].contains(FrameNumber(frame)) }
            })
        #expect(handedOut.max()! == (megabytes * MiB - 0x2000) / frameSize - 1)
        #expect(frames.checkInvariants() == nil)
    }
}
