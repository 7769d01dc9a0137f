// The memory syscalls, each as decode -> validate -> invoke (seL4's discipline): decoding turns
// registers into a typed request, validation rejects anything hostile with a specific errno and
// touches nothing, and invoking cannot fail half-way (or rolls back completely).
import MemoryCore
import KernelLog
import PageTables
import PhysicalMemory

@_cdecl("kernel_handle_syscall")
func kernelHandleSyscall(_ raw: UnsafeMutableRawPointer) {
    let frame = raw.assumingMemoryBound(to: SyscallFrame.self)
    ProcessClock.enterKernel()
    // exit leaves through user_resume_kernel, which skips the rest of this function: no strong
    // reference to the process may be held here at that point, or its release would be lost
    // (the same holds for the CPU-time kill below: dispatchSyscall has released its reference).
    if frame.pointee.number == SyscallNumber.exit.rawValue { Processes.exitCurrent(code: frame.pointee.rdi) }
    frame.pointee.rax = UInt64(bitPattern: dispatchSyscall(frame.pointee))
    if !ProcessClock.leaveKernel() { Processes.killCurrent(frame.pointee, fault: .cpuTimeLimit) }
}

@inline(never) private func dispatchSyscall(_ frame: SyscallFrame) -> Int64 {
    guard let process = Processes.current else { panic("syscall with no current process") }
    let (a0, a1, a2, _) = frame.arguments
    let result: Int64
    if let number = SyscallNumber(rawValue: frame.number) {
        result = Syscalls.invoke(number, a0, a1, a2, process)
        log.line(.debug, "sys", number.name).dec("pid", process.id).hex("a0", a0).hex("a1", a1).hex("a2", a2)
            .dec("result", Int(result)).end()
    } else {
        result = -Errno.ENOSYS.rawValue
        log.line(.debug, "sys", "unknown").dec("pid", process.id).dec("number", frame.number).end()
    }
    return result
}

enum Syscalls {
    static func invoke(_ number: SyscallNumber, _ a0: UInt64, _ a1: UInt64, _ a2: UInt64, _ process: Process) -> Int64 {
        switch number {
        case .exit: panic("exit reached invoke")  // handled before decoding, see kernelHandleSyscall
        case .write: return result(write(process, address: a0, length: a1))
        case .map: return result(map(process, hint: a0, length: a1, protection: a2))
        case .unmap: return result(unmap(process, address: a0, length: a1))
        case .brk: return Int64(bitPattern: brk(process, requested: a0))
        case .memstat: return result(memstat(process, output: a0))
        case .protect: return result(protect(process, address: a0, length: a1, protection: a2))
        }
    }

    private static func result(_ outcome: Result<UInt64, Errno>) -> Int64 {
        switch outcome {
        case .success(let value): Int64(bitPattern: value)
        case .failure(let errno): -errno.rawValue
        }
    }

    // MARK: - write

    static func write(_ process: Process, address: UInt64, length: UInt64) -> Result<UInt64, Errno> {
        guard length <= UserLayout.maximumWrite else { return .failure(.EINVAL) }
        if let error = UserMemory.read(process, address: address, length: length, { chunk in
            for byte in chunk where process.output.append(byte) { Processes.flushOutput(process) }
        }) { return .failure(error) }
        return .success(length)
    }

    // MARK: - map, unmap, protect

    static func map(_ process: Process, hint: UInt64, length: UInt64, protection: UInt64) -> Result<UInt64, Errno> {
        guard let flags = UserProtection.pageFlags(forSyscallArgument: protection) else { return .failure(.EINVAL) }
        if hint != 0 {
            // MAP_FIXED_NOREPLACE semantics: a malformed hint is EINVAL; a well-formed one that
            // names a place that cannot be given (outside user space, the image, break area or
            // stack with its guard page, or already mapped) is EEXIST; it is never relocated.
            let range: UserRange
            do throws(UserRangeError) {
                range = try validateUserRange(address: hint, length: length, alignment: .pageAlignedAddress)
            } catch {
                return .failure(error == .misaligned || error == .zeroLength ? .EINVAL : .EEXIST)
            }
            if overlapsFixedRegions(process, range) { return .failure(.EEXIST) }
            if let error = process.mapZeroed(at: range.start.raw, pageCount: range.pageCount, flags: flags) { return .failure(error) }
            process.mapCalls += 1
            return .success(range.start.raw)
        }
        guard length != 0, length <= UserSpace.byteCount, let rounded = alignUp(length, to: frameSize) else { return .failure(.EINVAL) }
        let pages = rounded >> frameShift
        guard let start = process.unhintedPlacement(pageCount: pages) else { return .failure(.ENOMEM) }
        if let error = process.mapZeroed(at: start, pageCount: pages, flags: flags) { return .failure(error) }
        process.mapNext = start + pages * frameSize
        process.mapCalls += 1
        return .success(start)
    }

