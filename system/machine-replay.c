/* Record/replay glue for the process's machine (machine-replay.h). */
#include "system/machine-replay.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "emu/runstate.h"
#include "migration/snapshot.h"

static void config_image(char *buf, size_t len, const char *what, const char *path)
{
    size_t used = strlen(buf);
    if (!path || used >= len) {
        return;
    }
    struct stat st;
    const char *base = strrchr(path, '/');
    long long size = stat(path, &st) == 0 ? (long long)st.st_size : -1;
    snprintf(buf + used, len - used, " %s=%s:%lld", what, base ? base + 1 : path, size);
}

void machine_replay_config(const Machine *m, char *buf, size_t len)
{
    const MachineOptions *o = &m->opts;
    snprintf(buf, len, "%s ram=%llu smp=%d shift=%u", o->machine ? o->machine : "virt",
             (unsigned long long)o->ram_size, o->smp ? o->smp : 1, o->icount_shift);
    config_image(buf, len, "bios", o->bios);
    config_image(buf, len, "kernel", o->kernel);
    config_image(buf, len, "initrd", o->initrd);
    size_t used = strlen(buf);
    if (o->append && used < len) {
        snprintf(buf + used, len - used, " append=%s", o->append);
    }
    /* The logged frames are for these NICs (by network index). */
    for (int i = 0; i < m->nr_netdevs; i++) {
        used = strlen(buf);
        if (m->net_slot[i] >= 0 && used < len) {
            const uint8_t *mac = m->virtio_net[m->net_slot[i]].st.mac;
            snprintf(buf + used, len - used, " nic%d=%02x:%02x:%02x:%02x:%02x:%02x", i, mac[0],
                     mac[1], mac[2], mac[3], mac[4], mac[5]);
        }
    }
}

bool machine_replay_peek_rtc(const char *path, uint64_t *rtc_base_ns, Error *err)
{
    ReplayLog log;
    if (!replay_log_load(&log, path, NULL, err)) {
        return false;
    }
    *rtc_base_ns = log.rtc_base_ns;
    replay_log_free(&log);
    return true;
}

uint64_t machine_state_checksum(Machine *m)
{
    const uint64_t prime = 0x100000001b3ull;
    uint64_t h = 0xcbf29ce484222325ull;
    const MemoryRegion *ram = m->mem.ram;
    /* A word a step: byte by byte took 0.3 s for 256 MiB at every exit.
     * Pages the host never populated are zeroes and are not read (reading
     * faulted each one in, zeroing a huge page each 2 MiB): a word of
     * zeroes multiplies by the prime, a page of them by its 512th power. */
    uint64_t np = ram ? ram->size >> PAGE_BITS : 0;
    uint8_t *untouched = np ? calloc(np, 1) : NULL;
    if (untouched && !memory_host_untouched(ram->host, np, untouched)) {
        memset(untouched, 0, np);
    }
    uint64_t zero_page = 1;
    for (unsigned k = 0; k < PAGE_SIZE / 8; k++) {
        zero_page *= prime;
    }
    for (uint64_t p = 0; p < np; p++) {
        if (untouched && untouched[p]) {
            h *= zero_page;
            continue;
        }
        const uint8_t *page = ram->host + (p << PAGE_BITS);
        for (unsigned k = 0; k < PAGE_SIZE; k += 8) {
            uint64_t w;
            memcpy(&w, page + k, 8);
            h = (h ^ w) * prime;
        }
    }
    free(untouched);
    for (int k = 0; k < m->nr_harts; k++) {
        const CPURISCVState *env = &m->harts[k].env;
        uint64_t regs[33];
        regs[0] = env->pc;
        memcpy(regs + 1, env->gpr, sizeof(env->gpr));
        const uint8_t *p = (const uint8_t *)regs;
        for (size_t i = 0; i < sizeof(regs); i++) {
            h = (h ^ p[i]) * prime;
        }
    }
    return h;
}

/* ---- what the replay does to the machine ---- */

static uint64_t mr_position(void *opaque)
{
    return machine_icount(((MachineReplay *)opaque)->m);
}

static void mr_serial(void *opaque, const uint8_t *buf, size_t len)
{
    MachineReplay *mr = opaque;
    chardev_feed_direct(&mr->m->serial0, buf, len);
    reverse_note_input(&mr->rv, REPLAY_EV_SERIAL, buf, len, replay_cursor(&mr->r));
}

