// demand_cost (benchmark): what demand paging costs from ring 3, against an eager map of the same
// pages. Each round maps 256 read-write pages twice, once reserved (pages faulted in by the first
// write to each) and once with the populate option (every frame allocated and zeroed in the map
// call), writes one byte per page, and unmaps; the two kinds alternate which goes first. Cycles
// per page (TSC), median and min-max over the rounds:
//   demand_fault     the write loop over reserved pages: one demand-zero fault per page
//   eager_touch      the same loop over populated pages (no fault): the loop's own cost
//   eager_populate   the populate map call, per page (allocate + zero + map)
//   demand_total / eager_total   map + write loop + unmap, per page
// Exit: 0; a refused call 1.
// Expected: exit=0.
import KernelLog
import MemoryCore

@_extern(c, "user_read_tsc") func user_read_tsc() -> UInt64

let pages: UInt64 = 256
let rounds = 15

struct Samples {
    var values: [UInt64] = []
    mutating func add(_ cycles: UInt64) { values.append(cycles / pages) }
    var sorted: [UInt64] {
        var copy = values
        for i in 1 ..< copy.count {  // insertion sort: a handful of samples
            var j = i
            while j > 0 && copy[j - 1] > copy[j] {
                copy.swapAt(j - 1, j)
                j -= 1
            }
        }
        return copy
    }
    var median: UInt64 { sorted[values.count / 2] }
    var minimum: UInt64 { sorted[0] }
    var maximum: UInt64 { sorted[values.count - 1] }
}

/// Maps, writes every page, unmaps; returns (map, write loop, whole) cycles, or nil when refused.
func measure(populate: Bool) -> (map: UInt64, touch: UInt64, total: UInt64)? {
    let length = pages * UserSpace.pageBytes
    let start = user_read_tsc()
    guard let region = try? Syscall.map(length: length, protection: .readWrite, options: MapOptions(populate: populate)) else {
        return nil
    }
    let mapped = user_read_tsc()
    var offset: UInt64 = 0
    while offset < length {
        region.adding(offset)!.storeByte(1)
        offset += UserSpace.pageBytes
    }
    let touched = user_read_tsc()
    guard (try? Syscall.unmap(address: region, length: length)) != nil else { return nil }
    let end = user_read_tsc()
    return (mapped &- start, touched &- mapped, end &- start)
}

@_cdecl("user_main")
func userMain() -> Int32 {
    var demandFault = Samples(), eagerTouch = Samples(), eagerPopulate = Samples(), demandTotal = Samples(),
        eagerTotal = Samples()
    for round in 0 ..< rounds {
        for populate in round % 2 == 0 ? [false, true] : [true, false] {
            guard let cost = measure(populate: populate) else { return 1 }
            if populate {
                eagerTouch.add(cost.touch)
                eagerPopulate.add(cost.map)
                eagerTotal.add(cost.total)
            } else {
                demandFault.add(cost.touch)
                demandTotal.add(cost.total)
            }
        }
    }
    Console.line("demand_cost").dec("pages", pages).dec("rounds", UInt64(rounds))
        .dec("demand_fault_median", demandFault.median).dec("demand_fault_min", demandFault.minimum)
        .dec("demand_fault_max", demandFault.maximum)
        .dec("eager_touch_median", eagerTouch.median).dec("eager_touch_min", eagerTouch.minimum)
        .dec("eager_touch_max", eagerTouch.maximum)
        .dec("eager_populate_median", eagerPopulate.median).dec("eager_populate_min", eagerPopulate.minimum)
        .dec("eager_populate_max", eagerPopulate.maximum)
        .dec("demand_total_median", demandTotal.median).dec("demand_total_min", demandTotal.minimum)
        .dec("demand_total_max", demandTotal.maximum)
        .dec("eager_total_median", eagerTotal.median).dec("eager_total_min", eagerTotal.minimum)
        .dec("eager_total_max", eagerTotal.maximum).end()
    return 0
}
