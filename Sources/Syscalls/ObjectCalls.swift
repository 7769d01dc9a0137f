// The object calls (12-21): memory objects, handles and channels. Each validates in the order
// below (the first failing check decides; nothing changes on a refusal), then performs through the
// ObjectMachine. The objects layer (MemoryObjects' KernelObjects) checks handles, rights, sizes
// and channel rules in its own documented order; this file adds the user-memory side (ranges,
// buffers, placement) and keeps every mapping in line with the registry.
//
//   object_create(size, options)   options != 0 -> EINVAL unknown-object-options; then
//                                  KernelObjects.createObject: EMFILE handle-table-full, EINVAL
//                                  zero-size / too-large (size in whole pages, 256 MiB at most),
//                                  ENOMEM object-table-full / commit-limit
//   object_map(h, off, len, prot, hint, options)
//                                  protection bits -> EINVAL (map's reasons); options as map's
//                                  (MapOptions: populate, alignment; their EINVAL reasons); the handle: EBADF
//                                  bad-handle / wrong-kind, EACCES rights-exceeded (map + read, +
//                                  write for a writable mapping; execute never); the range: EINVAL
//                                  misaligned (offset), zero-length, wraps-around, outside-object;
//                                  the place: map's hint rules (EINVAL / EEXIST), unhinted ENOMEM
//                                  map-area-full; EEXIST overlaps-mapping; ENOMEM for the tables'
//                                  charge (commit-limit, quota-exceeded)
//   object_commit(h, off, len, op) op not 0/1 -> EINVAL unknown-commit-operation; the handle
//                                  (needs write); the range as object_map's
//   handle_duplicate(h, rights)    unknown rights bits -> EINVAL unknown-rights; the handle (needs
//                                  duplicate; rights a subset: EACCES); EMFILE
//   handle_close(h)                EBADF bad-handle
//   object_clone(h, off, len)      the handle (needs read + duplicate); the range as object_map's;
//                                  EMFILE; ENOMEM commit-limit / object-table-full
//   channel_create(out)            out: 16 writable bytes (EFAULT); EMFILE (two slots needed);
//                                  ENOMEM channel-table-full
//   channel_send(h, bytes, len, handles, count)
//                                  the endpoint (EBADF, EACCES without write); EINVAL
//                                  message-too-large (> 256) / too-many-handles (> 4); EFAULT for
//                                  the two buffers; then Channels.send's checks: each handle EBADF /
//                                  EINVAL duplicate-handle / EACCES (transfer), EINVAL
//                                  handle-is-channel / channel-loop, EPIPE peer-closed, EAGAIN
//                                  channel-full
//   channel_receive(h, buf, cap, hout, hcap, flags)
//                                  flags beyond bit 0 -> EINVAL unknown-receive-flags; the endpoint
//                                  (EBADF, EACCES without read); EFAULT for the two buffers (only
//                                  the part a message can fill: 256 bytes, 4 handles); then
//                                  nothing queued: EPIPE when the peer closed, EAGAIN would-block
//                                  when non-blocking, else the caller waits and tries again; EINVAL
//                                  buffer-too-small (the message stays queued); EMFILE
//   object_from_range(addr, len)   the range: EINVAL (unmap's reasons: misaligned, zero-length,
//                                  ...), image-or-stack; EMFILE; EINVAL not-anonymous (a page in no
//                                  private `map` region); ENOMEM commit-limit / object-table-full
import MemoryCore
import MemoryObjects
import PageTables

public enum ObjectCalls {
    /// channel_receive's flags: bit 0, do not wait.
    public static let nonBlocking: UInt64 = 1

