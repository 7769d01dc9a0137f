// The `obj` and `chan` log lines (LOG=debug): one per object operation and per fault on an object
// page, with pid, handle and counts (docs/log-format.md). The figures come from the call's own
// arguments and result and from the objects layer's counters, read before and after: nothing here
// changes an object.
//
// Exactness of `obj fault kind=cow-copy` against the summary's `cow_copies=`: a copy made by a
// fault from ring 3 gets its own line; a copy made while the kernel itself wrote a syscall's
// output to an object page gets one `obj fault ... kind=cow-copy count=N via=kernel-access` line
// after that call (settle), so the lines always add up to the layer's counter (mmlog checks it).
import KernelLog
import MemoryCore
import MemoryObjects
import Syscalls

enum ObjectLog {
    /// The layer's counters already accounted for in lines (reset with the layer).
    nonisolated(unsafe) static var copiesLogged: UInt64 = 0
    nonisolated(unsafe) static var destroyedLogged: UInt64 = 0
    nonisolated(unsafe) static var framesFreedLogged: UInt64 = 0

    static func reset() {
        copiesLogged = 0
        destroyedLogged = 0
        framesFreedLogged = 0
    }

    /// A fault from ring 3 on an object page.
    static func fault(_ fault: ObjectFault, pid: Int) {
        if fault.kind == .cowCopy { copiesLogged += 1 }
        log.line(.debug, "obj", "fault").dec("pid", pid).hex("object", UInt64(fault.object.raw)).dec("page", fault.page)
            .text("kind", fault.kind.name).dec("refs", UInt64(fault.references)).end()
    }

    /// After any syscall, fault or process end: copies made by the kernel's own accesses and the
    /// objects that died, as lines.
    static func settle(pid: Int) {
        guard Objects.isSetUp else { return }
        let statistics = Objects.layer.memory.statistics
        if statistics.cowCopies > copiesLogged {
            log.line(.debug, "obj", "fault").dec("pid", pid).text("kind", "cow-copy")
                .dec("count", statistics.cowCopies - copiesLogged).text("via", "kernel-access").end()
            copiesLogged = statistics.cowCopies
        }
        if statistics.objectsDestroyed > destroyedLogged {
            log.line(.debug, "obj", "destroy").dec("pid", pid).dec("objects", statistics.objectsDestroyed - destroyedLogged)
                .dec("frames_freed", statistics.framesFreed - framesFreedLogged).end()
            destroyedLogged = statistics.objectsDestroyed
            framesFreedLogged = statistics.framesFreed
        }
    }

    /// One object call's line (after its `sys` line), when it succeeded.
    static func call(_ request: ObjectRequest, result: Int64, process: Process) {
        guard log.isEnabled(.debug), result >= 0 else { return }
        let value = UInt64(result)
        switch request {
        case .create:
            let (object, pages) = describe(value, process)
            log.line(.debug, "obj", "create").dec("pid", process.id).hex("handle", value).hex("object", object)
                .dec("pages", pages).end()
        case .map(let handle, _, let length, let protection, _, let options):
            let (object, _) = describe(handle, process)
            log.line(.debug, "obj", "map").dec("pid", process.id).hex("handle", handle).hex("object", object)
                .address("addr", value).dec("pages", pageCount(length)).dec("writable", (protection >> 1) & 1)
                .dec("populate", options & MapOptions.populateBit).end()
        case .commit(let handle, let offset, let length, let operation):
            let (object, _) = describe(handle, process)
            log.line(.debug, "obj", operation == 0 ? "commit" : "decommit").dec("pid", process.id).hex("handle", handle)
                .hex("object", object).dec("first_page", offset / frameSize).dec("pages", pageCount(length)).end()
        case .duplicate(let handle, let rights):
            log.line(.debug, "obj", "duplicate").dec("pid", process.id).hex("handle", handle).hex("new_handle", value)
                .hex("rights", rights).end()
        case .close(let handle):
            log.line(.debug, "obj", "close").dec("pid", process.id).hex("handle", handle).end()
        case .clone(let handle, let offset, let length):
            let (object, pages) = describe(value, process)
            log.line(.debug, "obj", "clone").dec("pid", process.id).hex("handle", value).hex("object", object)
                .hex("source", handle).dec("first_page", offset / frameSize).dec("pages", pages)
                .dec("shared_pages", sharedPages(object: object, pages: pages)).end()
            _ = length
        case .channelCreate:
            log.line(.debug, "chan", "create").dec("pid", process.id).dec("channels", UInt64(Objects.layer.channels.liveCount))
                .end()
        case .send(let handle, _, let length, _, let handleCount):
            log.line(.debug, "chan", "send").dec("pid", process.id).hex("handle", handle).dec("bytes", length)
                .dec("handles", handleCount).end()
        case .receive(let handle, _, _, _, _, _):
            log.line(.debug, "chan", "recv").dec("pid", process.id).hex("handle", handle).dec("bytes", value & 0xFFFF_FFFF)
                .dec("handles", value >> 32).end()
        case .fromRange(_, let length):
            let (object, pages) = describe(value, process)
            log.line(.debug, "obj", "transfer").dec("pid", process.id).hex("handle", value).hex("object", object)
                .dec("pages", pages).dec("frames", sharedPages(object: object, pages: pages, counting: .committed))
                .text("copied", "0").end()
            _ = length
        }
    }

    private static func pageCount(_ length: UInt64) -> UInt64 { length / frameSize + (length % frameSize == 0 ? 0 : 1) }

    /// The object a handle of `process` names (0 when none) and its size in pages.
    private static func describe(_ handle: UInt64, _ process: Process) -> (object: UInt64, pages: UInt64) {
        guard let found = try? process.handles.lookup(HandleValue(raw: handle)), case .memory(let id) = found.object else {
            return (0, 0)
        }
        return (UInt64(id.raw), Objects.layer.memory.pageCount(id) ?? 0)
    }

    private enum PageCount { case shared, committed }

    /// Pages of the object (raw id) whose frame is shared with another object (a clone's), or
    /// merely committed (a transfer's moved frames).
    private static func sharedPages(object raw: UInt64, pages: UInt64, counting: PageCount = .shared) -> UInt64 {
        let id = ObjectID(raw: UInt32(truncatingIfNeeded: raw))
        var count: UInt64 = 0
        for page in 0 ..< pages {
            guard let frame = Objects.layer.memory.frame(id, page: page) else { continue }
            if counting == .committed || Objects.layer.memory.referenceCount(of: frame) > 1 { count += 1 }
        }
        return count
    }
}
