// How big a new small span or medium region is: small at first, growing with what the class (or
// the medium tier) already holds, so a heap that touches many size classes lightly does not pay a
// 64 KiB span per class, while a busy class still ends up on 64 KiB spans (few slow-path visits,
// few page-source calls).
//
// Small spans (2^shift bytes, shift in 12 ... 16):
//   minimumShift(c) = the smallest shift whose span holds one slot of class c after the header
//                     (4 KiB for every class but 4096 bytes, which needs 8 KiB)
//   shift(c, held)  = clamp(floorLog2(held) - 1, minimumShift(c), 16)      (held > 0)
// where held = bytes of the spans already assigned to the class: each new span is the largest
// power of two <= half of what the class holds. The spans of a class thus go 4, 4, 4, 4, 8, 8,
// 16, 16, 32, 32, 64, 64, ... KiB: a new span is mapped only when the class's spans are full, so
// its span bytes stay below 1.5 times its need plus one minimum span, and a class that grows to
// n bytes costs about 2 log2(n / 4 KiB) maps. History, measured on larson-1000 (~16 KiB live per
// class): spans of ceilLog2(2 * held) (4, 8, 32, 64) ran 1.24x glibc at a footprint of 2.4;
// floorLog2(held) + 1 (4, 8, 16, 32, 64; until issue 10's footprint work) 1.1-1.2x at 1.73;
// this rule costs 3.5 more instructions per malloc there (callgrind: 64.2 -> 67.7) for a
// footprint of 1.54 (espresso 2.56 -> 2.19, glibc-simple 1.76 -> 1.56, larson-5000 1.40 -> 1.32).
// A lightly used class pays one 4 KiB span; whether that span is mostly slack does not matter,
// because a class that gets busy moves on to spans that are >= 15/16 slots.
// Measured dead ends (issue 10, round 13; footprint of one round, maps per heap, 11-round ns on a
// loaded machine): spans of floorLog2(held) - 2 (a quarter of the class) took glibc-simple 1.56 ->
// 1.28 but doubled the maps (sh6bench 88 -> 426 over 11 rounds, larson-5000 235 -> 345) and slowed
// larson-5000 23 -> 29 ns and sh6bench 12.5 -> 15 ns, and raised gcc 1.49 -> 1.55; halving only
// the span that would raise the peak held: glibc-simple 1.44, gcc 1.54, sh6bench 1.16, maps
// 1.3-2.9x.
//
// Measured in round 14 (1-round footprints; maps per run; not landed): before a peak-raising
// region or large mapping, giving back other classes' idle current spans too: glibc-thread 2.71
// -> 2.37, gcc 1.46, but git-log's maps 277 -> 502 and its time 1.17-1.22 -> 0.96-1.02x glibc
// (the cross-tier churn of 12-mmed.md); taking an idle current span smaller than the class would
// map: perl's maps 642 -> 836. Landed instead: only a span of at least the size the class would
// map is taken, only for a span that would raise the peak (UserHeap+Mapping.swift).
// The span that raises the peak (issue 10, round 23; measured in round 22): a span that would
// raise the peak held is made at most an eighth of the peak live bytes (peakRaisingShift, the
// same eighth as the idle allowance: HeapStatistics.peakSlackBytes), but not below 16 KiB nor
// the class's minimum span, so above 128 KiB live the span that makes a peak adds at most 12.5 %
// to it. A class that only grows then maps spans of about an eighth of the heap instead of half
// its own holdings: 64 KiB spans once the heap holds 512 KiB live. Measured (1-round footprints,
// maps per run): glibc-simple 1.32 -> 1.16 (11 -> 12 maps), sh6bench 1.14 -> 1.09 (88 -> 91),
// trace-awk-wordindex 1.25 -> 1.26, a recorded `find /usr/lib` 1.47 -> 1.33 (round 22), every
// other scenario and trace within 0.01. Without the floor: glibc-simple 1.12 but 23 maps, and
// slower: ratio_vs_best_peer 0.84 -> 0.81 (8 interleaved runs each, glibc-simple alone; 0.83
// with the floor; 0.83 -> 0.79 in another 8), sh6bench 1.14. With the floor glibc-simple still
// pays some time (0.87 -> 0.82 in a 5-run set of every scenario, ranges 0.83-0.92 and
// 0.77-0.84; the others within their spread): the capped size also finds other classes' idle
// current spans (takeIdleCurrentSpan, 654 K instructions and 20 K D1 misses a run there), and
// that is where most of the gain comes from: searching at the uncapped size instead took
// glibc-simple to 1.48 with 90 maps. Round 22 held the cap back: it
// failed the 4 MiB whole-stack exhaustion test (WholeStackTests), whose page source then backed
// each mapping with one physically contiguous, 64 KiB-aligned frame run, so that every span
// below 64 KiB stranded the rest of its aligned run (first refusal at 564 of 766 frames). The
// kernel never does that (KernelMachine takes one frame a page; a mapping's alignment is
// virtual only), and the source now maps as the kernel does (Tests/UserMallocTests/
// KernelStackPageSource.swift): the heap's first refusal comes at 756 of 766 frames (764 without
// the cap).
// Measured in round 23, not landed: minimum spans of at least 4 slots (classes of 1024 ... 4096
// bytes on 8 ... 32 KiB spans instead of 1-3 slots a span), against trace-awk-wordindex's span
// switching (half its mallocs are 513 ... 4096 bytes, and 47 349 of 338 268 mallocs in a
// one-round run took the span slow path, allocateFromSpans; callgrind). 4 interleaved runs with every peer, ratio_vs_best_peer
// medians: awk-wordindex 0.61 -> 0.73, larson-1000 0.62 -> 0.71, alloc-test 0.79 -> 0.89, but
// sh6bench 1.06 -> 0.91 (maps 100 -> 388 and unmaps 2 -> 294 per run, 0 -> 0.40 faults per
// 1 000 ops), clang-compile 1.04 -> 0.96 (unmaps 6 -> 105, 0.28 faults per 1 000 ops), sample
// 1.12 -> 0.95, git-grep 0.91 -> 0.82; footprints larson-1000 1.55 -> 1.77, espresso 1.98 ->
// 2.17, gcc 1.48 -> 1.53, glibc-thread 2.71 -> 2.42.
//
// Medium regions (16 ... 256 KiB, powers of two): the smallest that holds the request and is at
// least a quarter of the bytes the medium tier already holds, capped at 256 KiB. A program with
// one 5 KB block holds a 16 KiB region, not 256 KiB. History: doubling (at least all the tier
// holds) let a new region double the tier (glibc-thread: a 64 KiB region on top of 82 KiB of
// regions at its peak); growing by half was measured worse than doubling in issue 10 (before
// light classes and the idle-memory rule); with both, a quarter measured best (issue 11, footprint
// doubling -> quarter: glibc-thread 3.44 -> 3.01, larson-1000 1.65 -> 1.56, gcc 1.60 -> 1.56,
// larson-5000 1.34 -> 1.32; the other scenarios within 0.01).
// A region that empties while smaller than that quarter (isOutgrown) is given back at once, not
// kept as the tier's spare: kept, it took the next blocks that fit it, and a growing block placed
// there soon reached its end and moved (round 14, trace-sample: whether a 128 KiB region was kept
// hung on whether a later mapping happened to raise the peak, a few KiB of small spans either way;
// kept, the 64-128 KiB blocks moved 133 times / 15.0 MB in a one-round run instead of 66 / 7.1 MB).
// Measured in round 14, not landed: regions of just the pages a request needs when it, not the
// quarter rule, decides the size (a 32 KiB block: 40 KiB instead of 64): glibc-thread 2.71 ->
// 2.67 with its maps 64 -> 130 (such a region empties with its one block); every region so sized:
// 2.63, maps 172. Medium requests only up to a quarter of a 256 KiB region's room (64 976 bytes;
// larger ones mapped alone): gcc 1.49 -> 1.25 (its 198 blocks of 64 KiB per replay fit three to a
// region), but trace-sample's remaps 752 -> 1 473 and its time 1.29 -> 0.82x glibc. Giving idle
// memory back before a remap growth too (a growth can make the peak: trace-sample's does): sample
// 1.39 -> 1.29 but 1.35 -> 0.63-0.72x glibc (maps 132 -> 431); without the cached large mappings,
// 1.36 and 1.03x.
// Measured again in round 20 (1-round footprints; ratio_vs_best_peer, 3 runs each; not landed),
// with three more recorded traces: (1) the quarter limit for malloc only, realloc's moves still
// medium up to 128 KiB: gcc 1.46 -> 1.21 and 0.82 -> 0.90 (faster), gxx (a cc1plus trace, not
// committed: 7.5 MB) 1.41 -> 1.38, sample 1.44 -> 1.39, but git-log 0.75 -> 0.50 (faults 1.4 ->
// 3.8 per 1 000 ops: the big blocks now map, fault and go back with the large cache before
// peaks) and sample 1.19 -> 0.92; (2) a request above the quarter takes a free block already
// binned, else its own mapping (no region mapped for it): gcc 1.22 but 0.83 -> 0.41 (faults 0.4
// -> 3.5), sample 0.85. (3) Giving idle memory back before a remap growth, the large cache kept or
// not: gxx 1.41 -> 1.39, sample 1.44 -> 1.43, every other footprint unchanged.
//
// Light classes (UserHeap+Light.swift): classes of >= smallestLightSlot bytes take their first
// blocks from the medium regions, up to lightByteLimit bytes, before their first span. Measured
// (footprint, slot/limit): 256/4 KiB glibc-thread 3.01, espresso 2.11, larson-1000 1.56;
// 256/16 KiB 2.42, 2.09, 1.84; 128/4 KiB 2.67, 1.90, 1.68; 64/4 KiB 2.54, 1.82, 1.65; 64/2 KiB
// 3.56, 1.98, 1.62. Lower slots or higher limits help the light-class scenarios but leave a
// promoted class's light blocks scattered over regions (larson: every class of >= 256 bytes gets
// busy), so the setting that worsens no scenario was kept.
// Measured in round 14, not landed: classes whose minimum span holds fewer than 3 slots (1408 ...
// 4096 bytes: one 4 KiB span per block or two) light up to 4 minimum spans: glibc-thread 2.71 ->
// 2.37 (3.01 -> 2.37 over 5 rounds), gcc 1.49 -> 1.47, sample back to 1.39, others within 0.01,
// but our instructions on trace-sample +8 % (malloc +10 %, free +28 %: its 1.4-4 KiB blocks take
// the medium path) and glibc-thread's malloc +2.6 %; fewer than 4 slots (1024 bytes too): larson-1000
// 1.55 -> 1.57, gcc 1.53.
// Measured in round 16 (ratio to the fastest peer, footprint; not landed): larson's gap to tcmalloc
// is mostly span switching: with every span 64 KiB, larson-1000 0.51 -> 0.77 (9.4 -> 6.3 ns)
// at a footprint of 1.55 -> 4.43. Spans of floorLog2(held) (twice this rule): larson-1000 0.51
// -> 0.59 (1.68), espresso 0.87 -> 0.93 (2.11), but glibc-simple 0.82 -> 0.66 (2.28), git-log
// 1.27 -> 1.37; a 16 KiB floor: larson 0.66 (2.11), glibc-thread 2.71 -> 6.15, espresso 4.04.