    public static func perform<Machine: ObjectMachine>(_ request: ObjectRequest, machine: inout Machine) -> SyscallOutcome {
        let outcome: Result<UInt64, Rejection>
        switch request {
        case .create(let size, let options): outcome = create(size: size, options: options, machine: &machine)
        case .map(let handle, let offset, let length, let protection, let hint, let options):
            outcome = map(
                handle: handle, offset: offset, length: length, protection: protection, hint: hint, options: options,
                machine: &machine)
        case .commit(let handle, let offset, let length, let operation):
            outcome = commit(handle: handle, offset: offset, length: length, operation: operation, machine: &machine)
        case .duplicate(let handle, let rights): outcome = duplicate(handle: handle, rights: rights, machine: &machine)
        case .close(let handle): outcome = close(handle: handle, machine: &machine)
        case .clone(let handle, let offset, let length):
            outcome = clone(handle: handle, offset: offset, length: length, machine: &machine)
        case .channelCreate(let output): outcome = createChannel(output: output, machine: &machine)
        case .send(let handle, let bytes, let length, let handles, let count):
            outcome = send(handle: handle, bytes: bytes, length: length, handles: handles, handleCount: count, machine: &machine)
        case .receive(let handle, let buffer, let capacity, let handlesOutput, let handlesCapacity, let flags):
            outcome = receive(
                handle: handle, buffer: buffer, capacity: capacity, handlesOutput: handlesOutput,
                handlesCapacity: handlesCapacity, flags: flags, machine: &machine)
        case .fromRange(let address, let length): outcome = fromRange(address: address, length: length, machine: &machine)
        }
        reconcileStalePages(machine: &machine)
        return SyscallOutcome(outcome)
    }

    // MARK: - Memory objects

    public static func create<Machine: ObjectMachine>(
        size: UInt64, options: UInt64, machine: inout Machine
    ) -> Result<UInt64, Rejection> {
        guard options == 0 else { return .failure(Rejection(.invalidArgument, .unknownObjectOptions)) }
        let pageCount = size / frameSize + (size % frameSize == 0 ? 0 : 1)
        return handleResult(machine: &machine) { (objects, table, frames) throws(ObjectError) in
            try objects.createObject(pageCount: pageCount, table: &table, source: &frames).0
        }
    }

    public static func map<Machine: ObjectMachine>(
        handle: UInt64, offset: UInt64, length: UInt64, protection: UInt64, hint: UInt64, options rawOptions: UInt64 = 0,
        machine: inout Machine
    ) -> Result<UInt64, Rejection> {
        let flags: PageFlags
        do throws(UserProtectionError) { flags = try UserProtection.decode(protection) } catch {
            return .failure(Rejection(.invalidArgument, RejectionReason(error)))
        }
        let options: MapOptions  // map's options, one rule: populate and alignment
        do throws(RejectionReason) { options = try MapOptions.decode(rawOptions) } catch {
            return .failure(Rejection(.invalidArgument, error))
        }
        let needed: Rights = flags.contains(.writable) ? [.map, .read, .write] : [.map, .read]
        let object: ObjectID, size: UInt64, mayWrite: Bool
        do throws(ObjectError) {
            (object, size, mayWrite) = try machine.withCallerHandles { (objects, table, _) throws(ObjectError) in
                let object = try objects.memoryObject(HandleValue(raw: handle), needing: needed, in: table)
                guard flags.contains(.noExecute) else { throw .rightsExceeded }  // an object is never executable
                let rights = try table.lookup(HandleValue(raw: handle)).rights
                return (object, objects.memory.pageCount(object)!, rights.contains(.write))
            }
        } catch {
            return .failure(Rejection(error))
        }
        let pages: ObjectPages
        do throws(RejectionReason) { pages = try objectPages(object, offset: offset, length: length, size: size) } catch {
            return .failure(Rejection(.invalidArgument, error))
        }
        return inCallerMemory(machine: &machine) { memory, memoryMachine in
            let start: VirtualAddress
            switch memory.placement(hint: hint, length: pages.pageCount * frameSize, alignmentPages: options.alignmentPages) {
            case .success(let placed): start = placed.start
            case .failure(let rejection): return .failure(rejection)
            }
            do throws(RejectionReason) {
                try memory.mapObject(pages, at: start, flags: flags, mayWrite: mayWrite, machine: &memoryMachine)
            } catch {
                return .failure(rejection(mapping: error))
            }
            if options.populate { memory.populateObjectRegion(at: start, pageCount: pages.pageCount, machine: &memoryMachine) }
            if hint == 0 { memory.advanceUnhintedPlacement(past: start, pageCount: pages.pageCount) }
            memory.mapCalls += 1
            return .success(start.raw)
        }
    }

