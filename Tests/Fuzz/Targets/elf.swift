// Fuzz target `elf`: the program loader's decode -> validate -> plan over any bytes.
//
// Input: the file. The loader must never trap, must accept exactly the files the independent
// reference loader (TestSupport/ReferenceLoader.swift) accepts, with the same entry and segments,
// and every plan it returns must pass checkInvariants() and the safety properties checked
// directly (planSafetyFailure: pages in the user range, no shared pages, copies inside the file,
// no W+X, entry executable).
import MemoryCore
import ProgramLoader
import TestSupport

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzElf(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let file = fuzzInput(data, size)
    let result: Result<LoadPlan, ElfError>
    do throws(ElfError) { result = .success(try parseExecutable(file)) } catch { result = .failure(error) }
    let reference = referenceLoad(Array(file)[...])
    switch (result, reference) {
    case (.success(let plan), .some(let expected)):
        fuzzRequire(plan.checkInvariants() == nil, "plan invariant: \(String(describing: plan.checkInvariants()))")
        if let failure = planSafetyFailure(plan, fileCount: file.count) { fuzzRequire(false, "plan unsafe: \(failure)") }
        fuzzRequire(
            plan.entry.raw == expected.entry && plan.segments.map(ReferenceSegment.init) == expected.segments,
            "plan differs from the reference")
    case (.failure, nil):
        break
    case (.success, nil):
        fuzzRequire(false, "accepted a file the reference rejects")
    case (.failure(let error), .some):
        fuzzRequire(false, "rejected (\(error.name)) a file the reference accepts")
    }
    return 0
}
