// Typed wrappers of the SwiftMM system calls: decode -> call -> decode the result.
//
// Each wrapper takes typed values (VirtualAddress, byte counts, Protection) and passes them to the
// kernel unchanged: no wrapper rounds, clamps or validates, because hostile test programs must be
// able to hand the kernel every bad value on purpose. Results come back as values or a thrown
// Errno (typed throws: Embedded Swift has no untyped throws).
import MemoryCore

enum Syscall {
    /// exit(code): ends the process; the kernel logs the code. Console output still buffered in
    /// putchar is NOT flushed here (use `ProgramExit.exit`, which flushes first).
    static func exit(_ code: Int32) -> Never {
        _ = SyscallTrap.invoke(.exit, UInt64(bitPattern: Int64(code)))
        fatalError("exit returned")  // a kernel bug: trap (ud2) rather than run on
    }

    /// write(buffer, length) -> bytes written to the console. length <= 4096, else EINVAL; the
    /// buffer must lie in mapped user memory, else EFAULT.
    static func write(address: VirtualAddress, length: UInt64) throws(Errno) -> UInt64 {
        try SyscallResult.value(of: SyscallTrap.invoke(.write, address.raw, length))
    }

    static func write(_ bytes: UnsafeRawBufferPointer) throws(Errno) -> UInt64 {
        try write(address: VirtualAddress(bytes), length: UInt64(bytes.count))
    }

    /// map(hint, length, protection, options) -> the address of `length` (page-rounded) zeroed
    /// bytes. hint nil lets the kernel choose; a hint is used exactly or refused with EEXIST.
    /// Pages are reserved and committed, and backed on first touch unless `options` says populate.
    static func map(
        hint: VirtualAddress? = nil, length: UInt64, protection: Protection,
        options: MapOptions = MapOptions()
    ) throws(Errno) -> VirtualAddress {
        try map(hint: hint, length: length, protection: protection, rawOptions: options.rawValue)
    }

    /// map with a raw options word (hostile programs pass bits the ABI refuses).
    static func map(
        hint: VirtualAddress?, length: UInt64, protection: Protection, rawOptions: UInt64
    ) throws(Errno) -> VirtualAddress {
        let raw = SyscallTrap.invoke(.map, hint?.raw ?? 0, length, protection.rawValue, rawOptions)
        return VirtualAddress(try SyscallResult.value(of: raw))
    }

    /// unmap(address, length): every page of the page-rounded range must have come from map.
    static func unmap(address: VirtualAddress, length: UInt64) throws(Errno) {
        _ = try SyscallResult.value(of: SyscallTrap.invoke(.unmap, address.raw, length))
    }

    /// brk(newBreak) -> the break after the call. It never fails as such: a refused change
    /// leaves the break where it was, so callers compare the answer with what they asked for.
    static func brk(_ newBreak: VirtualAddress) -> VirtualAddress {
        VirtualAddress(UInt64(bitPattern: SyscallTrap.invoke(.brk, newBreak.raw)))
    }

    /// brk(0): the current break.
    static func currentBreak() -> VirtualAddress { brk(VirtualAddress(0)) }

    /// Moves the break to `newBreak`; ENOMEM when the kernel left it elsewhere.
    static func setBreak(_ newBreak: VirtualAddress) throws(Errno) {
        guard brk(newBreak) == newBreak else { throw .outOfMemory }
    }

    /// memstat(out) with a caller-chosen (possibly hostile) destination.
    static func memstat(into address: VirtualAddress) throws(Errno) {
        _ = try SyscallResult.value(of: SyscallTrap.invoke(.memstat, address.raw))
    }

    /// memstat into a record on this stack frame.
    static func memstat() throws(Errno) -> MemoryStatistics {
        var record: MemoryStatistics.Record = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        let raw = withUnsafeMutableBytes(of: &record) { bytes in
            SyscallTrap.invoke(.memstat, VirtualAddress(UnsafeRawBufferPointer(bytes)).raw)
        }
        _ = try SyscallResult.value(of: raw)
        return MemoryStatistics(record: record)
    }

    /// remap(address, oldLength, newLength, flags, destination) -> the run's address afterwards:
    /// grows it in place, shrinks it, or (flags.mayMove) moves its pages to an address aligned to
    /// flags.alignment; with flags.fixed, to `destination` exactly (EEXIST when anything is
    /// there, EINVAL for a bad one; `destination` is ignored otherwise). Bytes are kept and never
    /// copied (docs/syscalls.md, call 11).
    static func remap(
        address: VirtualAddress, oldLength: UInt64, newLength: UInt64, flags: RemapFlags,
        destination: VirtualAddress = VirtualAddress(0)
    ) throws(Errno) -> VirtualAddress {
        let raw = SyscallTrap.invoke(
            SyscallNumber.remap.rawValue, address.raw, oldLength, newLength, flags.rawValue, destination.raw)
        return VirtualAddress(try SyscallResult.value(of: raw))
    }

    /// protect(address, length, protection): mprotect semantics on pages from map.
    static func protect(address: VirtualAddress, length: UInt64, protection: Protection) throws(Errno) {
        _ = try SyscallResult.value(of: SyscallTrap.invoke(.protect, address.raw, length, protection.rawValue))
    }

    /// spawn(name): starts the boot module whose program name is `name` as a child; its pid.
    /// ENOENT no such program, ENOEXEC not a program, EAGAIN the process table or this program's
    /// tree of processes is full (wait for a child first), ENOMEM, EINVAL/EFAULT for the name.
    static func spawn(_ name: StaticString) throws(Errno) -> UInt64 {
        try spawn(address: VirtualAddress(UInt64(UInt(bitPattern: name.utf8Start))), length: UInt64(name.utf8CodeUnitCount))
    }

    static func spawn(address: VirtualAddress, length: UInt64) throws(Errno) -> UInt64 {
        try SyscallResult.value(of: SyscallTrap.invoke(.spawn, address.raw, length))
    }

    /// wait(pid): blocks until the child `pid` (nil: any child) ends; its pid and how it ended.
    /// ECHILD when there is no such child.
    static func wait(for pid: UInt64? = nil) throws(Errno) -> (pid: UInt64, status: ProcessStatus) {
        var word: UInt64 = 0
        var result: Result<UInt64, Errno> = .failure(.badAddress)
        withUnsafeMutableBytes(of: &word) { bytes in
            result = Result { () throws(Errno) in try wait(for: pid, statusInto: VirtualAddress(UnsafeRawBufferPointer(bytes))) }
        }
        return (try result.get(), ProcessStatus(word: word))
    }

    /// wait with a caller-chosen (possibly hostile) status destination (8 bytes; 0: none).
    static func wait(for pid: UInt64?, statusInto address: VirtualAddress) throws(Errno) -> UInt64 {
        try SyscallResult.value(of: SyscallTrap.invoke(.wait, pid ?? 0, address.raw))
    }

    /// yield(): every other runnable process runs once before this one goes on.
    static func yield() { _ = SyscallTrap.invoke(.yield) }

    /// getpid(): this process's pid.
    static func getpid() -> UInt64 { UInt64(bitPattern: SyscallTrap.invoke(.getpid)) }
}
