// PhysicalMemory: from the boot loader's memory map to a page-frame allocator.
//
// The boot flow, one file per step:
//   1. MultibootMemoryMapParser  bytes -> MemoryMap as given (+ counts of what was dropped, why)
//   2. MemoryMap+Normalise       sorted, disjoint, merged; non-usable beats usable on overlap;
//                                usable trimmed inwards to whole frames
//   3. Reservation               what must never be handed out (kernel image, boot data, ...);
//                                adding never drops silently (a full list throws)
//   4. UsableFrameRanges         usable frames = whole frames of usable RAM \ reserved frames
//   5. EarlyFrameAllocator       bump allocator over those frames; supplies (4)'s metadata;
//                                its taken ranges become .allocatorMetadata reservations
//   6. FrameAllocator            hierarchical bitmap over the span; O(log64 n) single frames,
//                                word-at-a-time aligned runs, run-exact frees
//
// Kernel sequence:
//   let map = MemoryMap.parseMultiboot(bytes).map.normalised()
//   var reservations = ReservationList(); try reservations.add(kernel, reason: .kernelImage) ...
//   var early = EarlyFrameAllocator(usable: UsableFrameRanges(map: map, reservations: reservations))
//   let span = UsableFrameRanges(map: map, reservations: reservations).span
//   let metadata = early.allocate(byteCount: FrameAllocator.metadataByteCount(managing: span), alignment: 4096)!
//   try early.addTakenRanges(to: &reservations)
//   let frames = try FrameAllocator(span: span, storage: <metadata mapped>, storageByteCount: ...,
//                                   usable: UsableFrameRanges(map: map, reservations: reservations),
//                                   reservations: reservations)
//
// Glossary: frame = 4 KiB of physical memory; run = contiguous frames allocated together;
// span = [lowest usable frame, highest usable frame end); reservation = bytes never handed out.
// Nothing in this module allocates: fixed-capacity inline lists and caller-provided storage only.
// All raw memory access is in RawMemoryAccess.swift.