static void mr_reset(void *opaque)
{
    machine_reset(((MachineReplay *)opaque)->m);
}

static bool mr_loadvm(void *opaque, const char *name, Error *err)
{
    return snapshot_load(((MachineReplay *)opaque)->vm, name, err) >= 0;
}

static bool mr_net_frame(void *opaque, uint32_t nic, const uint8_t *buf, size_t len, Error *err)
{
    return machine_replay_net_frame(opaque, nic, buf, len, err);
}

static bool mr_set_link(void *opaque, const char *name, bool up, Error *err)
{
    return machine_replay_net_set_link(opaque, name, up, err);
}

static bool mr_debug_reg(void *opaque, uint32_t hart, uint16_t regno, const uint8_t *v,
                         unsigned len, Error *err)
{
    Machine *m = ((MachineReplay *)opaque)->m;
    if (hart >= (uint32_t)m->nr_harts || !machine_debug_write_reg(m, (int)hart, regno, v, len)) {
        error_setf(err, "the debugger's write of register %u on hart %u failed (the machine "
                   "has %d harts)", regno, hart, m->nr_harts);
        return false;
    }
    return true;
}

static bool mr_debug_mem(void *opaque, uint32_t hart, uint64_t vaddr, const uint8_t *buf,
                         size_t len, Error *err)
{
    Machine *m = ((MachineReplay *)opaque)->m;
    if (hart >= (uint32_t)m->nr_harts || !machine_debug_write_mem(m, (int)hart, vaddr, buf, len)) {
        error_setf(err, "the debugger's write of %zu bytes at %#llx on hart %u failed (the "
                   "machine has %d harts)", len, (unsigned long long)vaddr, hart, m->nr_harts);
        return false;
    }
    return true;
}

static const ReplayOps mr_ops = {
    .position = mr_position,
    .serial = mr_serial,
    .reset = mr_reset,
    .loadvm = mr_loadvm,
    .net_frame = mr_net_frame,
    .set_link = mr_set_link,
    .debug_reg = mr_debug_reg,
    .debug_mem = mr_debug_mem,
};

/* Play: the log's events due now; false (the machine paused, live) when
 * the run diverged from the recording. */
static bool mr_apply_due(MachineReplay *mr)
{
    Error err;
    error_init(&err);
    if (replay_apply_due(&mr->r, &err) < 0) {
        fprintf(stderr, "amber: %s\n", err.msg);
        runstate_set(&mr->m->run, RUN_STATE_PAUSED);
        replay_go_live(&mr->r);
        return false;
    }
    return true;
}

/* ---- what reverse execution does to the machine ---- */

static void mrv_give(void *opaque, const RevInput *in)
{
    MachineReplay *mr = opaque;
    Error err;
    error_init(&err);
    mr->regiving = true;
    bool ok = true;
    if (in->kind == REPLAY_EV_SERIAL) {
        chardev_feed_direct(&mr->m->serial0, in->data, in->len);
    } else if (in->kind == REPLAY_EV_NET_FRAME && in->len > 4) {
        uint32_t nic = (uint32_t)in->data[0] << 24 | (uint32_t)in->data[1] << 16 |
                       (uint32_t)in->data[2] << 8 | in->data[3];
        ok = machine_replay_net_frame(mr, nic, in->data + 4, in->len - 4, &err);
    } else if (in->kind == REPLAY_EV_SET_LINK && in->len > 1) {
        char name[NET_ID_MAX + 1];
        size_t n = in->len - 1 < NET_ID_MAX ? in->len - 1 : NET_ID_MAX;
        memcpy(name, in->data + 1, n);
        name[n] = '\0';
        ok = machine_replay_net_set_link(mr, name, in->data[0] != 0, &err);
    }
    mr->regiving = false;
    if (!ok) {
        fprintf(stderr, "amber: reverse execution: %s\n", err.msg);
    }
}

static void mrv_quiet(void *opaque, bool on)
{
    machine_replay_net_quiet(opaque, on);
}

static uint64_t mrv_mark(void *opaque)
{
    return replay_cursor(&((MachineReplay *)opaque)->r);
}

