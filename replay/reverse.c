/* Reverse execution: checkpoints and re-execution (reverse.h). */
#include "replay/reverse.h"

#include <stdlib.h>
#include <string.h>

#include "io/channel.h"
#include "savevm/qemu-file.h"
#include "migration/vm-state.h"

static uint64_t rev_npages(const Reverse *rv)
{
    return rv->m->mem.ram->size >> PAGE_BITS;
}

/* The next page written since the last checkpoint or restore. */
static uint64_t rev_dirty_next(const Reverse *rv, uint64_t from)
{
    return memory_dirty_next(&rv->m->mem, MEMORY_DIRTY_REVERSE, from);
}

static void cp_free_pages(Reverse *rv, RevCheckpoint *c)
{
    if (c->slots) {
        for (size_t i = 0; i < c->nr_pages; i++) {
            rev_pages_put(&rv->pool, c->slots[i]);
        }
    }
    free(c->pages);
    free(c->slots);
    c->pages = NULL;
    c->slots = NULL;
    c->nr_pages = 0;
}

static void cp_free(Reverse *rv, RevCheckpoint *c)
{
    rv->mem_used -= c->bytes;
    cp_free_pages(rv, c);
    free(c->dev);
    memset(c, 0, sizeof(*c));
}

static void inputs_drop_from(Reverse *rv, size_t from)
{
    for (size_t i = from; i < rv->nr_in; i++) {
        free(rv->in[i].data);
    }
    if (from < rv->nr_in) {
        rv->nr_in = from;
    }
}

void reverse_disable(Reverse *rv)
{
    if (!rv->on) {
        return;
    }
    for (size_t i = 0; i < rv->nr_cp; i++) {
        cp_free(rv, &rv->cp[i]);
    }
    inputs_drop_from(rv, 0);
    for (int i = 0; i < rv->m->nr_drives; i++) {
        if (rv->m->drive_bs[i]) {
            rev_disk_detach(&rv->disk, rv->m->drive_bs[i]);
        }
    }
    rev_disk_free(&rv->disk);
    free(rv->cp);
    free(rv->in);
    free(rv->base);
    free(rv->rs_src);
    free(rv->rs_want);
    rev_pages_free_all(&rv->pool);
    memory_dirty_log_stop(&rv->m->mem, MEMORY_DIRTY_REVERSE);
    memset(rv, 0, sizeof(*rv));
}

/* Instructions run so far: what re-execution costs, unlike positions,
 * which idle time moves on by billions without any. */
static uint64_t rev_retired(const Reverse *rv)
{
    uint64_t n = 0;
    for (int h = 0; h < rv->m->nr_harts; h++) {
        n += rv->m->harts[h].env.instret;
    }
    return n;
}

/* The drives' changes that their write watch does not see. */
static uint64_t rev_disk_gen(const Reverse *rv)
{
    uint64_t g = 0;
    for (int i = 0; i < rv->m->nr_drives; i++) {
        g += rv->m->drive_bs[i] ? rv->m->drive_bs[i]->content_gen : 0;
    }
    return g;
}

/* The copy of RAM the history starts from. Pages the host never populated
 * are not read at all (reading them would fault each one in), and pages of
 * zeroes take no slot: a booting guest's RAM is mostly both. */
static bool rev_base_fill(Reverse *rv, Error *err)
{
    const uint8_t *host = rv->m->mem.ram->host;
    uint64_t np = rev_npages(rv);
    uint8_t *untouched = rv->rs_want;             /* free until the first restore */
    bool known = memory_host_untouched(host, np, untouched);
    rv->base_pages = 0;
    for (uint64_t p = 0; p < np; p++) {
        rv->base[p] = REV_SLOT_NONE;
    }
    for (uint64_t p = 0; p < np; p++) {
        const uint8_t *page = host + (p << PAGE_BITS);
        if ((known && untouched[p]) || memory_page_is_zero(page)) {
            continue;
        }
        uint32_t slot = rev_pages_get(&rv->pool);
        if (slot == REV_SLOT_NONE) {
            error_setf(err, "reverse execution: no memory for a copy of RAM (%llu pages so far)",
                       (unsigned long long)rv->base_pages);
            return false;
        }
        rv->base[p] = slot;
        rv->base_pages++;
        if (!rev_pages_write(&rv->pool, slot, page, err)) {
            error_prependf(err, "reverse execution: the copy of RAM: ");
            return false;
        }
    }
    if (!rev_pages_flush(&rv->pool, err)) {
        error_prependf(err, "reverse execution: the copy of RAM: ");
        return false;
    }
    return true;
}