    public static func commit<Machine: ObjectMachine>(
        handle: UInt64, offset: UInt64, length: UInt64, operation: UInt64, machine: inout Machine
    ) -> Result<UInt64, Rejection> {
        guard operation <= 1 else { return .failure(Rejection(.invalidArgument, .unknownCommitOperation)) }
        let pages: ObjectPages
        switch objectPages(handle: handle, needing: .write, offset: offset, length: length, machine: &machine) {
        case .success(let found): pages = found
        case .failure(let rejection): return .failure(rejection)
        }
        if operation == 1 { machine.reconcileMappings(of: pages, dropAll: true) }  // no leaf may outlive its frame
        do throws(ObjectError) {
            try machine.withCallerHandles { (objects, _, frames) throws(ObjectError) in
                if operation == 0 {
                    _ = try objects.memory.commit(
                        pages.object, firstPage: pages.firstPage, pageCount: pages.pageCount, source: &frames)
                } else {
                    _ = try objects.memory.decommit(
                        pages.object, firstPage: pages.firstPage, pageCount: pages.pageCount, source: &frames)
                }
            }
        } catch {
            return .failure(Rejection(error))
        }
        return .success(0)
    }

    public static func clone<Machine: ObjectMachine>(
        handle: UInt64, offset: UInt64, length: UInt64, machine: inout Machine
    ) -> Result<UInt64, Rejection> {
        let pages: ObjectPages
        switch objectPages(handle: handle, needing: [.read, .duplicate], offset: offset, length: length, machine: &machine) {
        case .success(let found): pages = found
        case .failure(let rejection): return .failure(rejection)
        }
        let outcome = handleResult(machine: &machine) { (objects, table, frames) throws(ObjectError) in
            try objects.cloneObject(
                HandleValue(raw: handle), firstPage: pages.firstPage, pageCount: pages.pageCount, table: &table, source: &frames
            ).0
        }
        // The source's frames over the range are shared now: every writable leaf on them goes read-only.
        if case .success = outcome { machine.reconcileMappings(of: pages, dropAll: false) }
        return outcome
    }

    public static func fromRange<Machine: ObjectMachine>(
        address: UInt64, length: UInt64, machine: inout Machine
    ) -> Result<UInt64, Rejection> {
        let range: UserRange
        do throws(Rejection) {
            range = try machine.withCallerMemory { (memory, _) throws(Rejection) in
                try memory.changeableRange(address: address, length: length)
            }
        } catch {
            return .failure(error)
        }
        guard machine.withCallerHandles({ _, table, _ in table.freeCount > 0 }) else {
            return .failure(Rejection(.handleTableFull))
        }
        let object: ObjectID
        do throws(RejectionReason) {
            object = try inCallerMemory(machine: &machine) { (memory, memoryMachine) throws(RejectionReason) in
                try memory.moveRangeToObject(range, machine: &memoryMachine)
            }
        } catch {
            if case .object(let objectError) = error { return .failure(Rejection(objectError)) }
            return .failure(Rejection(.invalidArgument, error))
        }
        return handleResult(machine: &machine) { (_, table, _) throws(ObjectError) in
            try table.insert(Handle(object: .memory(object), rights: .all))  // a free slot was checked
        }
    }

    // MARK: - Handles

