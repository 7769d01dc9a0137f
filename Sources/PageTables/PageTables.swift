// PageTables: x86-64 4-level page tables (PML4 -> PDPT -> PD -> PT) over a physical-memory accessor.
//
// Glossary: a *page* is a virtual 4 KiB or 2 MiB unit, a *frame* a physical 4 KiB unit, a *table*
// one frame of 512 entries, a *leaf* an entry that maps a page (a PTE, or a PDE with PS set), an
// *intermediate* entry one that points to the next table. A *slot* is a PML4 entry index.
//
// Algorithm. `AddressSpace` holds the root (PML4) frame. `map` walks from the root towards the
// leaf level of the page size, allocating (and zeroing) each missing table from a `TableFrameSource`
// and linking it with the space's intermediate flags, then writes the leaf. `unmap` clears the
// leaf and then frees every table on the walk that became empty, bottom-up (PT, PD, PDPT; never the
// PML4). Each intermediate entry keeps the number of present entries of the table it points to in
// bits the CPU ignores (`PageTableEntry.childCount`), so "did this table become empty?" is one read. `destroy` frees every table in the owned slots and reports every leaf to the caller.
// Each operation validates first (alignment, canonical form, owned range, flags, frame range,
// conflicts with existing mappings), so the only failure after a change is table exhaustion, and
// that one is rolled back by the same bottom-up freeing.
//
// Invariants (checked by `checkInvariants`, over the owned slots only):
//   tableFrameCount  = 1 + #(present intermediate entries)                     (1 = the root)
//   mapped4KiBCount  = #(present PTEs),  mapped2MiBCount = #(present PDEs with PS)
//   every table except the root has >= 1 present entry            (empty tables are always freed)
//   childCount(intermediate entry) = #(present entries of the table it points to)
//   every intermediate entry points to a distinct frame the source has outstanding, and
//     #outstanding(source) = tableFrameCount                      (when the source serves one space)
//   intermediate flags = kind.intermediateFlags (+ accessed); no PS in PML4E/PDPTE (no 1 GiB pages)
//   reserved and software bits = 0 (PAT, protection keys, bits 9-11, 52-62, 13-20 of a 2 MiB leaf),
//     except the child count in bits 52-61 of intermediate entries
//   every slot outside ownedSlots has U/S clear        (shared kernel entries are supervisor-only)
//   no leaf has both U/S and G                         (a global user page would outlive CR3 switches)
//
// TLB: this module only writes memory. After `unmap` or `protect` (or a range version) the caller
// must invalidate the page's translations (`invlpg` per page, or a CR3 reload); `invlpg` also
// drops the paging-structure caches for the address, which covers the tables freed by `unmap`.
// A fresh `map` over a not-present entry needs no invalidation (not-present entries are not cached).
