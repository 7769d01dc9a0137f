/* abi-emulator: runs SwiftMM user programs on a Linux x86-64 host, with the SwiftMM system-call
 * ABI (docs/syscalls.md) emulated by a ptrace tracer. It is an executable reference model of the
 * kernel's side of the ABI, used to test the user programs before the kernel can run them:
 *
 *   abi-emulator [--expect FILE] PROGRAM.elf...
 *
 * For each program: fork, PTRACE_TRACEME, execve. At the exec stop the tracer maps the SwiftMM
 * stack (64 KiB ending at 0x7F0000000000, an unmapped guard page below) by injecting one mmap,
 * and moves rsp there with rdi = 0. Every `syscall` then stops the tracee twice (entry, exit):
 * at entry the tracer decodes and validates the SwiftMM call against its model of the address
 * space, and either rewrites it into the Linux call that performs it (write, mmap with
 * MAP_FIXED_NOREPLACE, munmap, mprotect, exit_group) or cancels it (orig_rax = -1); at exit it
 * stores the SwiftMM result in rax. A fault signal ends the run as `killed=<fault>`.
 *
 * The model: a list of regions [start, end) with a kind (image, stack, guard, map, brk) and
 * protection. Invariants: regions never overlap; every region is page-aligned and inside user
 * space [0x8000000000, 0x7F8000000000); `map` regions are exactly the pages unmap/protect accept.
 * Output: one line per program, `emulator NAME exit=N` or `emulator NAME killed=page-fault ...`,
 * and with --expect a `PASS`/`FAIL` verdict against the expectations file; exit status 0 when
 * every program matched. */
#define _GNU_SOURCE
#include <elf.h>
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/uio.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <unistd.h>

#define PAGE 4096ull
#define USER_START 0x0000008000000000ull
#define USER_END 0x00007F8000000000ull
#define STACK_END 0x00007F0000000000ull
#define STACK_BYTES (64ull * 1024)
#define MAP_SEARCH_START 0x0000010000000000ull /* where hint-0 mappings are placed, first fit */
#define WRITE_LIMIT 4096ull
#define SYSTEM_FRAMES 65536ull /* the emulated machine: 256 MiB, every mapped page backed */

enum { SYS_EXIT, SYS_WRITE, SYS_MAP, SYS_UNMAP, SYS_BRK, SYS_MEMSTAT, SYS_PROTECT };
enum { P_READ = 1, P_WRITE = 2, P_EXEC = 4 };
enum Kind { IMAGE, STACK, GUARD, MAPPED, BRK };

struct Region { uint64_t start, end; int prot; enum Kind kind; };

static struct Region regions[65536];
static size_t region_count;
static uint64_t break_start, break_current, peak_pages;
static uint64_t map_calls, unmap_calls, brk_calls;

/* ---- The region model ---------------------------------------------------------------------- */

static void add_region(uint64_t start, uint64_t end, int prot, enum Kind kind) {
    if (region_count == sizeof regions / sizeof regions[0]) { fprintf(stderr, "emulator: too many regions\n"); exit(2); }
    regions[region_count++] = (struct Region){start, end, prot, kind};
}

static uint64_t pages_mapped(void) {
    uint64_t bytes = 0;
    for (size_t i = 0; i < region_count; i++)
        if (regions[i].kind != GUARD) bytes += regions[i].end - regions[i].start;
    return bytes / PAGE;
}

static void note_peak(void) { if (pages_mapped() > peak_pages) peak_pages = pages_mapped(); }

static int overlaps_any(uint64_t start, uint64_t end) {
    for (size_t i = 0; i < region_count; i++)
        if (regions[i].start < end && start < regions[i].end) return 1;
    return 0;
}

/* The region of one of `kinds` (bit mask) containing address, or NULL. */
static struct Region *region_at(uint64_t address, unsigned kinds) {
    for (size_t i = 0; i < region_count; i++)
        if (regions[i].start <= address && address < regions[i].end && (kinds & (1u << regions[i].kind)))
            return &regions[i];
    return NULL;
}