bool reverse_enable(Reverse *rv, Machine *m, MigrationVM *vm, uint64_t interval,
                    uint64_t mem_limit, Error *err)
{
    memset(rv, 0, sizeof(*rv));
    if (m->opts.clock_mode != CLOCK_MODE_ICOUNT) {
        error_setf(err, "reverse execution needs instruction-counted time: host-clock mode "
                        "(-icount shift=auto) cannot be re-executed");
        return false;
    }
    if (!m->mem.ram) {
        error_setf(err, "reverse execution: the machine has no RAM");
        return false;
    }
    rv->m = m;
    rv->vm = vm;
    rv->interval = interval ? interval : REVERSE_DEFAULT_INTERVAL;
    rv->mem_limit = mem_limit ? mem_limit : REVERSE_DEFAULT_MEM;
    uint64_t np = rev_npages(rv);
    rv->pool.fd = -1;
    rv->on = true;               /* from here reverse_disable frees what there is */
    if (!rev_pages_open(&rv->pool, err)) {
        reverse_disable(rv);
        return false;
    }
    rv->base = malloc(np * sizeof(uint32_t));
    rv->rs_src = malloc(np * sizeof(uint32_t));
    rv->rs_want = malloc(np);
    if (!rv->base || !rv->rs_src || !rv->rs_want) {
        error_setf(err, "reverse execution: no memory for the page tables of %llu pages",
                   (unsigned long long)np);
        reverse_disable(rv);
        return false;
    }
    machine_set_icount_exact(m, true);
    for (int i = 0; i < m->nr_drives; i++) {
        if (m->drive_bs[i]) {
            rev_disk_attach(&rv->disk, m->drive_bs[i]);
        }
    }
    memory_dirty_log_start(&m->mem, MEMORY_DIRTY_REVERSE);
    memory_dirty_set_all(&m->mem, MEMORY_DIRTY_REVERSE, false);
    if (!rev_base_fill(rv, err)) {
        reverse_disable(rv);
        return false;
    }
    if (!reverse_checkpoint(rv, err)) {
        reverse_disable(rv);
        return false;
    }
    return true;
}

void reverse_set_ops(Reverse *rv, const ReverseOps *ops, void *opaque)
{
    rv->ops = ops;
    rv->ops_opaque = opaque;
}

static uint64_t rev_owner_mark(const Reverse *rv)
{
    return rv->ops && rv->ops->mark ? rv->ops->mark(rv->ops_opaque) : 0;
}

static void rev_quiet(Reverse *rv, bool on)
{
    if (rv->ops && rv->ops->quiet) {
        rv->ops->quiet(rv->ops_opaque, on);
    }
}

/* The end of a reverse operation: the owner's cursor follows the machine. */
static void rev_moved(Reverse *rv)
{
    rev_quiet(rv, false);
    if (rv->ops && rv->ops->moved) {
        rv->ops->moved(rv->ops_opaque, rv->mark);
    }
}

