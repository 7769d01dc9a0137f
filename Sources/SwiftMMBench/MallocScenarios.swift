// Group "malloc": SwiftMM's UserHeap against glibc's malloc and, when their shared libraries load,
// jemalloc, mimalloc and tcmalloc, interleaved round by round in one process.
//
// Every scenario is a pre-generated trace (fixed seed, raw buffers, no RNG or bounds checks in the
// timed loop) replayed by one loop in C (BenchReplay), so all contenders run the very same machine
// code around their malloc/free: every contender, ours included, is a struct of C function
// pointers, one indirect call per operation. Each block gets a tag byte written at its first and
// last byte when allocated and checked before it is freed or reallocated (`verify_failures=`
// counts mismatches).
//
// Why the loop is C at a fixed page offset (round 16): the Swift generic loop it replaced was
// specialised in this binary, so any change to UserMalloc moved the peers' loop and changed the
// peers' times by 2-7 % with identical peer libraries (tcmalloc 8.84 -> 9.77 ns/op on
// trace-gcc-compile, 9.95 -> 10.59 on trace-swiftc): every A/B of ours was confounded. The C
// loops start a page each and reference nothing outside themselves (include/BenchReplay.h).
// That loop also called ours directly and the peers through their pointers; through a pointer
// like theirs, our malloc+free pair costs 0.6-0.9 ns more (4.92 -> 5.5-5.8 ns, round 16, quiet
// machine), which took the fast-path pairs from 1.11-1.22 of tcmalloc to 0.93-1.06.
//
// Output: one `bench ` line per scenario and contender: ns_per_op (median round time / ops; for
// the fastpath scenarios one op is a malloc+free pair), ratio_vs_glibc (median over rounds of
// glibc's time / this contender's, > 1 = faster than glibc, with min and max), and for swiftmm
// best_peer= / ratio_vs_best_peer= (the fastest peer's time / ours), footprint = peak bytes held
// from the page source / peak requested live bytes, and source_maps/unmaps/remaps= (page-source
// calls over all runs: each is one to three syscalls and page faults that instruction counts
// do not show).
//
// `SwiftMMBench malloc --trace FILE` replays a text trace instead (docs/malloc-trace-format.md).
#if canImport(Glibc)
import Glibc
#endif
@preconcurrency import BenchReplay
import UserMalloc
import TestSupport

// MARK: - Page source: libswiftmm's own (LinuxPageSource.swift links Library/Source/MmapPageSource.swift)

// MARK: - Contenders

/// A C malloc family resolved with dlopen/dlsym (glibc included, so every C contender is called
/// the same way). The malloc group's C loops call `functions`; the ladder and kernel-heap groups
/// call the Swift wrappers.
struct CAllocator {
    let name: String
    let functions: BenchReplayAllocator

    /// nil when the library or one of its symbols cannot be loaded.
    init?(name: String, library: String) {
        guard let handle = dlopen(library, RTLD_NOW | RTLD_LOCAL) else { return nil }
        func symbol<F>(_ symbolName: String, _ type: F.Type = F.self) -> F? {
            guard let address = dlsym(handle, symbolName) else { return nil }
            return unsafeBitCast(address, to: type)
        }
        guard let m = symbol("malloc", CMalloc.self), let f = symbol("free", CFree.self),
            let r = symbol("realloc", CRealloc.self), let c = symbol("calloc", CCalloc.self),
            let a = symbol("posix_memalign", CPosixMemalign.self)
        else { return nil }
        self.name = name
        functions = BenchReplayAllocator(malloc: m, free: f, realloc: r, calloc: c, posix_memalign: a)
    }

    @inline(__always) func malloc(_ byteCount: Int) -> UnsafeMutableRawPointer? { functions.malloc(byteCount) }
    @inline(__always) func free(_ pointer: UnsafeMutableRawPointer?) { functions.free(pointer) }
}

typealias CMalloc = @convention(c) (Int) -> UnsafeMutableRawPointer?
typealias CFree = @convention(c) (UnsafeMutableRawPointer?) -> Void
typealias CRealloc = @convention(c) (UnsafeMutableRawPointer?, Int) -> UnsafeMutableRawPointer?
typealias CCalloc = @convention(c) (Int, Int) -> UnsafeMutableRawPointer?
typealias CPosixMemalign = @convention(c) (UnsafeMutablePointer<UnsafeMutableRawPointer?>, Int, Int) -> Int32