    public static func duplicate<Machine: ObjectMachine>(
        handle: UInt64, rights rawRights: UInt64, machine: inout Machine
    ) -> Result<UInt64, Rejection> {
        guard let rights = Rights(validating: rawRights) else { return .failure(Rejection(.invalidArgument, .unknownRights)) }
        return handleResult(machine: &machine) { (objects, table, _) throws(ObjectError) in
            try objects.duplicate(HandleValue(raw: handle), rights: rights, table: &table)
        }
    }

    public static func close<Machine: ObjectMachine>(handle: UInt64, machine: inout Machine) -> Result<UInt64, Rejection> {
        let summary: ReleaseSummary
        do throws(ObjectError) {
            summary = try machine.withCallerHandles { (objects, table, frames) throws(ObjectError) in
                try objects.close(HandleValue(raw: handle), table: &table, source: &frames)
            }
        } catch {
            return .failure(Rejection(error))
        }
        if !summary.peersToWake.isEmpty { machine.wake(summary.peersToWake) }
        return .success(0)
    }

    /// Process end, first step: every handle of the caller closed (what it alone held is freed,
    /// waiting peers woken). Then the kernel destroys its memory (ProcessMemory.destroy unmaps the
    /// object regions, dropping their references, before the private frames go).
    public static func closeAllHandles<Machine: ObjectMachine>(machine: inout Machine) -> ReleaseSummary {
        let summary = machine.withCallerHandles { objects, table, frames in objects.closeAll(table: &table, source: &frames) }
        if !summary.peersToWake.isEmpty { machine.wake(summary.peersToWake) }
        return summary
    }

    // MARK: - Channels

    public static func createChannel<Machine: ObjectMachine>(output: UInt64, machine: inout Machine) -> Result<UInt64, Rejection>
    {
        do throws(RejectionReason) {
            try inCallerMemory(machine: &machine) { (memory, memoryMachine) throws(RejectionReason) in
                try memory.prepareUserWrite(address: output, length: 16, machine: &memoryMachine)
            }
        } catch {
            return .failure(Rejection(.badAddress, error))
        }
        let values: (HandleValue, HandleValue)
        do throws(ObjectError) {
            values = try machine.withCallerHandles { (objects, table, _) throws(ObjectError) in
                try objects.createChannel(table: &table)
            }
        } catch {
            return .failure(Rejection(error))
        }
        let words: (UInt64, UInt64) = (values.0.raw, values.1.raw)
        return writeCaller(words, to: output, machine: &machine).map { 0 }
    }

    public static func send<Machine: ObjectMachine>(
        handle: UInt64, bytes: UInt64, length: UInt64, handles: UInt64, handleCount: UInt64, machine: inout Machine
    ) -> Result<UInt64, Rejection> {
        let endpoint = HandleValue(raw: handle)
        do throws(ObjectError) {
            _ = try machine.withCallerHandles { (objects, table, _) throws(ObjectError) in
                try objects.channels.endpointHandle(endpoint, needing: .write, in: table)
            }
            guard length <= UInt64(Channels.maximumMessageBytes) else { throw .messageTooLarge }
            guard handleCount <= UInt64(Channels.maximumMessageHandles) else { throw .tooManyHandles }
        } catch {
            return .failure(Rejection(error))
        }
        var message = [UInt8](repeating: 0, count: Int(length))
        var values = [UInt64](repeating: 0, count: Int(handleCount))
        do throws(RejectionReason) {
            try readCaller(into: &message, from: bytes, machine: &machine)
            try readCaller(into: &values, from: handles, machine: &machine)
        } catch {
            return .failure(Rejection(.badAddress, error))
        }
        let receiver: ChannelEndpoint
        do throws(ObjectError) {
            receiver = try machine.withCallerHandles { (objects, table, _) throws(ObjectError) in
                try objects.channels.send(
                    through: endpoint, bytes: message, handles: values.map { HandleValue(raw: $0) }, table: &table)
            }
        } catch {
            return .failure(Rejection(error))
        }
        machine.wake([receiver])
        return .success(0)
    }