    static func unmap(_ process: Process, address: UInt64, length: UInt64) -> Result<UInt64, Errno> {
        guard let range = try? validateUserRange(address: address, length: length, alignment: .pageAlignedAddress),
              process.isMapped(from: range.start.raw, pageCount: range.pageCount),
              !overlapsFixedRegions(process, range) else { return .failure(.EINVAL) }
        process.unmapAndFree(from: range.start.raw, pageCount: range.pageCount)
        process.unmapCalls += 1
        return .success(0)
    }

    static func protect(_ process: Process, address: UInt64, length: UInt64, protection: UInt64) -> Result<UInt64, Errno> {
        guard let flags = UserProtection.pageFlags(forSyscallArgument: protection),
              let range = try? validateUserRange(address: address, length: length, alignment: .pageAlignedAddress) else { return .failure(.EINVAL) }
        guard !overlapsFixedRegions(process, range),
              process.isMapped(from: range.start.raw, pageCount: range.pageCount) else { return .failure(.EINVAL) }
        for index in 0..<range.pageCount {
            let page = VirtualAddress(range.start.raw + index * frameSize)
            _ = try? process.space.protect(page, size: .size4KiB, flags: flags)
            cpu_invlpg(page.raw)
        }
        process.protectCalls += 1
        return .success(0)
    }

    /// The program image with its break ([image start, current break)) and the stack with its
    /// guard gap belong to the kernel's loader: map may not place over them, unmap and protect
    /// may not change them (text never becomes writable, the stack never executable).
    private static func overlapsFixedRegions(_ process: Process, _ range: UserRange) -> Bool {
        let stackBottom = UserLayout.stackGuardGapStart
        let imageEnd = alignUp(process.breakCurrent, to: frameSize)!
        let image = range.start.raw < imageEnd && range.end.raw > process.imageStart
        let stack = range.start.raw < UserLayout.stackTop && range.end.raw > stackBottom
        return image || stack
    }

    // MARK: - brk

    /// Linux semantics: returns the break after the call; on failure the break is unchanged.
    static func brk(_ process: Process, requested: UInt64) -> UInt64 {
        guard requested != 0, requested >= process.breakStart,
              requested - process.breakStart <= UserLayout.breakLimitBytes else { return process.breakCurrent }
        let oldEnd = alignUp(process.breakCurrent, to: frameSize)!
        let newEnd = alignUp(requested, to: frameSize)!
        if newEnd > oldEnd {
            if process.mapZeroed(at: oldEnd, pageCount: (newEnd - oldEnd) >> frameShift,
                                 flags: [.present, .user, .writable, .noExecute]) != nil { return process.breakCurrent }
        } else if newEnd < oldEnd {
            process.unmapAndFree(from: newEnd, pageCount: (oldEnd - newEnd) >> frameShift)
        }
        if requested != process.breakCurrent { process.brkCalls += 1 }
        process.breakCurrent = requested
        return requested
    }

    // MARK: - memstat

    static func memstat(_ process: Process, output: UInt64) -> Result<UInt64, Errno> {
        var stats = InlineArray<8, UInt64>(repeating: 0)
        stats[0] = UInt64(process.pagesMapped)
        stats[1] = UInt64(process.peakPages)
        stats[2] = UInt64(process.mapCalls)
        stats[3] = UInt64(process.unmapCalls)
        stats[4] = UInt64(process.brkCalls)
        stats[5] = process.breakStart
        stats[6] = process.breakCurrent
        stats[7] = KernelMemory.frames.statistics.freeFrames
        let error = withUnsafeBytes(of: &stats) { UserMemory.write(process, address: output, from: $0) }
        return error.map { .failure($0) } ?? .success(0)
    }
}