/* True when every byte of [start, end) lies in regions of `kinds` whose protection has `need`. */
static int covered(uint64_t start, uint64_t end, unsigned kinds, int need) {
    for (uint64_t cursor = start; cursor < end;) {
        struct Region *r = region_at(cursor, kinds);
        if (!r || (r->prot & need) != need || (need != 0 && r->prot == 0)) return 0;
        cursor = r->end;
    }
    return 1;
}

/* Cuts [start, end) out of every region of kind `kind`; with set_prot >= 0, re-adds it with that
 * protection instead of removing it (protect). */
static void carve(uint64_t start, uint64_t end, enum Kind kind, int set_prot) {
    size_t count = region_count;
    for (size_t i = 0; i < count; i++) {
        struct Region r = regions[i];
        if (r.kind != kind || r.end <= start || end <= r.start) continue;
        regions[i].end = regions[i].start; /* emptied; compacted below */
        if (r.start < start) add_region(r.start, start, r.prot, kind);
        if (end < r.end) add_region(end, r.end, r.prot, kind);
        uint64_t middle_start = r.start > start ? r.start : start, middle_end = r.end < end ? r.end : end;
        if (set_prot >= 0) add_region(middle_start, middle_end, set_prot, kind);
    }
    size_t kept = 0;
    for (size_t i = 0; i < region_count; i++)
        if (regions[i].end > regions[i].start) regions[kept++] = regions[i];
    region_count = kept;
}

/* The model's invariants (see the file comment); the first violation, or NULL. Checked after every
 * call: the emulator is a reference, so its own bookkeeping must be beyond doubt. */
static const char *check_invariants(void) {
    for (size_t i = 0; i < region_count; i++) {
        const struct Region *r = &regions[i];
        if (r->start >= r->end) return "empty region";
        if ((r->start | r->end) & (PAGE - 1)) return "unaligned region";
        if (r->start < USER_START || r->end > USER_END) return "region outside user space";
        for (size_t j = i + 1; j < region_count; j++)
            if (regions[j].start < r->end && r->start < regions[j].end) return "overlapping regions";
    }
    if (break_current < break_start) return "break below break_start";
    if (pages_mapped() > peak_pages) return "pages above peak";
    return NULL;
}

/* First free page-aligned range of `length` bytes at or above MAP_SEARCH_START, or 0. */
static uint64_t find_free(uint64_t length) {
    uint64_t candidate = MAP_SEARCH_START;
    for (int moved = 1; moved;) {
        moved = 0;
        if (candidate + length > USER_END || candidate + length < candidate) return 0;
        for (size_t i = 0; i < region_count; i++) {
            if (regions[i].start < candidate + length && candidate < regions[i].end) {
                candidate = regions[i].end;
                moved = 1;
            }
        }
    }
    return candidate;
}

/* ---- Argument checks shared by the calls ----------------------------------------------------- */

/* Page-rounds length; 0 when it is zero or the rounding or start + length wraps. */
static uint64_t rounded_length(uint64_t start, uint64_t length) {
    if (length == 0 || length > UINT64_MAX - (PAGE - 1)) return 0;
    uint64_t rounded = (length + PAGE - 1) & ~(PAGE - 1);
    if (start + rounded < start) return 0;
    return rounded;
}

static int in_user_space(uint64_t start, uint64_t end) {
    return start >= USER_START && end <= USER_END && start < end;
}

static int valid_protection(uint64_t prot) {
    return (prot & ~7ull) == 0 && (prot & (P_WRITE | P_EXEC)) != (P_WRITE | P_EXEC);
}

/* ---- One SwiftMM call: decide, and describe the Linux call that performs it ----------------- */

struct Plan {
    int cancel;             /* 1: no Linux call; the result is `result` */
    long linux_number;      /* else: the Linux call and its arguments */
    uint64_t args[6];
    int64_t result;         /* the SwiftMM result (when cancelled, or fixed in advance) */
    int use_linux_result;   /* the SwiftMM result is the Linux call's result */
    /* Model updates applied once the Linux call succeeded. */
    enum { NOTHING, ADD_MAP, REMOVE_MAP, PROTECT_MAP, SET_BREAK } update;
    uint64_t start, end, new_break;
    int prot;
};

static struct Plan reject(int error) { return (struct Plan){.cancel = 1, .result = -error}; }

