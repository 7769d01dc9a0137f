// object_orphan_parent (with object_orphan_child): a parent killed while its child still maps
// their shared object. Creates a 64-page object, fills it, spawns object_orphan_child giving it a
// read/write/map duplicate of the object and a channel endpoint, waits until the child says it
// has mapped and checked the object, then dies of a deliberate fault (a store through a null
// pointer) with its own handles and mapping still open. The kernel must free only what the
// parent alone held: the object lives on in the child (which goes on reading and writing it;
// see there) and its 64 frames go back when the child ends (`obj destroy ... frames_freed=64`).
// Expected: killed=page-fault (exit codes instead: 1 a call failed, 2 the child's message was wrong).
import KernelLog

let objectPages: UInt64 = 64
let objectBytes = objectPages * 4096
let parentSeed: UInt64 = 0x0B1E_C7

@_cdecl("user_main")
func userMain() -> Int32 {
    do throws(Errno) {
        let object = try Syscall.objectCreate(size: objectBytes)
        let view = try Syscall.objectMap(object, offset: 0, length: objectBytes, protection: .readWrite)
        MemoryProbe.fill(view, byteCount: objectBytes, seed: parentSeed)
        let (channel, childEnd) = try Syscall.channelCreate()
        let forChild = try Syscall.handleDuplicate(object, rights: [.read, .write, .map, .transfer])
        let given: (UInt64, UInt64) = (forChild.raw, childEnd.raw)
        let child = try withUnsafeBytes(of: given) { (bytes) throws(Errno) -> UInt64 in
            try Syscall.spawn("object_orphan_child", handles: bytes.bindMemory(to: UInt64.self))
        }
        let message = try WordMessage.receive(on: channel)
        guard message[0] == 1, message[1] == objectPages else { return 2 }
        let stats = try Syscall.memstat()
        Console.line("object_orphan_parent").word("faulting").dec("child_pid", child).dec("object_pages", objectPages)
            .hex("object_handle", object.raw).hex("mapping", view.raw).dec("free_frames_system", stats.freeFramesSystem)
            .phrase("note", "killed_with_handles_and_mapping_open_while_the_child_maps_the_object").end()
        Console.flush()
        UnsafeMutablePointer<UInt8>(bitPattern: 0x10)!.pointee = 1
        return 3
    } catch {
        Console.line("object_orphan_parent").word("FAILED").text("errno", error.name).end()
        return 1
    }
}