/* Replaying: the log's cursor goes back with the machine, and what is due
 * where it now stands is given before a debugger steps from there. */
static void mrv_moved(void *opaque, uint64_t mark)
{
    MachineReplay *mr = opaque;
    if (mr->r.mode == REPLAY_MODE_RECORD) {
        /* A log has one timeline: it ends where the run got furthest, and
         * what runs forward from the past is not recorded. */
        Replay *r = &mr->r;
        uint64_t end = mr->rv.horizon > r->writer.last_pos ? mr->rv.horizon
                                                           : r->writer.last_pos;
        Error err;
        error_init(&err);
        if (!replay_writer_close(&r->writer, end, &err)) {
            fprintf(stderr, "amber: %s\n", err.msg);
        }
        fprintf(stderr, "amber: record of %s: ended at position %llu (%llu events): reverse "
                        "execution went back, the run from there is not recorded\n",
                r->path, (unsigned long long)end, (unsigned long long)r->events);
        r->mode = REPLAY_MODE_NONE;
        return;
    }
    if (mr->r.mode != REPLAY_MODE_PLAY) {
        return;
    }
    replay_rewind(&mr->r, (size_t)mark);
    mr->reported_end = false;
    mr->steps_seen = mr->m->debug_steps;
    mr_apply_due(mr);
}

static const ReverseOps mrv_ops = {
    .give = mrv_give,
    .quiet = mrv_quiet,
    .mark = mrv_mark,
    .moved = mrv_moved,
};

static void machine_reverse_tick(MachineReplay *mr)
{
    Error err;
    error_init(&err);
    if (!reverse_tick(&mr->rv, &err) && !mr->warned_reverse) {
        fprintf(stderr, "amber: %s\n", err.msg);
        mr->warned_reverse = true;
    }
}

/* UART0's host input: logged while recording, dropped while replaying. */
static void mr_serial_filter(void *opaque, CharBackend *be, const uint8_t *buf, size_t len)
{
    MachineReplay *mr = opaque;
    Error err;
    error_init(&err);
    while (len) {
        size_t n = len > 4096 ? 4096 : len;   /* a serial event's payload limit */
        if (!replay_input(&mr->r, REPLAY_EV_SERIAL, buf, n, &err)) {
            if (!mr->warned_input) {
                fprintf(stderr, "amber: %s (dropped)\n", err.msg);
                mr->warned_input = true;
            }
            return;
        }
        reverse_note_input(&mr->rv, REPLAY_EV_SERIAL, buf, n, 0);
        chardev_feed_direct(be, buf, n);
        buf += n;
        len -= n;
    }
}

bool machine_replay_start(MachineReplay *mr, Machine *m, MigrationVM *vm, ReplayMode mode,
                          const char *path, Error *err)
{
    memset(mr, 0, sizeof(*mr));
    mr->m = m;
    mr->vm = vm;
    replay_init(&mr->r, &mr_ops, mr);
    if (m->opts.clock_mode != CLOCK_MODE_ICOUNT) {
        error_setf(err, "record/replay needs instruction-counted time: host-clock mode "
                        "(-icount shift=auto) is not reproducible");
        return false;
    }
    char config[1024];
    machine_replay_config(m, config, sizeof(config));
    bool ok = mode == REPLAY_MODE_RECORD
                  ? replay_start_record(&mr->r, path, config, m->opts.rtc_base_ns, err)
                  : replay_start_play(&mr->r, path, config, err);
    if (!ok || !machine_replay_net_start(mr, err)) {
        return false;
    }
    machine_set_icount_exact(m, true);
    m->serial0.input_filter = mr_serial_filter;
    m->serial0.input_filter_opaque = mr;
    return true;
}

