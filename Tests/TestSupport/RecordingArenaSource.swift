// (Shared by BuddyHeapTests and the buddy fuzz target in Tests/Fuzz.)
// A host fake of the kernel's frame allocator: posix_memalign'd regions, with a ledger of what is
// outstanding so tests verify that everything comes back and nothing foreign is handed back.

#if canImport(Glibc)
import Glibc
#endif
import BuddyHeap

/// Shared between the test and the heap's copy of the source.
public final class SourceLedger {
    public enum Kind: Equatable { case arena, large }
    public var outstanding: [UInt: (byteCount: Int, kind: Kind)] = [:]
    /// Releases of regions never handed out, or with the wrong size or kind.
    public var badReleases = 0
    public var arenasHandedOut = 0
    public var arenasTakenBack = 0
    /// At most this many regions outstanding (arenas and large); further requests return nil.
    public var regionLimit = Int.max
    /// Hand out the next arena misaligned (contract violation test).
    public var misalignNextArena = false

    public var outstandingArenas: [(base: UInt, byteCount: Int)] {
        outstanding.filter { $0.value.kind == .arena }.map { ($0.key, $0.value.byteCount) }.sorted { $0.base < $1.base }
    }

    public func take(byteCount: Int, alignment: Int, kind: Kind) -> UnsafeMutableRawPointer? {
        if outstanding.count >= regionLimit { return nil }
        var raw: UnsafeMutableRawPointer?
        let extra = misalignNextArena && kind == .arena ? 16 : 0
        guard posix_memalign(&raw, alignment, byteCount + extra) == 0, let base = raw else { return nil }
        if extra != 0 {
            misalignNextArena = false
            misalignedBlocks[UInt(bitPattern: base + extra)] = base
            outstanding[UInt(bitPattern: base + extra)] = (byteCount, kind)
            return base + extra
        }
        outstanding[UInt(bitPattern: base)] = (byteCount, kind)
        if kind == .arena { arenasHandedOut += 1 }
        return base
    }

    var misalignedBlocks: [UInt: UnsafeMutableRawPointer] = [:]

    public func give(_ base: UnsafeMutableRawPointer, byteCount: Int, kind: Kind) {
        let key = UInt(bitPattern: base)
        guard let record = outstanding[key], record.byteCount == byteCount, record.kind == kind else {
            badReleases += 1
            return
        }
        outstanding[key] = nil
        if kind == .arena { arenasTakenBack += 1 }
        Glibc.free(misalignedBlocks.removeValue(forKey: key) ?? base)
    }

    /// A test that drops its heap without trimming leaves arenas here: they go with the ledger (the
    /// last copy of the source), so the suite runs clean under LeakSanitizer (make asan-test).
    deinit { releaseAll() }

    /// Frees whatever is still outstanding (end of a test that deliberately leaks).
    public func releaseAll() {
        for (key, _) in outstanding {
            Glibc.free(misalignedBlocks.removeValue(forKey: key) ?? UnsafeMutableRawPointer(bitPattern: key))
        }
        outstanding = [:]
    }
}

public struct RecordingArenaSource: ArenaSource {
    public let ledger = SourceLedger()

    public init() {}

    public mutating func allocateArena(byteCount: Int) -> UnsafeMutableRawPointer? {
        ledger.take(byteCount: byteCount, alignment: byteCount, kind: .arena)
    }

    public mutating func releaseArena(_ base: UnsafeMutableRawPointer, byteCount: Int) {
        ledger.give(base, byteCount: byteCount, kind: .arena)
    }

    public mutating func allocateLarge(byteCount: Int, alignment: Int) -> UnsafeMutableRawPointer? {
        ledger.take(byteCount: byteCount, alignment: alignment, kind: .large)
    }

    public mutating func releaseLarge(_ base: UnsafeMutableRawPointer, byteCount: Int) {
        ledger.give(base, byteCount: byteCount, kind: .large)
    }
}