static struct Plan plan_write(uint64_t buffer, uint64_t length) {
    if (length > WRITE_LIMIT) return reject(EINVAL);
    if (length == 0) return (struct Plan){.cancel = 1, .result = 0};
    if (buffer + length < buffer || !in_user_space(buffer, buffer + length)) return reject(EFAULT);
    if (!covered(buffer, buffer + length, 0x1F, P_READ)) return reject(EFAULT);
    return (struct Plan){.linux_number = 1, .args = {1, buffer, length}, .use_linux_result = 1};
}

static struct Plan plan_map(uint64_t hint, uint64_t length, uint64_t prot) {
    if (!valid_protection(prot)) return reject(EINVAL);
    if (hint & (PAGE - 1)) return reject(EINVAL);
    uint64_t rounded = rounded_length(hint, length);
    if (rounded == 0) return reject(EINVAL);
    uint64_t start = hint;
    if (hint != 0) {
        if (!in_user_space(hint, hint + rounded) || overlaps_any(hint, hint + rounded)) return reject(EEXIST);
    } else if ((start = find_free(rounded)) == 0) {
        return reject(ENOMEM);
    }
    struct Plan plan = {.linux_number = 9, .args = {start, rounded, prot, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, (uint64_t)-1, 0},
                        .use_linux_result = 1, .update = ADD_MAP, .start = start, .end = start + rounded, .prot = (int)prot};
    return plan;
}

static struct Plan plan_unmap(uint64_t address, uint64_t length) {
    if (address & (PAGE - 1)) return reject(EINVAL);
    uint64_t rounded = rounded_length(address, length);
    if (rounded == 0 || !in_user_space(address, address + rounded)) return reject(EINVAL);
    if (!covered(address, address + rounded, 1u << MAPPED, 0)) return reject(EINVAL);
    return (struct Plan){.linux_number = 11, .args = {address, rounded}, .use_linux_result = 1,
                         .update = REMOVE_MAP, .start = address, .end = address + rounded};
}

static struct Plan plan_protect(uint64_t address, uint64_t length, uint64_t prot) {
    if (!valid_protection(prot) || (address & (PAGE - 1))) return reject(EINVAL);
    uint64_t rounded = rounded_length(address, length);
    if (rounded == 0 || !in_user_space(address, address + rounded)) return reject(EINVAL);
    if (!covered(address, address + rounded, 1u << MAPPED, 0)) return reject(EINVAL);
    return (struct Plan){.linux_number = 10, .args = {address, rounded, prot}, .use_linux_result = 1,
                         .update = PROTECT_MAP, .start = address, .end = address + rounded, .prot = (int)prot};
}

static struct Plan plan_brk(uint64_t requested) {
    struct Plan unchanged = {.cancel = 1, .result = (int64_t)break_current};
    if (requested == 0 || requested < break_start || requested > USER_END) return unchanged;
    uint64_t old_top = (break_current + PAGE - 1) & ~(PAGE - 1), new_top = (requested + PAGE - 1) & ~(PAGE - 1);
    struct Plan plan = {.result = (int64_t)requested, .update = SET_BREAK, .new_break = requested};
    if (new_top > old_top) {
        if (overlaps_any(old_top, new_top)) return unchanged;
        plan.linux_number = 9;
        uint64_t args[6] = {old_top, new_top - old_top, P_READ | P_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, (uint64_t)-1, 0};
        memcpy(plan.args, args, sizeof args);
    } else if (new_top < old_top) {
        plan.linux_number = 11;
        plan.args[0] = new_top;
        plan.args[1] = old_top - new_top;
    } else {
        plan.cancel = 1;
        if (requested != break_current) brk_calls++;
        break_current = requested;
        plan.update = NOTHING;
    }
    return plan;
}

static struct Plan plan_memstat(pid_t pid, uint64_t out) {
    if (out + 64 < out || !in_user_space(out, out + 64) || !covered(out, out + 64, 0x1F, P_WRITE)) return reject(EFAULT);
    uint64_t record[8] = {pages_mapped(), peak_pages, map_calls, unmap_calls, brk_calls, break_start, break_current,
                          SYSTEM_FRAMES - pages_mapped()};
    struct iovec local = {record, sizeof record}, remote = {(void *)out, sizeof record};
    if (process_vm_writev(pid, &local, 1, &remote, 1, 0) != (ssize_t)sizeof record) return reject(EFAULT);
    return (struct Plan){.cancel = 1, .result = 0};
}