/// Counts heap error reports during a benchmark (there must be none).
final class BenchErrorCounter {
    var count = 0
}

/// SwiftMM's UserHeap over mmap. The malloc group's heap under test (`underTest`) lives in the
/// static storage `bench_replay_heap_storage`, where the C loops reach it through `functions`, the
/// @_cdecl functions below (one call per operation, as a C-exported malloc would be); at most one
/// such heap exists at a time (the bench is single-threaded). Other heaps (the ladder's) are
/// allocated and called through the non-inlined wrappers.
struct SwiftMMAllocator {
    let heap: UnsafeMutablePointer<UserHeap<MmapPageSource>>
    let errors: BenchErrorCounter
    let underTest: Bool
    let functions = BenchReplayAllocator(
        malloc: swiftmmBenchMalloc, free: swiftmmBenchFree, realloc: swiftmmBenchRealloc, calloc: swiftmmBenchCalloc,
        posix_memalign: swiftmmBenchPosixMemalign)

    init(underTest: Bool = false) {
        let errors = BenchErrorCounter()
        self.errors = errors
        self.underTest = underTest
        if underTest {
            precondition(!heapStorageInUse, "one SwiftMM heap under test at a time")
            precondition(
                MemoryLayout<UserHeap<MmapPageSource>>.size <= MemoryLayout<BenchReplayHeapStorage>.size
                    && MemoryLayout<UserHeap<MmapPageSource>>.alignment <= 4096,
                "UserHeap outgrew bench_replay_heap_storage (BENCH_REPLAY_HEAP_WORDS)")
            heapStorageInUse = true
            heap = benchHeap()
        } else {
            heap = .allocate(capacity: 1)
        }
        heap.initialize(
            to: UserHeap(source: MmapPageSource(), secret: UInt64.random(in: 0 ... UInt64.max)) { _ in errors.count += 1 })
    }

    /// Returns every page to the source and releases the heap.
    func destroy() {
        heap.pointee.trim()
        heap.deinitialize(count: 1)
        if underTest { heapStorageInUse = false } else { heap.deallocate() }
    }

    @inline(never) func malloc(_ byteCount: Int) -> UnsafeMutableRawPointer? { heap.pointee.allocate(byteCount: byteCount) }
    @inline(never) func free(_ pointer: UnsafeMutableRawPointer?) { heap.pointee.free(pointer) }
}

/// Whether bench_replay_heap_storage holds a live heap.
nonisolated(unsafe) var heapStorageInUse = false

/// The heap under test, at a link-time constant address (a `lea`, no load, in each call: the cost
/// shape of the Swift wrappers this replaced, which had the heap pointer in a register; a pointer
/// loaded from a global made our malloc+free pair ~1 ns slower).
@inline(__always) private func benchHeap() -> UnsafeMutablePointer<UserHeap<MmapPageSource>> {
    withUnsafeMutablePointer(to: &bench_replay_heap_storage) { UnsafeMutableRawPointer($0) }.assumingMemoryBound(
        to: UserHeap<MmapPageSource>.self)
}

// Each @_cdecl symbol is the function the C loop calls; @inline(__always) puts the Swift body in it
// (otherwise the symbol is a thunk that jumps to the Swift function: one hop more than a C malloc).
@_cdecl("swiftmm_bench_malloc") @inline(__always)
func swiftmmBenchMalloc(_ byteCount: Int) -> UnsafeMutableRawPointer? {
    benchHeap().pointee.allocate(byteCount: byteCount)
}

@_cdecl("swiftmm_bench_free") @inline(__always)
func swiftmmBenchFree(_ pointer: UnsafeMutableRawPointer?) {
    benchHeap().pointee.free(pointer)
}

@_cdecl("swiftmm_bench_realloc") @inline(__always)
func swiftmmBenchRealloc(_ pointer: UnsafeMutableRawPointer?, _ byteCount: Int) -> UnsafeMutableRawPointer? {
    benchHeap().pointee.reallocate(pointer, byteCount: byteCount)
}

@_cdecl("swiftmm_bench_calloc") @inline(__always)
func swiftmmBenchCalloc(_ count: Int, _ byteCount: Int) -> UnsafeMutableRawPointer? {
    benchHeap().pointee.allocateZeroed(count: count, byteCount: byteCount)
}