void reverse_note_input(Reverse *rv, uint8_t kind, const void *data, size_t len,
                        uint64_t mark)
{
    if (!rv->on) {
        return;
    }
    if (rv->in_past) {
        reverse_truncate(rv);    /* an input here: the later ones are another history */
    }
    if (rv->nr_in == rv->cap_in) {
        size_t cap = rv->cap_in ? rv->cap_in * 2 : 64;
        RevInput *n = realloc(rv->in, cap * sizeof(*n));
        if (!n) {
            return;              /* the history will stop short of it: reverse_goto says so */
        }
        rv->in = n;
        rv->cap_in = cap;
    }
    RevInput *in = &rv->in[rv->nr_in];
    in->data = malloc(len ? len : 1);
    if (!in->data) {
        return;
    }
    memcpy(in->data, data, len);
    in->kind = kind;
    in->len = (uint32_t)len;
    in->pos = machine_icount(rv->m);
    in->mark = mark;
    rv->nr_in++;
}

/* The memory bound: the oldest checkpoint goes; the next one's pages
 * become the copy's (their slots move, nothing is copied), which then
 * holds RAM at its position. */
static void rev_fold_oldest(Reverse *rv)
{
    RevCheckpoint *c1 = &rv->cp[1];
    for (size_t i = 0; i < c1->nr_pages; i++) {
        uint64_t p = c1->pages[i];
        rv->base_pages -= rv->base[p] != REV_SLOT_NONE;
        rev_pages_put(&rv->pool, rv->base[p]);
        rv->base[p] = c1->slots[i];
        rv->base_pages += rv->base[p] != REV_SLOT_NONE;
    }
    free(c1->slots);
    c1->slots = NULL;                 /* the slots are the copy's now */
    cp_free_pages(rv, c1);
    rv->mem_used -= c1->bytes - c1->dev_len;
    c1->bytes = c1->dev_len;
    size_t drop_in = c1->nr_inputs, drop_disk = c1->disk_mark;
    rev_disk_drop_first(&rv->disk, drop_disk);   /* counted in c1->bytes, just taken off */
    cp_free(rv, &rv->cp[0]);
    memmove(rv->cp, rv->cp + 1, (rv->nr_cp - 1) * sizeof(*rv->cp));
    rv->nr_cp--;
    for (size_t i = 0; i < drop_in; i++) {
        free(rv->in[i].data);
    }
    if (drop_in) {
        memmove(rv->in, rv->in + drop_in, (rv->nr_in - drop_in) * sizeof(*rv->in));
        rv->nr_in -= drop_in;
    }
    for (size_t i = 0; i < rv->nr_cp; i++) {
        rv->cp[i].nr_inputs -= drop_in;
        rv->cp[i].disk_mark -= drop_disk;
    }
    rv->dropped++;
    if (rv->ram_at > 0) {
        rv->ram_at--;
    }
    rv->cursor = rv->cursor > drop_in ? rv->cursor - drop_in : 0;
}

/* A new history from the state now: every checkpoint, input and disk
 * write goes, and the copy of RAM is taken again. */
static bool rev_restart(Reverse *rv, Error *err)
{
    while (rv->nr_cp) {
        cp_free(rv, &rv->cp[--rv->nr_cp]);
    }
    inputs_drop_from(rv, 0);
    rev_disk_truncate(&rv->disk, 0);
    rv->disk.lost = rv->disk.diverged = false;
    uint64_t np = rev_npages(rv);
    for (uint64_t p = 0; p < np; p++) {
        rev_pages_put(&rv->pool, rv->base[p]);
        rv->base[p] = REV_SLOT_NONE;
    }
    memory_dirty_set_all(&rv->m->mem, MEMORY_DIRTY_REVERSE, false);
    rv->ram_at = 0;
    rv->cursor = 0;
    rv->in_past = false;
    rv->horizon = machine_icount(rv->m);
    rv->restarts++;
    return rev_base_fill(rv, err);
}