static struct Plan plan_call(pid_t pid, const struct user_regs_struct *r) {
    switch (r->orig_rax) {
    case SYS_EXIT: return (struct Plan){.linux_number = 231, .args = {r->rdi}};
    case SYS_WRITE: return plan_write(r->rdi, r->rsi);
    case SYS_MAP: return plan_map(r->rdi, r->rsi, r->rdx);
    case SYS_UNMAP: return plan_unmap(r->rdi, r->rsi);
    case SYS_BRK: return plan_brk(r->rdi);
    case SYS_MEMSTAT: return plan_memstat(pid, r->rdi);
    case SYS_PROTECT: return plan_protect(r->rdi, r->rsi, r->rdx);
    default: return reject(ENOSYS);
    }
}

/* Applies a plan's model update after its Linux call returned `linux_result`; the SwiftMM result. */
static int64_t finish(const struct Plan *plan, int64_t linux_result) {
    if (plan->cancel) return plan->result;
    if (linux_result < 0 && linux_result >= -4095) {
        if (plan->update == SET_BREAK) return (int64_t)break_current;
        return linux_result == -ENOMEM ? -ENOMEM : linux_result;
    }
    switch (plan->update) {
    case ADD_MAP: add_region(plan->start, plan->end, plan->prot, MAPPED); map_calls++; break;
    case REMOVE_MAP: carve(plan->start, plan->end, MAPPED, -1); unmap_calls++; break;
    case PROTECT_MAP: carve(plan->start, plan->end, MAPPED, plan->prot); break;
    case SET_BREAK: {
        uint64_t top = (plan->new_break + PAGE - 1) & ~(PAGE - 1);
        carve(break_start, USER_END, BRK, -1);
        if (top > break_start) add_region(break_start, top, P_READ | P_WRITE, BRK);
        break_current = plan->new_break;
        brk_calls++;
        break;
    }
    case NOTHING: break;
    }
    note_peak();
    return plan->use_linux_result ? (plan->update == ADD_MAP ? (int64_t)plan->start : linux_result) : plan->result;
}

/* ---- Process start ----------------------------------------------------------------------------- */

/* Records the PT_LOAD segments as image regions and sets the break after the highest one. */
static int load_image_model(const char *path) {
    FILE *file = fopen(path, "rb");
    if (!file) return -1;
    Elf64_Ehdr header;
    if (fread(&header, sizeof header, 1, file) != 1) { fclose(file); return -1; }
    uint64_t highest = 0;
    for (int i = 0; i < header.e_phnum; i++) {
        Elf64_Phdr segment;
        if (fseek(file, (long)(header.e_phoff + (uint64_t)i * header.e_phentsize), SEEK_SET) != 0 ||
            fread(&segment, sizeof segment, 1, file) != 1) { fclose(file); return -1; }
        if (segment.p_type != PT_LOAD) continue;
        uint64_t start = segment.p_vaddr & ~(PAGE - 1), end = (segment.p_vaddr + segment.p_memsz + PAGE - 1) & ~(PAGE - 1);
        int prot = (segment.p_flags & PF_R ? P_READ : 0) | (segment.p_flags & PF_W ? P_WRITE : 0) | (segment.p_flags & PF_X ? P_EXEC : 0);
        add_region(start, end, prot, IMAGE);
        if (end > highest) highest = end;
    }
    fclose(file);
    break_start = break_current = highest;
    return 0;
}

/* Runs one Linux syscall in the stopped tracee at `at` (the address of a `syscall` instruction
 * in its text); the tracee's registers are restored afterwards. Returns the call's result. */