/// posix_memalign's contract: 0 and the block in `result`, or an error number (ENOMEM) and
/// `result` untouched.
@_cdecl("swiftmm_bench_posix_memalign") @inline(__always)
func swiftmmBenchPosixMemalign(
    _ result: UnsafeMutablePointer<UnsafeMutableRawPointer?>, _ alignment: Int, _ byteCount: Int
) -> Int32 {
    guard let block = try? benchHeap().pointee.allocateAligned(byteCount: byteCount, alignment: alignment) else {
        return ENOMEM
    }
    result.pointee = block
    return 0
}

/// The C contenders that load on this machine, glibc first. SWIFTMM_MALLOC_PEERS (names joined
/// by commas, e.g. "mimalloc") keeps only those peers besides glibc, which every ratio needs: a
/// profile (callgrind, perf) then sees one peer's malloc and free, not three mixed under one name.
func loadCAllocators() -> [CAllocator] {
    let candidates = [
        ("glibc", "libc.so.6"), ("jemalloc", "libjemalloc.so.2"),
        ("mimalloc", "libmimalloc.so.2"), ("tcmalloc", "libtcmalloc_minimal.so.4"),
    ]
    let chosen = getenv("SWIFTMM_MALLOC_PEERS").map { Set(String(cString: $0).split(separator: ",").map(String.init)) }
    var loaded: [CAllocator] = []
    for (name, library) in candidates where name == "glibc" || chosen?.contains(name) ?? true {
        if let allocator = CAllocator(name: name, library: library) {
            loaded.append(allocator)
        } else {
            let reason = dlerror().map { String(cString: $0) } ?? "symbols missing"
            // jemalloc needs static TLS space that a dlopen after start-up may not find:
            // GLIBC_TUNABLES=glibc.rtld.optional_static_tls=4096 gives it room.
            print("# malloc: \(name) skipped: \(reason)")
        }
    }
    return loaded
}

// MARK: - Traces

/// In memory, the case index, which the C loop reads as BENCH_REPLAY_* (`traceLayoutMatchesC`).
enum TraceOpKind: UInt8 {
    case malloc, free, realloc, calloc, aligned
}

/// One trace operation: 16 bytes, read straight from a raw buffer in the timed loop as the C
/// struct BenchReplayOp (same layout, `traceLayoutMatchesC`).
struct TraceOp {
    var kind: TraceOpKind
    var slot: UInt32
    /// Bytes (malloc, realloc, aligned), or bytes per element (calloc).
    var size: UInt32
    /// Element count (calloc) or alignment (aligned); 0 otherwise.
    var extra: UInt32
}

/// A replayable trace in raw buffers, with the slot table it needs and its peak live bytes.
final class Trace {
    let ops: UnsafeMutableBufferPointer<TraceOp>
    let slots: UnsafeMutableBufferPointer<UnsafeMutableRawPointer?>
    let sizes: UnsafeMutableBufferPointer<Int>
    let peakLiveBytes: Int

    init(ops source: [TraceOp], slotCount: Int, peakLiveBytes: Int) {
        ops = .allocate(capacity: source.count)
        _ = ops.initialize(from: source)
        slots = .allocate(capacity: max(slotCount, 1))
        slots.initialize(repeating: nil)
        sizes = .allocate(capacity: max(slotCount, 1))
        sizes.initialize(repeating: 0)
        self.peakLiveBytes = peakLiveBytes
    }

    deinit {
        ops.deallocate()
        slots.deallocate()
        sizes.deallocate()
    }
}

/// Builds a trace while tracking which slots are live and the peak of requested live bytes;
/// `finish()` frees whatever is still live so every replay ends with an empty heap.
struct TraceBuilder {
    var ops: [TraceOp] = []
    var live: [Int?]
    var liveBytes = 0
    var peakLiveBytes = 0

    init(slotCount: Int) { live = Array(repeating: nil, count: slotCount) }

    func isLive(_ slot: Int) -> Bool { live[slot] != nil }

    mutating func setLive(_ slot: Int, _ bytes: Int?) {
        liveBytes += (bytes ?? 0) - (live[slot] ?? 0)
        live[slot] = bytes
        peakLiveBytes = max(peakLiveBytes, liveBytes)
    }

    mutating func malloc(_ slot: Int, _ size: Int) {
        ops.append(TraceOp(kind: .malloc, slot: UInt32(slot), size: UInt32(size), extra: 0))
        setLive(slot, size)
    }

    mutating func free(_ slot: Int) {
        ops.append(TraceOp(kind: .free, slot: UInt32(slot), size: 0, extra: 0))
        setLive(slot, nil)
    }

