// The one list of names for what ends a user process against its will: each x86-64 CPU exception
// (raw value = its vector) and each kill the kernel itself decides (raw values from 256, never a
// vector). The kernel logs `proc killed fault=NAME` / `proc end ... fault=NAME` and
// `cpu exception name=NAME` with these names; docs/syscalls.md's fault table is checked against
// this list by KernelLogTests (FaultNameTests), and Tests/qemu/check-programs.sh accepts exactly the
// names in that table. Add a name here first, then to the table.

public enum FaultName: UInt16, CaseIterable, Sendable {
    case divideError = 0, debug, nonMaskableInterrupt, breakpoint, overflow, boundRange,
        invalidOpcode, deviceNotAvailable, doubleFault, coprocessorSegmentOverrun, invalidTSS,
        segmentNotPresent, stackSegmentFault, generalProtection, pageFault, reserved,
        x87FloatingPoint, alignmentCheck, machineCheck, simdFloatingPoint, virtualization,
        controlProtection
    /// The process used more CPU time (in ring 3 and in the kernel on its behalf) than
    /// `cpu_limit_ms=` allows.
    case cpuTimeLimit = 256
    /// The process was blocked in a channel receive while every live process was blocked too:
    /// nothing could ever wake it (the kernel's deadlock breaker, Kernel/Process/Scheduler.swift).
    case deadlock = 257

    /// The exception for `vector`; vectors 15 and 22-31 (reserved by Intel) are `.reserved`, and
    /// anything above 31 is not an exception (nil).
    public init?(vector: UInt64) {
        guard vector < 32 else { return nil }
        self = FaultName(rawValue: UInt16(vector)) ?? .reserved
    }

    /// The exception vector, or nil for a kill the kernel decided.
    public var vector: UInt8? { rawValue < 32 ? UInt8(rawValue) : nil }

    public var name: StaticString {
        switch self {
        case .divideError: "divide-error"
        case .debug: "debug"
        case .nonMaskableInterrupt: "non-maskable-interrupt"
        case .breakpoint: "breakpoint"
        case .overflow: "overflow"
        case .boundRange: "bound-range-exceeded"
        case .invalidOpcode: "invalid-opcode"
        case .deviceNotAvailable: "device-not-available"
        case .doubleFault: "double-fault"
        case .coprocessorSegmentOverrun: "coprocessor-segment-overrun"
        case .invalidTSS: "invalid-tss"
        case .segmentNotPresent: "segment-not-present"
        case .stackSegmentFault: "stack-segment-fault"
        case .generalProtection: "general-protection"
        case .pageFault: "page-fault"
        case .reserved: "reserved"
        case .x87FloatingPoint: "x87-floating-point"
        case .alignmentCheck: "alignment-check"
        case .machineCheck: "machine-check"
        case .simdFloatingPoint: "simd-floating-point"
        case .virtualization: "virtualization"
        case .controlProtection: "control-protection"
        case .cpuTimeLimit: "cpu-time-limit"
        case .deadlock: "deadlock"
        }
    }
}