bool reverse_checkpoint(Reverse *rv, Error *err)
{
    Machine *m = rv->m;
    if (rv->in_past) {
        reverse_truncate(rv);    /* a new history starts here */
    }
    if (rv->nr_cp && (rev_disk_gen(rv) != rv->cp[rv->nr_cp - 1].disk_gen || rv->disk.lost)) {
        /* A drive changed under the log (loadvm's snapshot, a reopen), or
         * a write could not be logged: nothing before can be put back. */
        if (!rev_restart(rv, err)) {
            error_prependf(err, "reverse execution: a new history: ");
            return false;
        }
    }
    if (rv->nr_cp == rv->cap_cp) {
        size_t cap = rv->cap_cp ? rv->cap_cp * 2 : 32;
        RevCheckpoint *n = realloc(rv->cp, cap * sizeof(*n));
        if (!n) {
            error_setf(err, "reverse execution: no memory for %zu checkpoints", cap);
            return false;
        }
        rv->cp = n;
        rv->cap_cp = cap;
    }
    RevCheckpoint c = { .pos = machine_icount(m), .retired = rev_retired(rv),
                        .nr_inputs = rv->nr_in,
                        .mark = rev_owner_mark(rv), .disk_mark = rv->disk.cursor,
                        .disk_gen = rev_disk_gen(rv) };
    ChannelBuffer b = { 0 };
    QEMUFile *f = qemu_file_buffer_writer(&b);
    int ret = vm_save_devices_state(rv->vm, f, err);
    qemu_file_close(f, NULL);
    if (ret < 0) {
        channel_buffer_free(&b);
        error_prependf(err, "reverse execution: checkpoint: ");
        return false;
    }
    c.dev = b.data;
    c.dev_len = b.len;
    /* The pages written since the checkpoint before, as they are now. */
    uint64_t np = rev_npages(rv), n = 0;
    for (uint64_t p = rev_dirty_next(rv, 0); p < np; p = rev_dirty_next(rv, p + 1)) {
        n++;
    }
    if (rv->nr_cp == 0) {
        n = 0;                        /* the first: RAM is the copy */
    }
    c.pages = malloc((n ? n : 1) * sizeof(uint64_t));
    c.slots = malloc((n ? n : 1) * sizeof(uint32_t));
    if (!c.pages || !c.slots) {
        cp_free(rv, &c);
        error_setf(err, "reverse execution: no memory for a checkpoint of %llu pages",
                   (unsigned long long)n);
        return false;
    }
    size_t stored = 0;
    bool written = true;
    for (uint64_t p = rev_dirty_next(rv, 0); c.nr_pages < n; p = rev_dirty_next(rv, p + 1)) {
        const uint8_t *page = m->mem.ram->host + (p << PAGE_BITS);
        uint32_t slot = REV_SLOT_NONE;
        if (!memory_page_is_zero(page)) {
            slot = rev_pages_get(&rv->pool);
            if (slot == REV_SLOT_NONE) {
                cp_free(rv, &c);
                error_setf(err, "reverse execution: no memory for a checkpoint of %llu pages",
                           (unsigned long long)n);
                return false;
            }
            stored++;
        }
        c.pages[c.nr_pages] = p;
        c.slots[c.nr_pages++] = slot;
        if (slot != REV_SLOT_NONE && !rev_pages_write(&rv->pool, slot, page, err)) {
            written = false;
            break;
        }
    }
    if (!written || !rev_pages_flush(&rv->pool, err)) {
        cp_free(rv, &c);
        error_prependf(err, "reverse execution: checkpoint at %llu: ", (unsigned long long)c.pos);
        return false;
    }
    memory_dirty_set_all(&m->mem, MEMORY_DIRTY_REVERSE, false);
    memcpy(c.pending, m->serial0.pending, m->serial0.pending_len);
    c.pending_len = m->serial0.pending_len;
    c.bytes = c.dev_len + c.nr_pages * (sizeof(uint64_t) + sizeof(uint32_t)) + stored * PAGE_SIZE;
    size_t from = rv->nr_cp ? rv->cp[rv->nr_cp - 1].disk_mark : c.disk_mark;
    for (size_t i = from; i < c.disk_mark; i++) {
        c.bytes += 2 * rv->disk.w[i].len;      /* the disk writes of its interval */
    }
    rv->mem_used += c.bytes;
    rv->cp[rv->nr_cp++] = c;
    while (rv->mem_used > rv->mem_limit && rv->nr_cp > 2) {
        rev_fold_oldest(rv);
    }
    rv->ram_at = rv->nr_cp - 1;
    rv->cursor = rv->nr_in;
    rv->last_steps = m->debug_steps;
    rv->last_gen = m->state_gen;
    rv->last_writes = m->debug_writes;
    if (c.pos > rv->horizon) {
        rv->horizon = c.pos;
    }
    rv->peak_pos = c.pos > rv->peak_pos ? c.pos : rv->peak_pos;
    rv->peak_mem = rv->mem_used > rv->peak_mem ? rv->mem_used : rv->peak_mem;
    rv->peak_cp = rv->nr_cp > rv->peak_cp ? rv->nr_cp : rv->peak_cp;
    return true;
}