    mutating func realloc(_ slot: Int, _ size: Int) {
        ops.append(TraceOp(kind: .realloc, slot: UInt32(slot), size: UInt32(size), extra: 0))
        setLive(slot, size == 0 ? nil : size)
    }

    mutating func calloc(_ slot: Int, _ count: Int, _ size: Int) {
        ops.append(TraceOp(kind: .calloc, slot: UInt32(slot), size: UInt32(size), extra: UInt32(count)))
        setLive(slot, count * size)
    }

    mutating func aligned(_ slot: Int, _ alignment: Int, _ size: Int) {
        ops.append(TraceOp(kind: .aligned, slot: UInt32(slot), size: UInt32(size), extra: UInt32(alignment)))
        setLive(slot, size)
    }

    mutating func finish() -> Trace {
        for slot in live.indices where live[slot] != nil { free(slot) }
        return Trace(ops: ops, slotCount: live.count, peakLiveBytes: peakLiveBytes)
    }
}

// MARK: - Replay

/// Whether TraceOp and TraceOpKind are laid out as the C loop reads them (BenchReplayOp and the
/// BENCH_REPLAY_* kinds): checked once before any replay.
func traceLayoutMatchesC() -> Bool {
    typealias C = BenchReplayOp
    let kinds: [(TraceOpKind, Int)] = [
        (.malloc, Int(BENCH_REPLAY_MALLOC)), (.free, Int(BENCH_REPLAY_FREE)), (.realloc, Int(BENCH_REPLAY_REALLOC)),
        (.calloc, Int(BENCH_REPLAY_CALLOC)), (.aligned, Int(BENCH_REPLAY_ALIGNED)),
    ]
    return MemoryLayout<TraceOp>.size == MemoryLayout<C>.size && MemoryLayout<TraceOp>.stride == MemoryLayout<C>.stride
        && MemoryLayout<TraceOp>.offset(of: \.kind) == MemoryLayout<C>.offset(of: \.kind)
        && MemoryLayout<TraceOp>.offset(of: \.slot) == MemoryLayout<C>.offset(of: \.slot)
        && MemoryLayout<TraceOp>.offset(of: \.size) == MemoryLayout<C>.offset(of: \.size)
        && MemoryLayout<TraceOp>.offset(of: \.extra) == MemoryLayout<C>.offset(of: \.extra)
        && kinds.allSatisfy { kind, value in Int(unsafeBitCast(kind, to: UInt8.self)) == value }
}

/// Replays a trace once (the C loop, bench_replay_trace); returns the number of failed
/// verifications or allocations.
func replay(_ trace: Trace, on allocator: UnsafePointer<BenchReplayAllocator>) -> Int {
    let ops = UnsafeRawPointer(trace.ops.baseAddress.unsafelyUnwrapped).assumingMemoryBound(to: BenchReplayOp.self)
    return bench_replay_trace(
        allocator, ops, trace.ops.count, trace.slots.baseAddress.unsafelyUnwrapped, trace.sizes.baseAddress.unsafelyUnwrapped)
}

// MARK: - Running and reporting