    public static func receive<Machine: ObjectMachine>(
        handle: UInt64, buffer: UInt64, capacity: UInt64, handlesOutput: UInt64, handlesCapacity: UInt64, flags: UInt64,
        machine: inout Machine
    ) -> Result<UInt64, Rejection> {
        guard flags & ~nonBlocking == 0 else { return .failure(Rejection(.invalidArgument, .unknownReceiveFlags)) }
        let endpoint = HandleValue(raw: handle)
        let channel: (ChannelID, UInt8)
        do throws(ObjectError) {
            channel = try machine.withCallerHandles { (objects, table, _) throws(ObjectError) in
                try objects.channels.endpointHandle(endpoint, needing: .read, in: table)
            }
        } catch {
            return .failure(Rejection(error))
        }
        // Only the part a message can fill is checked (and written).
        let byteCapacity = Int(min(capacity, UInt64(Channels.maximumMessageBytes)))
        let handleCapacity = Int(min(handlesCapacity, UInt64(Channels.maximumMessageHandles)))
        while true {
            do throws(RejectionReason) {
                try inCallerMemory(machine: &machine) { (memory, memoryMachine) throws(RejectionReason) in
                    try memory.prepareUserWrite(address: buffer, length: UInt64(byteCapacity), machine: &memoryMachine)
                    try memory.prepareUserWrite(
                        address: handlesOutput, length: UInt64(handleCapacity) * 8, machine: &memoryMachine)
                }
            } catch {
                return .failure(Rejection(.badAddress, error))
            }
            let message: ReceivedMessage
            do throws(ObjectError) {
                message = try machine.withCallerHandles { (objects, table, _) throws(ObjectError) in
                    try objects.channels.receive(
                        through: endpoint, byteCapacity: byteCapacity, handleCapacity: handleCapacity, table: &table)
                }
            } catch {
                if error == .wouldBlock && flags & nonBlocking == 0 {
                    machine.waitForMessage(channel: channel.0, endpoint: channel.1)
                    if !machine.stopWaiting { continue }
                }
                return .failure(Rejection(error))
            }
            // Both buffers were made writable just now and nothing ran since: these cannot fail.
            let words = message.handles.map { $0.raw }
            let written = message.bytes.withUnsafeBytes { bytes in writeCaller(bytes, to: buffer, machine: &machine) }
                .flatMap { words.withUnsafeBytes { values in writeCaller(values, to: handlesOutput, machine: &machine) } }
            return written.map { UInt64(message.bytes.count) | UInt64(message.handles.count) << 32 }
        }
    }

    // MARK: - Steps shared by the calls

    /// The kernel's step after a page fault or a call that may have faulted object pages in: the
    /// caller's stale object pages (CoW copies) reconciled in every mapping.
    public static func reconcileStalePages<Machine: ObjectMachine>(machine: inout Machine) {
        let stale = machine.withCallerMemory { memory, _ in memory.takeStaleObjectPages() }
        for pages in stale { machine.reconcileMappings(of: pages, dropAll: false) }
    }

    /// `body` on the caller's memory, then its stale object pages reconciled.
    static func inCallerMemory<Machine: ObjectMachine, Value, Failure: Error>(
        machine: inout Machine,
        _ body: (inout ProcessMemory<Machine.Access, Machine.Tables>, inout Machine.Memory) throws(Failure) -> Value
    ) throws(Failure) -> Value {
        defer { reconcileStalePages(machine: &machine) }
        return try machine.withCallerMemory(body)
    }

    /// A call whose result is a new handle value (or any value the objects layer computes).
    static func handleResult<Machine: ObjectMachine>(
        machine: inout Machine,
        _ body: (inout KernelObjects, inout HandleTable, inout Machine.Memory.ObjectFrames) throws(ObjectError) -> HandleValue
    ) -> Result<UInt64, Rejection> {
        do throws(ObjectError) { return .success(try machine.withCallerHandles(body).raw) } catch {
            return .failure(Rejection(error))
        }
    }