bool reverse_tick(Reverse *rv, Error *err)
{
    if (!rv->on) {
        return true;
    }
    Machine *m = rv->m;
    if (rv->in_past) {
        reverse_truncate(rv);    /* running forward from the past: a new history */
    }
    uint64_t pos = machine_icount(m);
    const RevCheckpoint *last = &rv->cp[rv->nr_cp - 1];
    if (pos > rv->horizon) {
        rv->horizon = pos;
    }
    if (rev_retired(rv) - last->retired >= rv->interval || m->debug_steps != rv->last_steps ||
        m->state_gen != rv->last_gen || m->debug_writes != rv->last_writes) {
        return reverse_checkpoint(rv, err);
    }
    return true;
}

uint64_t reverse_begin(const Reverse *rv)
{
    return rv->nr_cp ? rv->cp[0].pos : 0;
}

/* RAM back to checkpoint k: every page written after it (in a later
 * delta, or dirty now) gets its content at k (the last delta at or before
 * k that holds it, else the copy). want[p]: 1 to restore, 2 with its slot
 * in src[p] from a delta. */
static bool rev_restore_ram(Reverse *rv, size_t k, Error *err)
{
    Machine *m = rv->m;
    uint64_t np = rev_npages(rv);
    uint32_t *src = rv->rs_src;
    uint8_t *want = rv->rs_want;
    memset(want, 0, np);
    size_t lo = k < rv->ram_at ? k : rv->ram_at, hi = k < rv->ram_at ? rv->ram_at : k;
    for (size_t j = lo + 1; j <= hi; j++) {
        for (size_t i = 0; i < rv->cp[j].nr_pages; i++) {
            want[rv->cp[j].pages[i]] = 1;
        }
    }
    for (uint64_t p = rev_dirty_next(rv, 0); p < np; p = rev_dirty_next(rv, p + 1)) {
        want[p] = 1;
    }
    for (size_t j = 1; j <= k; j++) {
        for (size_t i = 0; i < rv->cp[j].nr_pages; i++) {
            uint64_t p = rv->cp[j].pages[i];
            if (want[p]) {
                want[p] = 2;
                src[p] = rv->cp[j].slots[i];
            }
        }
    }
    for (uint64_t p = 0; p < np; p++) {
        if (!want[p]) {
            continue;
        }
        uint32_t slot = want[p] == 2 ? src[p] : rv->base[p];
        uint8_t *to = m->mem.ram->host + (p << PAGE_BITS);
        if (slot == REV_SLOT_NONE) {
            memset(to, 0, PAGE_SIZE);
        } else if (!rev_pages_read(&rv->pool, slot, to, err)) {
            return false;
        }
        /* Code translated from the page goes; the rest stays (the load
         * below keeps it: machine_load_keeps_code). */
        memory_ram_written(&m->mem, m->mem.ram->base + (p << PAGE_BITS), PAGE_SIZE);
    }
    if (!rev_pages_flush(&rv->pool, err)) {
        return false;
    }
    memory_dirty_set_all(&m->mem, MEMORY_DIRTY_REVERSE, false);
    rv->ram_at = k;
    return true;
}