/// Runs `body` for swiftmm and every C contender interleaved, and prints one line each.
func runMallocScenario(
    _ name: String, operations: Int, peakLiveBytes: Int, allocators: [CAllocator],
    extra: [(String, String)] = [],
    _ body: @escaping (UnsafePointer<BenchReplayAllocator>) -> Int
) {
    let ours = SwiftMMAllocator(underTest: true)
    defer { ours.destroy() }
    var failures = Array(repeating: 0, count: allocators.count + 1)
    var contenders = [Contender(name: "swiftmm", run: { failures[0] += withUnsafePointer(to: ours.functions, body) })]
    for (index, allocator) in allocators.enumerated() {
        contenders.append(
            Contender(name: allocator.name, run: { failures[index + 1] += withUnsafePointer(to: allocator.functions, body) }))
    }
    let comparison = compare(contenders, operations: operations)
    let statistics = ours.heap.pointee.statistics
    let glibcIndex = 1
    for (index, contender) in contenders.enumerated() {
        let ratio = comparison.ratio(of: index, against: glibcIndex)
        var fields: [(String, String)] = [
            ("allocator", contender.name),
            ("ns_per_op", fixed(comparison.nsPerOp[index])),
            ("ratio_vs_glibc", fixed(ratio.median)),
            ("ratio_min", fixed(ratio.min)),
            ("ratio_max", fixed(ratio.max)),
            ("rounds", String(comparison.roundTimes[index].count)),
            ("ops", String(operations)),
            // Kernel-side cost of the run (medians over rounds): page faults per 1 000 operations
            // and kernel CPU time per operation (getrusage; its resolution may be a scheduler
            // tick, so read sys_ns_per_op over several scenarios, faults exactly).
            ("faults_per_kop", fixed(median(comparison.roundFaults[index]) * 1000 / Double(operations))),
            ("sys_ns_per_op", fixed(median(comparison.roundSystemNanoseconds[index]) / Double(operations))),
        ]
        if index == 0 {
            fields += bestPeerFields(
                comparison, ours: 0, peers: Array(1 ..< contenders.count),
                names: contenders.map(\.name))
            let footprint = peakLiveBytes > 0 ? Double(statistics.peakHeldBytes) / Double(peakLiveBytes) : 0
            fields += [
                ("footprint", fixed(footprint)), ("peak_held_bytes", String(statistics.peakHeldBytes)),
                ("peak_live_bytes", String(peakLiveBytes)), ("heap_errors", String(ours.errors.count)),
                ("source_maps", String(statistics.mapCalls)), ("source_unmaps", String(statistics.unmapCalls)),
                ("source_remaps", String(statistics.remapCalls)), ("recycled_mappings", String(statistics.recycledMappings)),
                ("peak_small_span_bytes", String(statistics.peakComposition.smallSpanBytes)),
                ("peak_cached_span_bytes", String(statistics.peakComposition.cachedEmptySpanBytes)),
                ("peak_medium_bytes", String(statistics.peakComposition.mediumRegionBytes)),
                ("peak_medium_live_bytes", String(statistics.peakComposition.liveMediumBytes)),
                ("peak_large_bytes", String(statistics.peakComposition.largeBytes)),
                ("peak_mapping_bytes", String(statistics.peakComposition.mappingBytes)),
                ("peak_directory_bytes", String(statistics.peakComposition.directoryBytes)),
                ("idle_released_large_bytes", String(statistics.idleReleasedLargeBytes)),
                ("idle_released_span_bytes", String(statistics.idleReleasedSpanBytes)),
                ("idle_released_region_bytes", String(statistics.idleReleasedRegionBytes)),
            ]
        }
        fields.append(("verify_failures", String(failures[index])))
        emitBenchLine(scenario: name, fields + extra)
    }
}

/// Scenario filter: env SWIFTMM_MALLOC_SCENARIO=text keeps the scenarios whose name contains it.
func mallocScenarioSelected(_ name: String) -> Bool { scenarioSelected(name, filter: "SWIFTMM_MALLOC_SCENARIO") }

/// A trace scenario: every contender replays the same trace; a short trace is replayed several
/// times per timed run (at least `minimumOperationsPerRun` operations), so that one run is long
/// enough for the clock and a scheduler tick does not decide a round.
func runTraceScenario(_ name: String, _ trace: @autoclosure () -> Trace, allocators: [CAllocator]) {
    guard mallocScenarioSelected(name) else { return }
    let trace = trace()
    let repetitions = max(1, (minimumOperationsPerRun + trace.ops.count - 1) / max(trace.ops.count, 1))
    runMallocScenario(
        name, operations: trace.ops.count * repetitions, peakLiveBytes: trace.peakLiveBytes,
        allocators: allocators, extra: repetitions > 1 ? [("replays_per_run", String(repetitions))] : []
    ) { allocator in
        var failures = 0
        for _ in 0 ..< repetitions { failures += replay(trace, on: allocator) }
        return failures
    }
}

let minimumOperationsPerRun = 200_000

// MARK: - Workloads (mimalloc-bench shapes as single-thread traces; see shared anchors)

/// Trace generation draws from the project's one seeded SplitMix64 (MemoryCore); generation
/// only, never timed.
typealias TraceRandom = SplitMix64

extension SplitMix64 {
    init(state: UInt64) { self.init(seed: state) }
    /// Uniform Double in [0, 1).
    mutating func unit() -> Double { Double(next() >> 11) / Double(1 << 53) }
}