/// The size policy of new small spans and medium regions.
@usableFromInline enum SpanSizing {
    /// The smallest span shift with room for one slot of class `index` after the header:
    /// ceilLog2(header + slot), at least the smallest span's. (A loop doubling from 4 KiB used to
    /// find it; it runs on every span change: 29 772 calls, 0.96 M instructions, in a one-round
    /// run of the awk-wordindex trace.)
    @inlinable static func minimumShift(forClass index: Int) -> Int {
        let needed = SpanRef.dataOffset + SizeClass.byteCount(ofClass: index)
        return max(64 - (needed - 1).leadingZeroBitCount, SpanRef.smallestShift)
    }

    /// The shift of the next span of class `index`, which already holds `heldBytes` in spans.
    @inlinable static func shift(forClass index: Int, heldBytes: Int) -> Int {
        // floorLog2(held) - 1: the largest power of two <= held / 2.
        let grown = heldBytes <= 0 ? 0 : 62 - UInt64(heldBytes).leadingZeroBitCount
        return min(max(grown, minimumShift(forClass: index)), SpanRef.largestShift)
    }

    /// The shift of a span that would raise the peak held bytes: `shift` (the class's rule
    /// above), made smaller until the span is at most `slackBytes` (an eighth of the peak live
    /// bytes: HeapStatistics.peakSlackBytes), but never below 16 KiB (peakRaisingFloorShift) nor
    /// below the class's minimum span, and never larger than `shift`. Above 128 KiB live, the span
    /// that makes a peak thus adds at most 12.5 % to it, so a heap whose classes are still growing
    /// does not end with a half-empty 64 KiB span per class on top of its live bytes; below, at
    /// most 16 KiB (without the floor, a small growing heap mapped twice as often: file comment).
    @inlinable static func peakRaisingShift(_ shift: Int, forClass index: Int, slackBytes: Int) -> Int {
        let lowest = max(minimumShift(forClass: index), min(shift, peakRaisingFloorShift))
        var capped = shift
        while capped > lowest && 1 << capped > slackBytes { capped -= 1 }
        return capped
    }

