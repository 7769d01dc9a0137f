// Building the physical memory manager at boot, in the order memory becomes known:
//   1. parse the loader's memory map and log it raw (base, end, size, type);
//   2. normalise it (sorted, merged, overlaps resolved in favour of reserved, usable trimmed to
//      whole frames) and log that;
//   3. reserve what the loader and the kernel occupy (first MiB, kernel image, boot page tables
//      and stack, multiboot structures, command line, modules) and log each reservation and why;
//   4. carve the frame allocator's metadata out of usable RAM with the early bump allocator and
//      reserve it (RAM beyond what the kernel can address is reserved too);
//   5. hand every remaining usable frame to the frame allocator and log its totals.
// Nothing here allocates from a heap: every list is fixed-capacity.
import MemoryCore
import KernelLog
import PhysicalMemory

/// The kernel's physical memory state, set once by `PhysicalMemoryBoot.run`.
enum KernelMemory {
    nonisolated(unsafe) static var frames = FrameAllocator()
    nonisolated(unsafe) static var reservations = ReservationList()
    /// The normalised memory map (the kernel's page tables map its usable regions).
    nonisolated(unsafe) static var map = MemoryMap()
    /// Free frames right after boot, before any demo or test ran (the summary compares with it).
    nonisolated(unsafe) static var freeFramesAtBoot: UInt64 = 0
}

enum PhysicalMemoryBoot {
    static func run(info: BootInfo, layout: BootImageLayout) {
        guard let parse = info.parseMemoryMap() else {
            panic("the boot loader gave no memory map (multiboot1 flag 6, multiboot2 tag 6)")
        }
        logRawMap(parse)
        let map = parse.map.normalised()
        if let efiMap = info.efiMemoryMap { logEFIMap(efiMap, loaderMap: map) }
        logNormalisedMap(map)
        var reservations = bootReservations(info: info, layout: layout)
        var usable = UsableFrameRanges(map: map, reservations: reservations)
        reserveUnaddressable(usable: usable, reservations: &reservations)
        usable = UsableFrameRanges(map: map, reservations: reservations)
        buildFrameAllocator(map: map, usable: &usable, reservations: &reservations)
        KernelMemory.reservations = reservations
        KernelMemory.map = map
        logReservations(reservations)
        logTotals()
    }

    // MARK: - 1, 2: the map

    private static func logRawMap(_ parse: MemoryMapParse) {
        for index in 0 ..< parse.map.count {
            let region = parse.map[index]
            let line = log.line(.info, "pmm", "map-raw").address("base", region.range.start.raw)
                .address("end", region.range.end.raw).size("size", region.range.byteCount)
                .text("type", region.kind.name)
            // A type the kernel does not know (GRUB reports EFI runtime code as 20): its number.
            if case .unknown(let code) = region.kind { line.dec("type_code", UInt64(code)) }
            line.end()
        }
        let dropped = parse.droppedZeroLength + parse.droppedTruncated + parse.clampedForOverflow + parse.map.droppedForCapacity
        if dropped > 0 {
            log.line(.warn, "pmm", "map-dropped").dec("zero_length", parse.droppedZeroLength)
                .dec("truncated", parse.droppedTruncated).dec("clamped_overflow", parse.clampedForOverflow)
                .dec("over_capacity", parse.map.droppedForCapacity).dec("capacity", MemoryMap.capacity).end()
        }
    }

    /// The firmware's UEFI map verbatim (debug: OVMF gives ~100 descriptors), then one line
    /// comparing its usable RAM with the loader's map the kernel allocates from.
    private static func logEFIMap(_ efiMap: EFIMemoryMapTag, loaderMap: MemoryMap) {
        for index in 0 ..< efiMap.count {
            let descriptor = efiMap[index]
            log.line(.debug, "pmm", "map-efi").address("base", descriptor.range.start.raw)
                .address("end", descriptor.range.end.raw).size("size", descriptor.range.byteCount)
                .text("type", descriptor.typeName).dec("efi_type", UInt64(descriptor.type))
                .hex("attributes", descriptor.attributes).end()
        }
        let efiUsable = efiMap.usableByteCount
        log.line(.info, "pmm", "map-efi-summary").dec("descriptors", efiMap.count).dec("truncated", efiMap.truncated)
            .size("usable_efi", efiUsable).size("usable_loader_map", loaderMap.usableByteCount)
            .text("agree", efiUsable == loaderMap.usableByteCount ? "yes" : "no").end()
    }

    private static func logNormalisedMap(_ map: MemoryMap) {
        for index in 0 ..< map.count {
            let region = map[index]
            log.line(.debug, "pmm", "map").address("base", region.range.start.raw)
                .address("end", region.range.end.raw).size("size", region.range.byteCount)
                .text("type", region.kind.name).end()
        }
        if map.droppedForCapacity > 0 {
            log.line(.warn, "pmm", "map-full").dec("dropped_regions", map.droppedForCapacity)
                .dec("capacity", MemoryMap.capacity).end()
        }
    }

    // MARK: - 3: reservations