uint64_t machine_replay_limit(void *opaque, bool apply)
{
    MachineReplay *mr = opaque;
    Replay *r = &mr->r;
    if (r->mode != REPLAY_MODE_PLAY) {
        if (apply) {
            machine_reverse_tick(mr);
        }
        return UINT64_MAX;
    }
    if (!apply) {
        return replay_run_limit(r);
    }
    if (!mr_apply_due(mr)) {
        return 0;
    }
    machine_reverse_tick(mr);    /* after the inputs: a checkpoint holds them */
    if (replay_at_end(r)) {
        if (mr->reported_end) {
            /* Continued at the end (reverse execution kept the log for a
             * debugger going back): from here the machine runs live. */
            replay_go_live(r);
            return UINT64_MAX;
        }
        fprintf(stderr, "amber: replay of %s: end of the log at position %llu (%llu events), "
                        "state checksum %016llx; the machine is paused (cont goes on live)\n",
                r->path, (unsigned long long)machine_icount(mr->m),
                (unsigned long long)r->events,
                (unsigned long long)machine_state_checksum(mr->m));
        mr->reported_end = true;
        runstate_set(&mr->m->run, RUN_STATE_PAUSED);
        if (!mr->rv.on) {
            replay_go_live(r);
            mr->m->serial0.input_filter = NULL;
        }
        return 0;
    }
    return replay_run_limit(r);
}

uint64_t machine_replay_record_limit(void *opaque, bool apply)
{
    MachineReplay *mr = opaque;
    if (!apply) {
        /* A held frame the NIC may take now: give it before idling. */
        return machine_replay_net_pending(mr) ? machine_icount(mr->m) : UINT64_MAX;
    }
    machine_replay_net_release(mr);
    machine_reverse_tick(mr);
    return UINT64_MAX;
}

bool machine_reverse_start(MachineReplay *mr, Machine *m, MigrationVM *vm, uint64_t interval,
                           uint64_t mem, Error *err)
{
    if (mr->r.mode == REPLAY_MODE_NONE) {
        memset(mr, 0, sizeof(*mr));
        mr->m = m;
        mr->vm = vm;
        replay_init(&mr->r, &mr_ops, mr);
    }
    /* With -record or -replay: the history keeps the inputs the log gets
     * or gives, and a replay's cursor follows the machine back. */
    if (!reverse_enable(&mr->rv, m, vm, interval, mem, err)) {
        return false;
    }
    reverse_set_ops(&mr->rv, &mrv_ops, mr);
    if (!machine_replay_net_start(mr, err)) {
        return false;
    }
    m->serial0.input_filter = mr_serial_filter;
    m->serial0.input_filter_opaque = mr;
    return true;
}

void machine_replay_poll(MachineReplay *mr)
{
    if (!mr->m || mr->m->debug_steps == mr->steps_seen) {
        return;
    }
    /* A debugger stepped: a replay's inputs due where it stopped are given
     * before the next step, as the run would have given them. */
    mr->steps_seen = mr->m->debug_steps;
    if (mr->r.mode == REPLAY_MODE_PLAY) {
        mr_apply_due(mr);
    }
    if (mr->rv.on && mr->m->debug_steps != mr->rv.last_steps) {
        machine_reverse_tick(mr);
    }
}

void machine_replay_finish(MachineReplay *mr)
{
    Replay *r = &mr->r;
    const char *what = r->mode == REPLAY_MODE_RECORD ? "record" :
                       r->mode == REPLAY_MODE_PLAY ? "replay" : NULL;
    if (!what) {
        return;
    }
    Error err;
    error_init(&err);
    if (!replay_finish(r, &err)) {
        fprintf(stderr, "amber: %s\n", err.msg);
    }
    fprintf(stderr, "amber: %s of %s: ended at position %llu (%llu events), "
                    "state checksum %016llx\n",
            what, r->path, (unsigned long long)machine_icount(mr->m),
            (unsigned long long)r->events, (unsigned long long)machine_state_checksum(mr->m));
    mr->m->serial0.input_filter = NULL;
}

void machine_replay_free(MachineReplay *mr)
{
    if (mr->m) {
        mr->m->serial0.input_filter = NULL;
        machine_replay_net_stop(mr);
    }
    if (mr->rv.on) {
        fprintf(stderr, "amber: reverse: at most %zu checkpoints up to position %llu, "
                        "%llu bytes of device state and page deltas, %llu bytes of RAM copy "
                        "(%llu folded into it)\n",
                mr->rv.peak_cp, (unsigned long long)mr->rv.peak_pos,
                (unsigned long long)mr->rv.peak_mem,
                (unsigned long long)(mr->rv.base_pages * PAGE_SIZE),
                (unsigned long long)mr->rv.dropped);
    }
    reverse_disable(&mr->rv);
}
