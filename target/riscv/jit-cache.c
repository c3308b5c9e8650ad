/* The JIT's code cache: one buffer per hart mapped twice from a memfd
 * (written through a read-write view, run through a read-execute one, so no
 * page is ever writable and executable at once), bump-allocated and reset
 * with the TB arena; and the direct jumps between blocks, patched when the
 * dispatch loop chains two blocks and restored when the target is
 * invalidated. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "target/riscv/jit-internal.h"

#if JIT_AVAILABLE

#include <sys/mman.h>
#include <unistd.h>

JitCache *jit_new(size_t size, Error *err)
{
    JitCache *j = calloc(1, sizeof(*j));
    if (!j) {
        error_setf(err, "cannot allocate the JIT code cache");
        return NULL;
    }
    int fd = memfd_create("amber-jit", MFD_CLOEXEC);
    if (fd < 0 || ftruncate(fd, (off_t)size) < 0) {
        error_setf(err, "JIT code cache: %s", strerror(errno));
        goto fail_fd;
    }
    j->rw = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (j->rw == MAP_FAILED) {
        error_setf(err, "JIT code cache: mmap: %s", strerror(errno));
        goto fail_fd;
    }
    j->rx = mmap(NULL, size, PROT_READ | PROT_EXEC, MAP_SHARED, fd, 0);
    if (j->rx == MAP_FAILED) {
        error_setf(err, "JIT code cache: mmap (exec): %s", strerror(errno));
        munmap(j->rw, size);
        goto fail_fd;
    }
    close(fd);              /* the mappings keep the memory */
    j->size = size;
    j->stats.code_size = size;
    jit_gen_trampoline(j);
    j->code_start = j->used;
    j->stats.code_used = j->used;
    j->threshold = JIT_DEFAULT_THRESHOLD;
    /* jit-fp.c emits fused multiply-adds inline only with FMA3 */
    __builtin_cpu_init();
    j->host_fma = __builtin_cpu_supports("fma");
    return j;

fail_fd:
    if (fd >= 0) {
        close(fd);
    }
    free(j);
    return NULL;
}

void jit_free(JitCache *j)
{
    if (!j) {
        return;
    }
    munmap(j->rw, j->size);
    munmap(j->rx, j->size);
    free(j);
}

void jit_reset(JitCache *j)
{
    j->used = j->code_start;
    j->stats.code_used = j->used;
    j->stats.blocks = 0;
    j->stats.slots = 0;
    j->stats.linked = 0;
    j->stats.flushes++;
}

bool jit_has_room(const JitCache *j)
{
    return j->size - j->used >= JIT_MAX_BLOCK_BYTES;
}

void jit_set_threshold(JitCache *j, unsigned n)
{
    j->threshold = n;
}

bool jit_warm(JitCache *j, TB *tb)
{
    if (++tb->jit.heat <= j->threshold) {
        return false;
    }
    return jit_translate(j, tb) && tb->jit.body;
}

bool jit_translate(JitCache *j, TB *tb)
{
    /* links into and out of it may already exist (the dispatch loop's
     * jmp[] only); the host side starts empty */
    memset(&tb->jit, 0, sizeof(tb->jit));
    if (tb->n_ops == 0 || tb->ops[0].opc == OP_TRACE || tb->ops[0].opc == OP_TRIGGER) {
        /* -d exec/cpu and armed execute triggers stay in the interpreter */
        j->stats.skipped++;
        tb->jit.heat = JIT_HEAT_NEVER;
        return true;
    }
    if (!jit_has_room(j) || !jit_gen_block(j, tb)) {
        memset(&tb->jit, 0, sizeof(tb->jit));
        tb->jit.heat = JIT_HEAT_NEVER;   /* until the flush the next translation makes */
        return false;
    }
    j->stats.blocks++;
    j->stats.blocks_total++;
    j->stats.code_used = j->used;
    return true;
}

static void patch_rel32(JitCache *j, uint32_t at, uint32_t target)
{
    int32_t rel = (int32_t)(target - (at + 4));
    memcpy(j->rw + at, &rel, 4);
}