    /// The memory object a handle names with `rights`, and the pages [offset, offset + length) of it.
    static func objectPages<Machine: ObjectMachine>(
        handle: UInt64, needing rights: Rights, offset: UInt64, length: UInt64, machine: inout Machine
    ) -> Result<ObjectPages, Rejection> {
        let object: ObjectID, size: UInt64
        do throws(ObjectError) {
            (object, size) = try machine.withCallerHandles { (objects, table, _) throws(ObjectError) in
                let object = try objects.memoryObject(HandleValue(raw: handle), needing: rights, in: table)
                return (object, objects.memory.pageCount(object)!)
            }
        } catch {
            return .failure(Rejection(error))
        }
        do throws(RejectionReason) { return .success(try objectPages(object, offset: offset, length: length, size: size)) } catch
        {
            return .failure(Rejection(.invalidArgument, error))
        }
    }

    /// Pages [offset, offset + length) of an object of `size` pages: the offset page-aligned, the
    /// length not 0 (rounded up to pages), no wrap, inside the object (all EINVAL).
    static func objectPages(
        _ object: ObjectID, offset: UInt64, length: UInt64, size: UInt64
    ) throws(RejectionReason)
        -> ObjectPages
    {
        guard offset % frameSize == 0 else { throw .badRange(.misaligned) }
        guard length != 0 else { throw .badRange(.zeroLength) }
        guard !offset.addingReportingOverflow(length - 1).overflow else { throw .badRange(.wrapsAround) }
        let firstPage = offset / frameSize
        let pageCount = length / frameSize + (length % frameSize == 0 ? 0 : 1)
        guard firstPage <= size, pageCount <= size - firstPage else { throw .object(.outsideObject) }
        return ObjectPages(object: object, firstPage: firstPage, pageCount: pageCount)
    }

    /// The errno of a refused object mapping: EEXIST over a mapping, the registry's own, ENOMEM else.
    static func rejection(mapping reason: RejectionReason) -> Rejection {
        switch reason {
        case .overlapsMapping: Rejection(.exists, reason)
        case .object(let error): Rejection(error)
        default: Rejection(.outOfMemory, reason)
        }
    }

    static func readCaller<Machine: ObjectMachine, Element>(
        into array: inout [Element], from address: UInt64, machine: inout Machine
    ) throws(RejectionReason) {
        if array.isEmpty { return }
        let outcome = array.withUnsafeMutableBytes { buffer -> Result<Void, RejectionReason> in
            do throws(RejectionReason) {
                try inCallerMemory(machine: &machine) { (memory, memoryMachine) throws(RejectionReason) in
                    try memory.copyFromUser(
                        address: address, length: UInt64(buffer.count), into: buffer, machine: &memoryMachine)
                }
            } catch {
                return .failure(error)
            }
            return .success(())
        }
        try outcome.get()
    }

    static func writeCaller<Machine: ObjectMachine>(
        _ bytes: UnsafeRawBufferPointer, to address: UInt64, machine: inout Machine
    ) -> Result<Void, Rejection> {
        if bytes.isEmpty { return .success(()) }
        do throws(RejectionReason) {
            try inCallerMemory(machine: &machine) { (memory, memoryMachine) throws(RejectionReason) in
                try memory.writeUser(address: address, from: bytes, machine: &memoryMachine)
            }
        } catch {
            return .failure(Rejection(.badAddress, error))
        }
        return .success(())
    }

    static func writeCaller<Machine: ObjectMachine, Value>(
        _ value: Value, to address: UInt64, machine: inout Machine
    ) -> Result<Void, Rejection> {
        withUnsafeBytes(of: value) { bytes in writeCaller(bytes, to: address, machine: &machine) }
    }
}