/// glibc-simple: batches of 25/100/400/1600 blocks of 16/32/64 B, first half freed FIFO, second
/// half LIFO.
func glibcSimpleTrace() -> Trace {
    var builder = TraceBuilder(slotCount: 1600)
    var round = 0
    while builder.ops.count < 1_000_000 {
        let batch = [25, 100, 400, 1600][round % 4]
        let size = [16, 32, 64][(round / 4) % 3]
        for slot in 0 ..< batch { builder.malloc(slot, size) }
        for slot in 0 ..< (batch / 2) { builder.free(slot) }
        for slot in stride(from: batch - 1, through: batch / 2, by: -1) { builder.free(slot) }
        round += 1
    }
    return builder.finish()
}

/// larson: N slots filled, then free a random slot and malloc 8-999 B into it.
func larsonTrace(slots: Int, steps: Int) -> Trace {
    var random = TraceRandom(state: 0x1A25_0001)
    var builder = TraceBuilder(slotCount: slots)
    for slot in 0 ..< slots { builder.malloc(slot, 8 + random.below(992)) }
    for _ in 0 ..< steps {
        let slot = random.below(slots)
        builder.free(slot)
        builder.malloc(slot, 8 + random.below(992))
    }
    return builder.finish()
}

/// glibc-thread: 1024 slots, sizes inverse-square distributed in 4 ... 32768 B.
func glibcThreadTrace(steps: Int) -> Trace {
    var random = TraceRandom(state: 0x61BC_7EAD)
    var builder = TraceBuilder(slotCount: 1024)
    // Inverse-square density on [4, 32768]: inverse CDF  s = 1 / (1/4 - u (1/4 - 1/32768)).
    func size(_ random: inout TraceRandom) -> Int {
        Int(1.0 / (0.25 - random.unit() * (0.25 - 1.0 / 32768.0)))
    }
    for _ in 0 ..< steps {
        let slot = random.below(1024)
        if builder.isLive(slot) { builder.free(slot) }
        builder.malloc(slot, size(&random))
    }
    return builder.finish()
}

/// alloc-test: 2^18 slots half full; Pareto 80/20 slot choice (80 % of operations hit 20 % of
/// the slots); sizes from power-of-two classes 5 ... 1024 B with some jitter.
func allocTestTrace(steps: Int) -> Trace {
    let slots = 1 << 18
    var random = TraceRandom(state: 0xA110_C7E5)
    var builder = TraceBuilder(slotCount: slots)
    func size(_ random: inout TraceRandom) -> Int {
        let power = 2 + random.below(9)  // 4 ... 1024
        return max(5, (1 << power) - random.below(1 << (power - 1)))
    }
    for slot in stride(from: 0, to: slots, by: 2) { builder.malloc(slot, size(&random)) }
    for _ in 0 ..< steps {
        let hot = random.below(10) < 8
        let slot = hot ? random.below(slots / 5) : slots / 5 + random.below(slots - slots / 5)
        if builder.isLive(slot) { builder.free(slot) } else { builder.malloc(slot, size(&random)) }
    }
    return builder.finish()
}

/// sh6bench: rounds of a 10 000-pointer ring with sizes 1000, 500, 250, ... halved down to 1 and
/// restarted; each round frees the first half FIFO and the second half LIFO.
func sh6benchTrace(rounds: Int) -> Trace {
    let ring = 10_000
    var builder = TraceBuilder(slotCount: ring)
    var size = 1000
    for _ in 0 ..< rounds {
        for slot in 0 ..< ring {
            builder.malloc(slot, size)
            size = size > 1 ? size / 2 : 1000
        }
        for slot in 0 ..< (ring / 2) { builder.free(slot) }
        for slot in stride(from: ring - 1, through: ring / 2, by: -1) { builder.free(slot) }
    }
    return builder.finish()
}

/// espresso-like: 48 B 37 %, 16 B 32 %, 56 B 14 %, the rest 8 ... 1000 B; log-uniform lifetimes
/// (1 ... 10 000 allocations); 1 % of the steps reallocate a live block.
func espressoTrace(allocations: Int) -> Trace {
    var random = TraceRandom(state: 0xE5B4_E550)
    let capacity = 16_384
    var builder = TraceBuilder(slotCount: capacity)
    var freeSlots = Array((0 ..< capacity).reversed())
    // Deaths bucketed by step: deathAt[t] lists the slots that die at step t.
    var deathAt = [[Int]](repeating: [], count: allocations + 10_001)
    func size(_ random: inout TraceRandom) -> Int {
        let u = random.below(100)
        if u < 37 { return 48 }
        if u < 69 { return 16 }
        if u < 83 { return 56 }
        return 8 + random.below(993)
    }
    for step in 0 ..< allocations {
        for slot in deathAt[step] {
            builder.free(slot)
            freeSlots.append(slot)
        }
        deathAt[step] = []
        if random.below(100) == 0, step > 0 {
            // Realloc a block that is due to die later: grow or shrink it in place in the trace.
            let victim = random.below(capacity)
            if builder.isLive(victim) { builder.realloc(victim, size(&random) * 2) }
        }
        guard let slot = freeSlots.popLast() else { continue }
        builder.malloc(slot, size(&random))
        let lifetime = Int(exp(random.unit() * log(10_000.0)))
        deathAt[step + lifetime].append(slot)
    }
    return builder.finish()
}