static int64_t inject(pid_t pid, uint64_t at, long number, const uint64_t args[6]) {
    struct user_regs_struct saved, regs;
    ptrace(PTRACE_GETREGS, pid, 0, &saved);
    regs = saved;
    regs.rip = at;
    regs.rax = (uint64_t)number;
    regs.rdi = args[0]; regs.rsi = args[1]; regs.rdx = args[2]; regs.r10 = args[3]; regs.r8 = args[4]; regs.r9 = args[5];
    ptrace(PTRACE_SETREGS, pid, 0, &regs);
    int status;
    ptrace(PTRACE_SYSCALL, pid, 0, 0); waitpid(pid, &status, 0); /* entry */
    ptrace(PTRACE_SYSCALL, pid, 0, 0); waitpid(pid, &status, 0); /* exit */
    ptrace(PTRACE_GETREGS, pid, 0, &regs);
    ptrace(PTRACE_SETREGS, pid, 0, &saved);
    return (int64_t)regs.rax;
}

/* At the exec stop: map the SwiftMM stack and start the program on it with rdi = 0. */
static int prepare_process(pid_t pid) {
    struct user_regs_struct regs;
    ptrace(PTRACE_GETREGS, pid, 0, &regs);
    uint64_t entry = regs.rip;
    errno = 0;
    long original = ptrace(PTRACE_PEEKTEXT, pid, entry, 0);
    if (errno) return -1;
    long patched = (original & ~0xFFFFl) | 0x050F; /* syscall */
    ptrace(PTRACE_POKETEXT, pid, entry, patched);
    uint64_t stack_start = STACK_END - STACK_BYTES;
    uint64_t args[6] = {stack_start, STACK_BYTES, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, (uint64_t)-1, 0};
    int64_t mapped = inject(pid, entry, 9, args);
    ptrace(PTRACE_POKETEXT, pid, entry, original);
    if ((uint64_t)mapped != stack_start) return -1;
    add_region(stack_start - PAGE, stack_start, 0, GUARD);
    add_region(stack_start, STACK_END, P_READ | P_WRITE, STACK);
    note_peak();
    ptrace(PTRACE_GETREGS, pid, 0, &regs);
    regs.rsp = STACK_END;
    regs.rdi = 0;
    ptrace(PTRACE_SETREGS, pid, 0, &regs);
    return 0;
}

static const char *fault_name(int signal) {
    switch (signal) {
    case SIGSEGV: return "page-fault";
    case SIGBUS: return "page-fault";
    case SIGILL: return "invalid-opcode";
    case SIGFPE: return "divide-error";
    case SIGTRAP: return "breakpoint";
    default: return "signal";
    }
}

/* A program still running after this many seconds is killed as `killed=cpu-time-limit` (the
 * kernel's name for its CPU-time limit); SWIFTMM_EMULATOR_SECONDS overrides it. */
static volatile sig_atomic_t time_is_up;
static void on_alarm(int signal) { (void)signal; time_is_up = 1; }

static unsigned time_limit_seconds(void) {
    const char *text = getenv("SWIFTMM_EMULATOR_SECONDS");
    return text && atoi(text) > 0 ? (unsigned)atoi(text) : 10;
}

