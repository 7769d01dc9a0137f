// One entry of a firmware memory map: a byte range and what the firmware says lives there.
import MemoryCore

/// What the firmware reports for a range of physical memory (multiboot1 `type` field).
public enum MemoryRegionKind: Equatable, Sendable {
    /// Type 1: RAM the kernel may use.
    case usable
    /// Type 2: never touch.
    case reserved
    /// Type 3: RAM holding ACPI tables; reusable once the tables have been read.
    case acpiReclaimable
    /// Type 4: ACPI non-volatile storage; must be preserved (also across sleep).
    case acpiNonVolatile
    /// Type 5: defective RAM.
    case defective
    /// Any other type value, kept so the boot log can show it.
    case unknown(UInt32)

    public init(multibootType: UInt32) {
        switch multibootType {
        case 1: self = .usable
        case 2: self = .reserved
        case 3: self = .acpiReclaimable
        case 4: self = .acpiNonVolatile
        case 5: self = .defective
        default: self = .unknown(multibootType)
        }
    }

    /// Short name for the boot log.
    public var name: StaticString {
        switch self {
        case .usable: "usable"
        case .reserved: "reserved"
        case .acpiReclaimable: "acpi-reclaim"
        case .acpiNonVolatile: "acpi-nvs"
        case .defective: "bad"
        case .unknown: "unknown"
        }
    }

    /// Which kind wins where two regions overlap: the most restrictive one. Usable is lowest, so
    /// any non-usable claim beats it (a byte claimed by firmware is never handed out); among the
    /// others, defective RAM > ACPI NVS (must survive sleep) > reserved > unknown (treated as
    /// reserved, but the more specific firmware claim is kept for the log) > ACPI reclaimable.
    var overlapPrecedence: Int {
        switch self {
        case .usable: 0
        case .acpiReclaimable: 1
        case .unknown: 2
        case .reserved: 3
        case .acpiNonVolatile: 4
        case .defective: 5
        }
    }
}

/// A half-open byte range [range.start, range.end) of one kind.
public struct MemoryRegion: Equatable, Sendable {
    public var range: PhysicalRange
    public var kind: MemoryRegionKind

    public init(range: PhysicalRange, kind: MemoryRegionKind) {
        self.range = range
        self.kind = kind
    }

    /// Convenience for maps built by hand (tests, the kernel's fallback map): [start, end).
    public init(start: UInt64, end: UInt64, kind: MemoryRegionKind) {
        self.init(range: PhysicalRange(start: PhysicalAddress(start), end: PhysicalAddress(end)), kind: kind)
    }

    static let filler = MemoryRegion(start: 0, end: 0, kind: .reserved)
}