// MARK: - Text traces (docs/malloc-trace-format.md)

/// Opens a trace for reading: `.xz` files through `xz -dc`, others directly. The second value
/// says which close the stream needs (pclose for a pipe).
func openTraceStream(path: String) -> (stream: UnsafeMutablePointer<FILE>, isPipe: Bool)? {
    if path.hasSuffix(".xz") {
        guard let pipe = popen("xz -dc '\(path)'", "r") else { return nil }
        return (pipe, true)
    }
    guard let file = fopen(path, "r") else { return nil }
    return (file, false)
}

/// Parses one trace line's fields (a letter, then non-negative decimal numbers) into `numbers`.
/// Returns the letter, or nil when a field is not a number (or has more than 18 digits).
func parseTraceFields(_ line: UnsafeMutablePointer<CChar>, into numbers: inout [Int]) -> UInt8? {
    numbers.removeAll(keepingCapacity: true)
    var cursor = UnsafeMutableRawPointer(line).assumingMemoryBound(to: UInt8.self)
    func isSpace(_ c: UInt8) -> Bool { c == 0x20 || c == 0x09 || c == 0x0A || c == 0x0D }
    while isSpace(cursor.pointee) { cursor += 1 }
    let letter = cursor.pointee
    if letter == 0 || letter == UInt8(ascii: "#") { return letter }  // blank line or comment
    cursor += 1
    while cursor.pointee != 0 {
        while isSpace(cursor.pointee) { cursor += 1 }
        if cursor.pointee == 0 { break }
        var value = 0
        var digits = 0
        while cursor.pointee >= 0x30 && cursor.pointee <= 0x39 {
            value = value * 10 + Int(cursor.pointee - 0x30)
            digits += 1
            cursor += 1
        }
        guard digits > 0, digits <= 18, cursor.pointee == 0 || isSpace(cursor.pointee) else { return nil }
        numbers.append(value)
    }
    return letter
}

/// Parses a text trace (plain or .xz): one operation per line (m/f/r/c/a), `#` comments, blank
/// lines ignored. Returns nil (after printing the line) on a malformed line or an ID >= 2^24.
func parseTextTrace(path: String) -> Trace? {
    guard let (file, isPipe) = openTraceStream(path: path) else {
        print("# malloc: cannot open trace \(path)")
        return nil
    }
    defer { if isPipe { pclose(file) } else { fclose(file) } }
    var ops: [TraceOp] = []
    var live: [Int] = []  // bytes live in each slot; -1 = empty
    var liveBytes = 0
    var peak = 0
    var line: UnsafeMutablePointer<CChar>?
    var capacity = 0
    var lineNumber = 0
    var args: [Int] = []
    defer { Glibc.free(line) }
    while getline(&line, &capacity, file) > 0 {
        lineNumber += 1
        let letter = parseTraceFields(line!, into: &args)
        if letter == 0 || letter == UInt8(ascii: "#") { continue }
        /// Refuses the file, saying which line and why.
        func malformed(_ why: String = "malformed") -> Trace? {
            print("# malloc: trace \(path) line \(lineNumber) \(why): \(String(cString: line!))")
            return nil
        }
        guard let letter, let slot = args.first, slot < 1 << 24 else { return malformed() }
        func op(_ kind: TraceOpKind, _ size: Int, _ extra: Int, _ bytes: Int?) {
            ops.append(TraceOp(kind: kind, slot: UInt32(slot), size: UInt32(size), extra: UInt32(extra)))
            if slot >= live.count { live += Array(repeating: -1, count: slot + 1 - live.count) }
            liveBytes += (bytes ?? 0) - max(live[slot], 0)
            live[slot] = bytes ?? -1
            peak = max(peak, liveBytes)
        }
        guard args.dropFirst().allSatisfy({ $0 <= Int(UInt32.max) }) else {
            return malformed("refused (sizes, counts and alignments must be below 2^32)")
        }
        switch (letter, args.count) {
        case (UInt8(ascii: "m"), 2): op(.malloc, args[1], 0, args[1])
        case (UInt8(ascii: "f"), 1): op(.free, 0, 0, nil)
        case (UInt8(ascii: "r"), 2): op(.realloc, args[1], 0, args[1] == 0 ? nil : args[1])
        case (UInt8(ascii: "c"), 3): op(.calloc, args[2], args[1], args[1] * args[2])
        case (UInt8(ascii: "a"), 3): op(.aligned, args[2], args[1], args[2])
        default: return malformed()
        }
    }
    // Free what the trace leaves live, so every replay starts from an empty heap.
    for (slot, bytes) in live.enumerated() where bytes >= 0 {
        ops.append(TraceOp(kind: .free, slot: UInt32(slot), size: 0, extra: 0))
    }
    return Trace(ops: ops, slotCount: live.count, peakLiveBytes: peak)
}