    /// The smallest span the peak cap (peakRaisingShift) makes: 16 KiB.
    @inlinable static var peakRaisingFloorShift: Int { 14 }

    /// Light classes (UserHeap+Light.swift): the smallest slot size a light class may have ...
    @inlinable static var smallestLightSlot: Int { 256 }
    /// ... and the bytes of medium blocks its light blocks may hold before it gets a span.
    @inlinable static var lightByteLimit: Int { 4096 }

    /// Light mallocs between two halvings of the classes' light scores, and the score that makes
    /// a class busy in time (half of a window: UserHeap+Light.swift, isBusyInTime).
    @inlinable static var lightWindow: Int { 128 }
    @inlinable static var busyLightScore: Int { 64 }

    /// The light-block bytes class `index` may hold: lightByteLimit, or its minimum span when
    /// that is larger (room for one block of the 4096-byte class).
    @inlinable static func lightByteLimit(forClass index: Int) -> Int {
        max(lightByteLimit, 1 << minimumShift(forClass: index))
    }

    /// Whether an empty region of `bytes` is smaller than any region the medium tier, holding
    /// `heldBytes` in regions, would map now (a quarter of them, at most 256 KiB: the rule below).
    /// Such an outgrown region is given back as it empties (UserHeap+Medium.swift,
    /// regionBecameEmpty) rather than kept for the next blocks.
    @inlinable static func isOutgrown(regionBytes bytes: Int, heldBytes: Int) -> Bool {
        bytes < min(heldBytes / 4, RegionRef.alignment)
    }

    /// The bytes of a new medium region whose free block can serve a search from bin `bin`, when
    /// the medium tier already holds `heldBytes` in regions; nil when no region can.
    @inlinable static func regionByteCount(servingBin bin: Int, heldBytes: Int) -> Int? {
        let needed = MediumBins.lowestSize(ofBin: bin) + RegionRef.overheadBytes
        var bytes = RegionRef.smallestByteCount
        while bytes < needed || bytes < heldBytes / 4 {
            if bytes == RegionRef.alignment { return needed <= bytes ? bytes : nil }
            bytes <<= 1
        }
        return bytes
    }
}