/* Removes (src, slot) from dst's list of incoming jumps. */
static void in_list_remove(TB *dst, TB *src, unsigned slot)
{
    uintptr_t want = (uintptr_t)src | slot;
    uintptr_t *link = &dst->jit.in_first;
    while (*link) {
        uintptr_t p = *link;
        TB *t = (TB *)(p & ~(uintptr_t)1);
        if (p == want) {
            *link = t->jit.in_next[p & 1];
            return;
        }
        link = &t->jit.in_next[p & 1];
    }
}

void jit_link(JitCache *j, TB *src, unsigned slot, TB *dst)
{
    if (!src->jit.body || !src->jit.slot_jmp[slot] || !dst->jit.entry ||
        src->jit.linked[slot] == dst) {
        return;
    }
    if (src->jit.linked[slot]) {
        in_list_remove(src->jit.linked[slot], src, slot);
    } else {
        j->stats.linked++;
    }
    patch_rel32(j, src->jit.slot_jmp[slot], dst->jit.entry);
    src->jit.linked[slot] = dst;
    src->jit.in_next[slot] = dst->jit.in_first;
    dst->jit.in_first = (uintptr_t)src | slot;
    j->stats.links++;
}

void jit_unlink_incoming(JitCache *j, TB *tb)
{
    uintptr_t p = tb->jit.in_first;
    while (p) {
        TB *src = (TB *)(p & ~(uintptr_t)1);
        unsigned slot = p & 1;
        p = src->jit.in_next[slot];
        patch_rel32(j, src->jit.slot_jmp[slot], src->jit.slot_stub[slot]);
        src->jit.linked[slot] = NULL;
        src->jit.in_next[slot] = 0;
        j->stats.unlinks++;
        j->stats.linked--;
    }
    tb->jit.in_first = 0;
    /* Its own jumps leave the lists of their targets: it will not run again. */
    for (unsigned s = 0; s < 2; s++) {
        if (tb->jit.linked[s]) {
            in_list_remove(tb->jit.linked[s], tb, s);
            patch_rel32(j, tb->jit.slot_jmp[s], tb->jit.slot_stub[s]);
            tb->jit.linked[s] = NULL;
            j->stats.linked--;
        }
    }
}

typedef void JitTrampoline(RISCVCPU *cpu, const void *body, uint64_t vpc, JitExit *ex,
                           TLBEntry *tlb);

void jit_run(JitCache *j, RISCVCPU *cpu, TB *tb, uint64_t vpc, JitExit *ex)
{
    JitTrampoline *t = (JitTrampoline *)(void *)(j->rx + j->trampoline);
    j->stats.entries++;
    t(cpu, j->rx + tb->jit.body, vpc, ex, cpu->tlb[cpu->mmu_idx_data]);
    j->stats.exits[ex->kind < JIT_EXIT_KINDS ? ex->kind : 0]++;
}

const JitStats *jit_stats(const JitCache *j)
{
    return &j->stats;
}

#else /* no x86-64 host: the interpreter runs everything */

JitCache *jit_new(size_t size, Error *err)
{
    (void)size;
    error_setf(err, "no JIT back end for this host (the interpreter runs the guest)");
    return NULL;
}

void jit_free(JitCache *j) { (void)j; }
bool jit_warm(JitCache *j, TB *tb) { (void)j; (void)tb; return false; }
void jit_set_threshold(JitCache *j, unsigned n) { (void)j; (void)n; }
void jit_reset(JitCache *j) { (void)j; }
bool jit_has_room(const JitCache *j) { (void)j; return true; }
bool jit_translate(JitCache *j, TB *tb) { (void)j; (void)tb; return false; }
void jit_link(JitCache *j, TB *src, unsigned slot, TB *dst) { (void)j; (void)src; (void)slot; (void)dst; }
void jit_unlink_incoming(JitCache *j, TB *tb) { (void)j; (void)tb; }
void jit_run(JitCache *j, RISCVCPU *cpu, TB *tb, uint64_t vpc, JitExit *ex)
{
    (void)j; (void)cpu; (void)tb; (void)vpc; (void)ex;
}
const JitStats *jit_stats(const JitCache *j) { (void)j; return NULL; }

#endif