/// The recorded traces `make bench` replays: traces/*.trace and traces/*.trace.xz (env
/// SWIFTMM_TRACES_DIR overrides the folder), sorted by name. Scenario `malloc-trace-NAME`.
func recordedTracePaths() -> [(name: String, path: String)] {
    let folder = getenv("SWIFTMM_TRACES_DIR").map { String(cString: $0) } ?? "traces"
    guard let directory = opendir(folder) else { return [] }
    defer { closedir(directory) }
    var found: [(name: String, path: String)] = []
    while let entry = readdir(directory) {
        let fileName = withUnsafeBytes(of: entry.pointee.d_name) { String(cString: $0.bindMemory(to: CChar.self).baseAddress!) }
        for suffix in [".trace.xz", ".trace"] where fileName.hasSuffix(suffix) {
            found.append((String(fileName.dropLast(suffix.count)), folder + "/" + fileName))
            break
        }
    }
    return found.sorted { $0.name < $1.name }
}

// MARK: - Entry point

func runUserMallocScenarios() {
    precondition(traceLayoutMatchesC(), "TraceOp no longer matches BenchReplayOp (BenchReplay.h)")
    let allocators = loadCAllocators()
    guard allocators.first?.name == "glibc" else {
        print("# malloc: glibc's malloc could not be resolved; no comparison possible")
        return
    }
    let arguments = CommandLine.arguments
    if let flag = arguments.firstIndex(of: "--trace") {
        guard flag + 1 < arguments.count, let trace = parseTextTrace(path: arguments[flag + 1]) else {
            print("# malloc: usage: SwiftMMBench malloc --trace FILE")
            return
        }
        runTraceScenario("malloc-trace-file", trace, allocators: allocators)
        return
    }
    for size in [16, 64, 256, 1024, 4096] where mallocScenarioSelected("malloc-fastpath-\(size)") {
        let pairs = 1_000_000
        runMallocScenario(
            "malloc-fastpath-\(size)", operations: pairs, peakLiveBytes: size, allocators: allocators,
            extra: [("op", "malloc+free")]
        ) { bench_replay_fast_path_pairs($0, size, pairs) }
    }
    runTraceScenario("malloc-glibc-simple", glibcSimpleTrace(), allocators: allocators)
    runTraceScenario("malloc-larson-1000", larsonTrace(slots: 1000, steps: 500_000), allocators: allocators)
    runTraceScenario("malloc-larson-5000", larsonTrace(slots: 5000, steps: 500_000), allocators: allocators)
    runTraceScenario("malloc-glibc-thread", glibcThreadTrace(steps: 500_000), allocators: allocators)
    runTraceScenario("malloc-alloc-test", allocTestTrace(steps: 1_000_000), allocators: allocators)
    runTraceScenario("malloc-sh6bench", sh6benchTrace(rounds: 50), allocators: allocators)
    runTraceScenario("malloc-espresso", espressoTrace(allocations: 500_000), allocators: allocators)
    for (name, path) in recordedTracePaths() where mallocScenarioSelected("malloc-trace-\(name)") {
        guard let trace = parseTextTrace(path: path) else { continue }
        runTraceScenario("malloc-trace-\(name)", trace, allocators: allocators)
    }
}
