// Light size classes: a small class's first blocks come from the medium regions (boundary-tagged
// blocks, UserHeap+Medium.swift) instead of a span of its own, until the class is busy enough to
// deserve one.
//
// Why: a span is at least one page (4 KiB; 8 KiB for the 4096-byte class), and a program that
// touches many classes with a few blocks each paid a page per class: glibc-thread (sizes 4 B to
// 32 KiB, inverse-square) held 216 KiB of small spans for 96 KiB live, espresso 324 KiB for
// 151 KiB (11.4 notes: 48 classes x 4 KiB is twice glibc-thread's live bytes). A medium block
// costs its 16-byte header instead, which is < 7 % of a slot of 256 bytes or more.
//
// Rule (SpanSizing.lightByteLimit(forClass:)): class c is light while it holds no span
// (classSpanBytes[c] == 0) and its slot size is >= SpanSizing.smallestLightSlot; its malloc then
// takes a medium block with a payload of the class's slot size, marked with the class
// (MediumBlock.markLight), as long as the class's light blocks stay within max(4 KiB, its
// minimum span) bytes (so the 4096-byte class, whose minimum span is 8 KiB, gets one).
// The malloc that would pass the limit maps (or takes) the class's first span instead, and from
// then on the class is served from spans as before; its light blocks stay where they are until
// freed, and the room they leave under the limit is used again when every span of the class is
// full, before a new span is mapped. Smaller slots (16-240 bytes) are never light: a span holds >= 16 of them, and a 64-byte
// minimum medium block would be 4x a 16-byte slot.
//
// The fast paths are unchanged: a light class has no current span, so its malloc is
// allocateSmall's slow path already; free finds a light block through the granule map (a medium
// region's byte) and frees it as a medium block, with the medium checks (block-start bitmap,
// boundary tags, in-use bit: interior, misaligned, double and foreign frees are reported as for
// any medium block). A light block keeps its size across realloc (the small rule), so its class's
// byte count stays exact.
//
// A class that takes most of the recent light mallocs (isBusyInTime: half of a window of 128)
// gets its span at once, whatever its live bytes: a lone block malloc'd and freed in a loop must
// not pay the medium tier on every call.
//
// Invariant (checkInvariants): lightBytes[c] = sum of the sizes of the in-use medium blocks
// marked with class c, and each such block's payload holds at least a slot of class c.

extension UserHeap {
    /// A light block of class `index` at `alignment` (16, 32 or 64), or nil when the class may not
    /// be light (too small a slot, or its light blocks would pass the limit) or the medium tier is
    /// out of memory: the caller then serves the class from spans.
    @inlinable mutating func allocateLight(classIndex index: Int, alignment: Int) -> SmallBlock? {
        let slotSize = SizeClass.byteCount(ofClass: index)
        guard slotSize >= SpanSizing.smallestLightSlot,
            lightBytes[index] + slotSize + MediumBlock.headerBytes <= SpanSizing.lightByteLimit(forClass: index),
            !isBusyInTime(classIndex: index)
        else { return nil }
        guard let payload = allocateMedium(byteCount: slotSize, alignment: alignment) else { return nil }
        let block = MediumBlock(address: payload &- UInt(MediumBlock.headerBytes))
        block.markLight(classIndex: index)
        lightBytes[index] += block.size
        return SmallBlock(address: payload, isZeroed: false)
    }

    /// Counts a light malloc of class `index` and says whether the class now takes most of the
    /// recent light mallocs (its score: +1 per light malloc, all scores halved every
    /// SpanSizing.lightWindow light mallocs). Such a class is busy in time even with few live
    /// blocks (a malloc/free pair in a loop: fastpath-256 paid the medium tier on every call,
    /// 84 ns instead of 10): it gets a span, whose pairs are the fast path. A class among many
    /// light ones (glibc-thread: ~40, each a few % of the light mallocs) never scores that high.
    @inlinable mutating func isBusyInTime(classIndex index: Int) -> Bool {
        lightScores[index] &+= 1
        lightMallocsInWindow &+= 1
        if lightMallocsInWindow == SpanSizing.lightWindow {
            lightMallocsInWindow = 0
            for c in 0 ..< SizeClass.count { lightScores[c] &>>= 1 }
        }
        return Int(lightScores[index]) >= SpanSizing.busyLightScore
    }

    /// posix_memalign's small path for an alignment of 32 or 64 (the class's slots are aligned to
    /// it in a span): a light block is cut at that alignment, else the class's spans serve it.
    @inlinable mutating func allocateSmallAligned(classIndex index: Int, alignment: Int) -> SmallBlock? {
        guard alignment > 16 else { return allocateSmall(classIndex: index) }
        return allocateSmallSlow(classIndex: index, alignment: alignment)
    }
}