/* Runs one program; writes its outcome (`exit=N` or `killed=NAME`) into `outcome`. */
static void run(const char *path, char *outcome, size_t size) {
    region_count = 0;
    peak_pages = map_calls = unmap_calls = brk_calls = 0;
    if (load_image_model(path) != 0) { snprintf(outcome, size, "error=unreadable"); return; }
    pid_t pid = fork();
    if (pid == 0) {
        ptrace(PTRACE_TRACEME, 0, 0, 0);
        char *argv[] = {(char *)path, NULL}, *envp[] = {NULL};
        execve(path, argv, envp);
        _exit(127);
    }
    int status;
    waitpid(pid, &status, 0); /* the exec stop */
    ptrace(PTRACE_SETOPTIONS, pid, 0, PTRACE_O_TRACESYSGOOD | PTRACE_O_EXITKILL);
    if (prepare_process(pid) != 0) { kill(pid, SIGKILL); waitpid(pid, &status, 0); snprintf(outcome, size, "error=setup"); return; }
    struct Plan plan = {0};
    int in_call = 0, deliver = 0;
    time_is_up = 0;
    alarm(time_limit_seconds());
    for (;;) {
        ptrace(PTRACE_SYSCALL, pid, 0, deliver);
        deliver = 0;
        if (waitpid(pid, &status, 0) < 0) {
            if (errno == EINTR && time_is_up) {
                kill(pid, SIGKILL);
                waitpid(pid, &status, 0);
                snprintf(outcome, size, "killed=cpu-time-limit");
            } else {
                snprintf(outcome, size, "error=wait");
            }
            return;
        }
        if (WIFEXITED(status)) { snprintf(outcome, size, "exit=%d", WEXITSTATUS(status)); return; }
        if (WIFSIGNALED(status)) { snprintf(outcome, size, "killed=%s", fault_name(WTERMSIG(status))); return; }
        int signal = WSTOPSIG(status);
        if (signal != (SIGTRAP | 0x80)) {
            siginfo_t info;
            ptrace(PTRACE_GETSIGINFO, pid, 0, &info);
            struct user_regs_struct regs;
            ptrace(PTRACE_GETREGS, pid, 0, &regs);
            snprintf(outcome, size, "killed=%s address=%#lx rip=%#llx", fault_name(signal), (unsigned long)info.si_addr,
                     (unsigned long long)regs.rip);
            kill(pid, SIGKILL);
            waitpid(pid, &status, 0);
            return;
        }
        struct user_regs_struct regs;
        ptrace(PTRACE_GETREGS, pid, 0, &regs);
        if (!in_call) {
            plan = plan_call(pid, &regs);
            if (plan.cancel) {
                regs.orig_rax = (uint64_t)-1;
            } else {
                regs.orig_rax = (uint64_t)plan.linux_number;
                regs.rdi = plan.args[0]; regs.rsi = plan.args[1]; regs.rdx = plan.args[2];
                regs.r10 = plan.args[3]; regs.r8 = plan.args[4]; regs.r9 = plan.args[5];
            }
            ptrace(PTRACE_SETREGS, pid, 0, &regs);
        } else {
            regs.rax = (uint64_t)finish(&plan, (int64_t)regs.rax);
            ptrace(PTRACE_SETREGS, pid, 0, &regs);
            const char *violation = check_invariants();
            if (violation) {
                kill(pid, SIGKILL);
                waitpid(pid, &status, 0);
                snprintf(outcome, size, "error=model-invariant:%s", violation);
                return;
            }
        }
        in_call = !in_call;
    }
}

/* ---- Expectations ------------------------------------------------------------------------------ */

/* The expected outcome of `name` from FILE (`NAME exit=N` / `NAME killed=FAULT`), or NULL. */
static const char *expected_outcome(const char *file, const char *name) {
    static char line[256];
    FILE *f = fopen(file, "r");
    if (!f) return NULL;
    while (fgets(line, sizeof line, f)) {
        char *space = strchr(line, ' ');
        if (!space) continue;
        *space = 0;
        if (strcmp(line, name) != 0) continue;
        char *value = space + 1;
        value[strcspn(value, " \n")] = 0;
        fclose(f);
        return value;
    }
    fclose(f);
    return NULL;
}

int main(int argc, char **argv) {
    const char *expectations = NULL;
    int first = 1, failures = 0;
    if (argc > 2 && strcmp(argv[1], "--expect") == 0) { expectations = argv[2]; first = 3; }
    setvbuf(stdout, NULL, _IONBF, 0);
    struct sigaction alarm_action = {.sa_handler = on_alarm}; /* no SA_RESTART: waitpid returns EINTR */
    sigaction(SIGALRM, &alarm_action, NULL);
    for (int i = first; i < argc; i++) {
        char outcome[256], name[128];
        const char *base = strrchr(argv[i], '/') ? strrchr(argv[i], '/') + 1 : argv[i];
        snprintf(name, sizeof name, "%s", base);
        name[strcspn(name, ".")] = 0;
        run(argv[i], outcome, sizeof outcome);
        alarm(0);
        if (!expectations) { printf("emulator %s %s\n", name, outcome); continue; }
        const char *expected = expected_outcome(expectations, name);
        size_t length = expected ? strlen(expected) : 0;
        int pass = expected && strncmp(outcome, expected, length) == 0 && (outcome[length] == 0 || outcome[length] == ' ');
        failures += !pass;
        printf("emulator %s %s expected=%s %s\n", name, outcome, expected ? expected : "none", pass ? "PASS" : "FAIL");
    }
    return failures ? 1 : 0;
}