    private static func bootReservations(info: BootInfo, layout: BootImageLayout) -> ReservationList {
        var list = ReservationList()
        reserve(&list, PhysicalRange(start: PhysicalAddress(0), end: PhysicalAddress(MiB)), .firstMebibyte)
        // The image holds the boot page tables and stack (in .bss): reserve around them so each
        // byte has exactly one stated reason.
        reserve(&list, PhysicalRange(start: layout.image.start, end: layout.bootPageTables.start), .kernelImage)
        reserve(&list, layout.bootPageTables, .bootPageTables)
        reserve(&list, layout.bootStack, .bootStack)
        reserve(&list, PhysicalRange(start: layout.bootStack.end, end: layout.image.end), .kernelImage)
        info.forEachStructureRange { reserve(&list, $0, .multibootInfo) }
        if let commandLine = info.commandLine { reserve(&list, commandLine.range, .commandLine) }
        for index in 0 ..< info.moduleCount {
            let module = info.module(index)
            reserve(&list, module.range, .bootModule)
            reserve(&list, MultibootInfo.string(at: module.nameAddress).range, .bootModule)
        }
        return list
    }

    /// A reservation that does not fit is a bug that could hand out kernel memory: stop.
    static func reserve(_ list: inout ReservationList, _ range: PhysicalRange, _ reason: ReservationReason) {
        do throws(ReservationListError) {
            try list.add(range, reason: reason)
        } catch {
            panic("reservation list full: cannot reserve boot memory safely", "capacity", UInt64(ReservationList.capacity))
        }
    }

    /// One line per reservation, in address order (selection by lowest start: the list is small
    /// and fixed-capacity, so no sorted copy is needed).
    private static func logReservations(_ list: ReservationList) {
        var previous: (start: UInt64, index: Int)? = nil
        for _ in 0 ..< list.count {
            var next: (start: UInt64, index: Int)? = nil
            for index in 0 ..< list.count {
                let candidate = (start: list[index].range.start.raw, index: index)
                if let previous, (candidate.start, candidate.index) <= (previous.start, previous.index) { continue }
                if next == nil || (candidate.start, candidate.index) < (next!.start, next!.index) { next = candidate }
            }
            guard let chosen = next else { break }
            let entry = list[chosen.index]
            log.line(.info, "pmm", "reserved").address("base", entry.range.start.raw)
                .address("end", entry.range.end.raw).size("size", entry.range.byteCount)
                .text("why", entry.reason.name).end()
            previous = chosen
        }
    }

    // MARK: - 4, 5: metadata and the frame allocator

    /// RAM past what the kernel's identity map can cover (PML4 slot 0: 512 GiB) is reserved, so
    /// every frame the allocator hands out is addressable.
    private static func reserveUnaddressable(usable: UsableFrameRanges, reservations: inout ReservationList) {
        let highestEnd = usable.span.end.startAddress
        guard highestEnd > KernelAddressSpace.identityMapLimit else { return }
        reserve(
            &reservations, PhysicalRange(start: KernelAddressSpace.identityMapLimit, end: highestEnd), .beyondAddressableMemory)
    }

    private static func buildFrameAllocator(
        map: MemoryMap, usable: inout UsableFrameRanges,
        reservations: inout ReservationList
    ) {
        // The span starts at frame 0 so that the first MiB and the kernel image are inside it:
        // freeing one of their frames is then reported as "reserved", not "never managed".
        let span = FrameRange(FrameNumber(0), usable.span.end)
        let metadataBytes = FrameAllocator.metadataByteCount(managing: span)
        var early = EarlyFrameAllocator(usable: usable)
        guard let storage = early.allocate(byteCount: metadataBytes, alignment: frameSize) else {
            panic("no memory for the frame allocator's metadata", "bytes", metadataBytes)
        }
        adopt(early, map: map, into: &usable, reservations: &reservations)
        do throws(FrameAllocatorSetupError) {
            KernelMemory.frames = try FrameAllocator(
                span: span, storage: physicalPointer(storage.start),
                storageByteCount: storage.byteCount,
                usable: usable, reservations: reservations, recentFrames: FrameAllocator.recentCapacity)
        } catch {
            panic("frame allocator set-up rejected the boot memory map")
        }
        KernelMemory.freeFramesAtBoot = KernelMemory.frames.statistics.freeFrames
    }

    /// Records what the bump allocator handed out as reserved allocator metadata, and recomputes
    /// the usable ranges without it.
    private static func adopt(
        _ early: EarlyFrameAllocator, map: MemoryMap, into usable: inout UsableFrameRanges,
        reservations: inout ReservationList
    ) {
        for index in 0 ..< early.takenCount {
            reserve(&reservations, early.taken(index), .allocatorMetadata)
        }
        usable = UsableFrameRanges(map: map, reservations: reservations)
    }

    private static func logTotals() {
        let stats = KernelMemory.frames.statistics
        log.line(.info, "pmm", "frames").dec("total", stats.totalFrames).dec("free", stats.freeFrames)
            .dec("used", stats.usedFrames).dec("reserved", stats.reservedFrames)
            .size("free_size", stats.freeFrames * frameSize).dec("largest_free_run", KernelMemory.frames.largestFreeRun())
            .size("metadata", KernelMemory.frames.metadataBytes).end()
    }
}
