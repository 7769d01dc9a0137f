// The process calls: spawn, wait, yield, getpid. Validate (refuse with a named reason, touching
// nothing), then invoke through the ProcessMachine. The order of the checks is the ABI's
// (docs/syscalls.md, "Processes").
import MemoryObjects
import PageTables

public enum ProcessCalls {
    /// The longest program name spawn accepts (a boot module's file name without `.elf`).
    public static let maximumProgramName = 64
    /// The most handles spawn moves to a child.
    public static let maximumSpawnHandles = 8

    public static func perform<Machine: ProcessMachine>(_ request: ProcessRequest, machine: inout Machine) -> SyscallOutcome {
        switch request {
        case .spawn(let name, let length, let handles, let handleCount):
            return SyscallOutcome(
                spawn(name: name, length: length, handles: handles, handleCount: handleCount, machine: &machine))
        case .wait(let pid, let statusOutput):
            return SyscallOutcome(wait(pid: pid, statusOutput: statusOutput, machine: &machine))
        case .yield:
            machine.yield()
            return SyscallOutcome(result: 0)
        case .getpid: return SyscallOutcome(result: Int64(machine.callerID))
        }
    }

    /// spawn(name, length, handles, handleCount): EINVAL for an empty or too long name, EINVAL
    /// too-many-handles past maximumSpawnHandles, EFAULT for a name or handle list not readable;
    /// each handle: EBADF bad-handle, EINVAL duplicate-handle, EACCES without transfer; then the
    /// kernel's answer: ENOENT no such program, ENOEXEC not a program, EAGAIN the table or the
    /// caller's share of it full, ENOMEM not enough memory to load it. The handles move to the
    /// child only when it starts.
    public static func spawn<Machine: ProcessMachine>(
        name: UInt64, length: UInt64, handles: UInt64 = 0, handleCount: UInt64 = 0, machine: inout Machine
    ) -> Result<UInt64, Rejection> {
        guard length != 0 else { return .failure(Rejection(.invalidArgument, .badRange(.zeroLength))) }
        guard length <= UInt64(maximumProgramName) else { return .failure(Rejection(.invalidArgument, .programNameTooLong)) }
        guard handleCount <= UInt64(maximumSpawnHandles) else { return .failure(Rejection(.tooManyHandles)) }
        var bytes = InlineArray<64, UInt8>(repeating: 0)
        var span = bytes.mutableSpan
        let outcome: Result<UInt64, SpawnFailure>
        do throws(RejectionReason) {
            outcome = try span.withUnsafeMutableBytes { (buffer) throws(RejectionReason) -> Result<UInt64, SpawnFailure> in
                let nameBytes = UnsafeMutableRawBufferPointer(rebasing: buffer[0 ..< Int(length)])
                try machine.readCaller(address: name, length: length, into: nameBytes)
                var values = [UInt64](repeating: 0, count: Int(handleCount))
                if handleCount > 0 {
                    let read = values.withUnsafeMutableBytes { buffer -> Result<Void, RejectionReason> in
                        do throws(RejectionReason) {
                            try machine.readCaller(address: handles, length: handleCount * 8, into: buffer)
                        } catch {
                            return .failure(error)
                        }
                        return .success(())
                    }
                    try read.get()
                }
                let handleValues = values.map { HandleValue(raw: $0) }
                do throws(ObjectError) { try machine.checkSpawnHandles(handleValues) } catch { throw .object(error) }
                return machine.spawn(program: UnsafeRawBufferPointer(nameBytes), handles: handleValues)
            }
        } catch {
            if case .object(let objectError) = error { return .failure(Rejection(objectError)) }
            return .failure(Rejection(.badAddress, error))
        }
        switch outcome {
        case .success(let pid): return .success(pid)
        case .failure(.noSuchProgram): return .failure(Rejection(.noSuchEntry, .noSuchProgram))
        case .failure(.badExecutable): return .failure(Rejection(.notExecutable, .badExecutable))
        case .failure(.outOfMemory): return .failure(Rejection(.outOfMemory, .outOfFrames))
        case .failure(.processTableFull): return .failure(Rejection(.tryAgain, .processTableFull))
        case .failure(.processTreeFull): return .failure(Rejection(.tryAgain, .processTreeFull))
        }
    }

    /// wait(pid, statusOutput): pid 0 waits for any child; statusOutput 0 discards the status,
    /// else 8 writable bytes (EFAULT before any waiting). ECHILD when no such child exists.
    /// Blocks until the child ends; returns its pid and stores its status word.
    public static func wait<Machine: ProcessMachine>(
        pid: UInt64, statusOutput: UInt64, machine: inout Machine
    ) -> Result<UInt64, Rejection> {
        if statusOutput != 0 {
            do throws(RejectionReason) { try machine.checkCallerWritable(address: statusOutput, length: 8) } catch {
                return .failure(Rejection(.badAddress, error))
            }
        }
        guard pid <= UInt64(Int.max) else { return .failure(Rejection(.noChild, .notAChild)) }
        switch machine.waitForChild(pid == 0 ? nil : pid) {
        case .noSuchChild: return .failure(Rejection(.noChild, .notAChild))
        case .ended(let child, let status):
            if statusOutput != 0 {
                // Checked writable above; the caller's memory cannot change while it waits (one thread).
                do throws(RejectionReason) {
                    try withUnsafeBytes(of: status) { (bytes) throws(RejectionReason) in
                        try machine.writeCaller(address: statusOutput, from: bytes)
                    }
                } catch {
                    return .failure(Rejection(.badAddress, error))
                }
            }
            return .success(child)
        }
    }
}