static bool rev_restore(Reverse *rv, size_t k, Error *err)
{
    Machine *m = rv->m;
    const RevCheckpoint *c = &rv->cp[k];
    rv->in_past = true;
    if (!rev_restore_ram(rv, k, err)) {
        error_prependf(err, "reverse execution: restoring RAM at %llu: ",
                       (unsigned long long)c->pos);
        return false;
    }
    if (!rev_disk_move_to(&rv->disk, c->disk_mark, err)) {
        error_prependf(err, "reverse execution: restoring the checkpoint at %llu: ",
                       (unsigned long long)c->pos);
        return false;
    }
    QEMUFile *f = qemu_file_buffer_reader(c->dev, c->dev_len);
    machine_load_keeps_code(m, true);
    int ret = vm_load_devices_state(rv->vm, f, err);
    machine_load_keeps_code(m, false);
    qemu_file_close(f, NULL);
    if (ret < 0) {
        error_prependf(err, "reverse execution: restoring the checkpoint at %llu: ",
                       (unsigned long long)c->pos);
        return false;
    }
    memcpy(m->serial0.pending, c->pending, c->pending_len);
    m->serial0.pending_len = c->pending_len;
    m->shutdown_requested = m->reset_requested = false;
    rv->mark = c->mark;
    for (int h = 0; h < m->nr_harts; h++) {
        m->harts[h].dbg_skip = false;
        m->harts[h].dbg_hit = CPU_DEBUG_HIT_NONE;
    }
    if (machine_icount(m) != c->pos) {
        error_setf(err, "reverse execution: the checkpoint at %llu restored to %llu",
                   (unsigned long long)c->pos, (unsigned long long)machine_icount(m));
        return false;
    }
    return true;
}

/* The last checkpoint at or before pos. */
static size_t rev_find(const Reverse *rv, uint64_t pos)
{
    size_t k = 0;
    for (size_t i = 0; i < rv->nr_cp; i++) {
        if (rv->cp[i].pos <= pos) {
            k = i;
        }
    }
    return k;
}

static void rev_set_debug(Machine *m, bool on)
{
    /* Without its points a hart passes the breakpoints compiled into its
     * blocks and checks no watchpoint: nothing is retranslated. */
    for (int h = 0; h < m->nr_harts; h++) {
        m->harts[h].dbg = on ? &m->debug : NULL;
    }
}

/* Re-executes from the restored checkpoint k to target, as the main loop
 * ran: the inputs at their positions before the timers, slices to the
 * next deadline, idle time to the deadline or the next input. With hits,
 * stops at each debug point on the way, counts it in *hits and keeps the
 * position of the last one (before target) in *last_hit, then passes it. */
