// Reservations: byte ranges of usable RAM that must never be handed out (kernel image, boot data,
// the allocator's own metadata...). A reservation that went missing could hand kernel memory to
// someone else, so adding one never fails silently: a full list is an error the caller handles.
import MemoryCore

/// Why a range is reserved (shown in the boot log).
public enum ReservationReason: Equatable, Sendable {
    case firstMebibyte, kernelImage, bootPageTables, bootStack, multibootInfo, commandLine
    case bootModule, allocatorMetadata, firmware
    /// RAM the kernel cannot address (beyond its identity map): never handed out.
    case beyondAddressableMemory

    public var name: StaticString {
        switch self {
        case .firstMebibyte: "first-mebibyte"
        case .kernelImage: "kernel-image"
        case .bootPageTables: "boot-page-tables"
        case .bootStack: "boot-stack"
        case .multibootInfo: "multiboot-info"
        case .commandLine: "command-line"
        case .bootModule: "boot-module"
        case .allocatorMetadata: "allocator-metadata"
        case .firmware: "firmware"
        case .beyondAddressableMemory: "beyond-addressable-memory"
        }
    }
}

/// A reserved byte range. It is widened outwards to whole frames (`range.touchedFrames`) wherever
/// frames are concerned, so no byte of it can ever be part of a frame that is handed out.
public struct Reservation: Equatable, Sendable {
    public var range: PhysicalRange
    public var reason: ReservationReason

    public init(range: PhysicalRange, reason: ReservationReason) {
        self.range = range
        self.reason = reason
    }

    static let filler = Reservation(range: PhysicalRange(start: PhysicalAddress(0), end: PhysicalAddress(0)), reason: .firmware)
}

/// Why `ReservationList.add` refused a reservation. The list is unchanged in both cases.
public enum ReservationListError: Error, Equatable, Sendable {
    /// The list already holds `ReservationList.capacity` entries.
    case full
    /// range.start > range.end.
    case invalidRange
}

/// Up to `ReservationList.capacity` reservations, in the order added (each boot module takes two:
/// its file and its name; `make test` boots 35 modules at once).
public struct ReservationList: Sendable {
    public static let capacity = 256

    @usableFromInline var entries = FixedCapacityList<256, Reservation>(filler: .filler)

    /// How many `add` calls were refused because the list was full (also reported as an error).
    public private(set) var droppedForCapacity = 0

    public init() {}

    @inlinable @inline(__always) public var count: Int { entries.count }

    @inlinable @inline(__always) public subscript(index: Int) -> Reservation { entries[index] }

    /// Adds a reservation. Empty ranges are accepted (they reserve nothing) so the log still
    /// shows them.
    public mutating func add(_ reservation: Reservation) throws(ReservationListError) {
        guard reservation.range.start <= reservation.range.end else { throw .invalidRange }
        do { try entries.append(reservation) } catch {
            droppedForCapacity += 1
            throw .full
        }
    }

    /// Convenience: `add(Reservation(range: range, reason: reason))`.
    public mutating func add(_ range: PhysicalRange, reason: ReservationReason) throws(ReservationListError) {
        try add(Reservation(range: range, reason: reason))
    }

    /// Total frames covered by the reservations, counting overlaps once per reservation.
    public var touchedFrameCount: UInt64 {
        var total: UInt64 = 0
        for index in 0 ..< count { total += self[index].range.touchedFrames.count }
        return total
    }
}