static bool rev_run(Reverse *rv, size_t k, uint64_t target, uint64_t *hits, uint64_t *last_hit,
                    Error *err)
{
    Machine *m = rv->m;
    size_t ii = rv->cp[k].nr_inputs;
    /* The points stay on: a block translated without them would be kept
     * in the translation cache and pass a breakpoint later, at the stop
     * reverse_continue repeats. Without hits, each stop is passed. */
    for (int h = 0; h < m->nr_harts; h++) {
        cpu_debug_attach(&m->harts[h], &m->debug);
    }
    bool ok = true;
    for (;;) {
        uint64_t pos = machine_icount(m);
        while (ii < rv->nr_in && rv->in[ii].pos == pos) {
            const RevInput *in = &rv->in[ii++];
            if (rv->ops && rv->ops->give) {
                rv->ops->give(rv->ops_opaque, in);
            } else if (in->kind == REPLAY_EV_SERIAL) {
                chardev_feed_direct(&m->serial0, in->data, in->len);
            }
            rv->mark = in->mark;
        }
        if (pos >= target) {
            break;
        }
        if (m->reset_requested && !m->opts.no_reboot) {
            machine_reset(m);
        }
        clock_run_timers(&m->clock);
        uint64_t lim = target;
        if (ii < rv->nr_in && rv->in[ii].pos < lim) {
            lim = rv->in[ii].pos;
        }
        if (m->shutdown_requested || lim <= pos) {
            error_setf(err, "reverse execution: re-execution stopped at %llu short of %llu (%s)",
                       (unsigned long long)pos, (unsigned long long)target,
                       m->shutdown_requested ? "the guest powered off" : "an input was missed");
            ok = false;
            break;
        }
        uint64_t n = clock_ns_to_icount_delta(&m->clock, clock_next_deadline(&m->clock));
        if (n == 0) {
            n = 1;
        }
        if (n > lim - pos) {
            n = lim - pos;
        }
        CPUExitReason r = machine_exec(m, n);
        if (rv->disk.diverged) {
            error_setf(err, "reverse execution: re-execution wrote a disk otherwise than the run "
                            "it repeats (by position %llu)", (unsigned long long)machine_icount(m));
            ok = false;
            break;
        }
        if (r == CPU_EXIT_DEBUG) {
            uint64_t at = machine_icount(m);
            if (hits && at < target) {
                (*hits)++;
                *last_hit = at;
            }
            RISCVCPU *cpu = &m->harts[m->debug_hart];
            if (cpu->dbg_hit != CPU_DEBUG_HIT_WATCH) {
                cpu_debug_resume(cpu);   /* a breakpoint is passed once, as by continue */
                continue;
            }
            rev_set_debug(m, false);
            machine_exec(m, 1);  /* past the access, as a run without a stop */
            rev_set_debug(m, true);
            if (machine_icount(m) == at) {
                error_setf(err, "reverse execution: no progress past the debug stop at %llu",
                           (unsigned long long)at);
                ok = false;
                break;
            }
            continue;
        }
        clock_run_timers(&m->clock);
        if (r == CPU_EXIT_HALTED && !m->shutdown_requested && !m->reset_requested) {
            pos = machine_icount(m);
            uint64_t deadline = clock_next_deadline(&m->clock);
            uint64_t room = deadline == CLOCK_NEVER ? UINT64_MAX
                                                    : clock_ns_to_icount_delta(&m->clock, deadline);
            if (room > lim - pos) {
                m->harts[0].env.icount += lim - pos;
            } else {
                m->harts[0].env.icount += room;
                clock_run_timers(&m->clock);
            }
        }
    }
    rev_set_debug(m, true);
    rv->cursor = ii;
    return ok;
}

/* Before going back from the live end: the state now becomes a checkpoint
 * when anything but re-execution changed it since the last one. */
static bool rev_capture(Reverse *rv, Error *err)
{
    Machine *m = rv->m;
    const RevCheckpoint *last = &rv->cp[rv->nr_cp - 1];
    if (!rv->in_past &&
        (m->debug_steps != rv->last_steps || m->state_gen != rv->last_gen ||
         m->debug_writes != rv->last_writes || machine_icount(m) > last->pos)) {
        return reverse_checkpoint(rv, err);
    }
    return true;
}

bool reverse_goto(Reverse *rv, uint64_t target, Error *err)
{
    if (!rv->on) {
        error_setf(err, "reverse execution is off");
        return false;
    }
    if (!rev_capture(rv, err)) {
        return false;
    }
    if (target < reverse_begin(rv)) {
        error_setf(err, "position %llu is before the beginning of history (%llu)",
                   (unsigned long long)target, (unsigned long long)reverse_begin(rv));
        return false;
    }
    uint64_t now = machine_icount(rv->m);
    if (target > (now > rv->horizon ? now : rv->horizon)) {
        error_setf(err, "position %llu is after the end of history (%llu)",
                   (unsigned long long)target,
                   (unsigned long long)(now > rv->horizon ? now : rv->horizon));
        return false;
    }
    size_t k = rev_find(rv, target);
    rev_quiet(rv, true);
    bool ok = rev_restore(rv, k, err) && rev_run(rv, k, target, NULL, NULL, err);
    if (ok) {
        rv->last_gen = rv->m->state_gen;
        rv->last_writes = rv->m->debug_writes;
        rv->last_steps = rv->m->debug_steps;
    }
    rev_moved(rv);
    return ok;
}

int reverse_stepi(Reverse *rv, Error *err)
{
    if (!rev_capture(rv, err)) {
        return -1;
    }
    uint64_t pos = machine_icount(rv->m);
    if (pos <= reverse_begin(rv)) {
        return 0;
    }
    return reverse_goto(rv, pos - 1, err) ? 1 : -1;
}

static int rev_continue(Reverse *rv, Error *err)
{
    Machine *m = rv->m;
    uint64_t now = machine_icount(m);
    /* Interval by interval, newest first: the last hit in the newest
     * interval that has one is the answer. */
    for (size_t k = rev_find(rv, now ? now - 1 : 0) + 1; k-- > 0;) {
        uint64_t end = k + 1 < rv->nr_cp && rv->cp[k + 1].pos < now ? rv->cp[k + 1].pos : now;
        if (rv->cp[k].pos >= now) {
            continue;
        }
        uint64_t hits = 0, last = 0;
        if (!rev_restore(rv, k, err) || !rev_run(rv, k, end, &hits, &last, err)) {
            return -1;
        }
        if (hits) {
            if (!rev_restore(rv, k, err) || !rev_run(rv, k, last, NULL, NULL, err)) {
                return -1;
            }
            /* Stop there as a forward run does: the point reports itself. */
            CPUExitReason r = machine_exec(m, 1);
            rv->last_gen = m->state_gen;
            rv->last_writes = m->debug_writes;
            rv->last_steps = m->debug_steps;
            if (r != CPU_EXIT_DEBUG || machine_icount(m) != last) {
                error_setf(err, "reverse execution: the hit at %llu did not repeat",
                           (unsigned long long)last);
                return -1;
            }
            RISCVCPU *cpu = &m->harts[m->debug_hart];
            if (cpu->dbg_hit == CPU_DEBUG_HIT_WATCH) {
                /* Going backwards, a write is met after it happened: gdb
                 * (RISC-V watchpoints fire before the access) then steps
                 * back over the access itself, to the value before it. */
                uint64_t addr = cpu->dbg_watch_addr;
                unsigned kind = cpu->dbg_watch_kind;
                rev_set_debug(m, false);
                machine_exec(m, 1);
                rev_set_debug(m, true);
                cpu->dbg_hit = CPU_DEBUG_HIT_WATCH;
                cpu->dbg_watch_addr = addr;
                cpu->dbg_watch_kind = kind;
            }
            return 1;
        }
    }
    size_t k0 = rev_find(rv, reverse_begin(rv));
    if (!rev_restore(rv, k0, err) || !rev_run(rv, k0, reverse_begin(rv), NULL, NULL, err)) {
        return -1;
    }
    rv->last_gen = m->state_gen;
    rv->last_writes = m->debug_writes;
    rv->last_steps = m->debug_steps;
    return 0;
}

int reverse_continue(Reverse *rv, Error *err)
{
    if (!rev_capture(rv, err)) {
        return -1;
    }
    rev_quiet(rv, true);
    int r = rev_continue(rv, err);
    rev_moved(rv);
    return r;
}

void reverse_truncate(Reverse *rv)
{
    if (!rv->on) {
        return;
    }
    while (rv->nr_cp > rv->ram_at + 1) {
        cp_free(rv, &rv->cp[--rv->nr_cp]);
    }
    inputs_drop_from(rv, rv->cursor);
    rev_disk_truncate(&rv->disk, rv->disk.cursor);
    rv->horizon = machine_icount(rv->m);
    rv->in_past = false;
}
