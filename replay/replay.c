/* Record and replay: the cursor over the log and the input gate
 * (replay.h). */
#include "replay/replay.h"

#include <stdlib.h>
#include <string.h>

void replay_init(Replay *r, const ReplayOps *ops, void *opaque)
{
    memset(r, 0, sizeof(*r));
    r->ops = ops;
    r->opaque = opaque;
}

static uint64_t replay_pos(const Replay *r)
{
    return r->ops->position(r->opaque);
}

bool replay_start_record(Replay *r, const char *path, const char *config, uint64_t rtc_base_ns,
                         Error *err)
{
    if (!replay_writer_open(&r->writer, path, config, replay_pos(r), rtc_base_ns, err)) {
        return false;
    }
    snprintf(r->path, sizeof(r->path), "%s", path);
    r->mode = REPLAY_MODE_RECORD;
    return true;
}

bool replay_start_play(Replay *r, const char *path, const char *config, Error *err)
{
    if (!replay_log_load(&r->log, path, config, err)) {
        return false;
    }
    if (r->log.start_pos != replay_pos(r)) {
        error_setf(err, "%s: the recording starts at position %llu, this machine is at %llu",
                   path, (unsigned long long)r->log.start_pos,
                   (unsigned long long)replay_pos(r));
        replay_log_free(&r->log);
        return false;
    }
    snprintf(r->path, sizeof(r->path), "%s", path);
    r->mode = REPLAY_MODE_PLAY;
    r->next = 0;
    r->ended = false;
    return true;
}

bool replay_finish(Replay *r, Error *err)
{
    bool ok = true;
    if (r->mode == REPLAY_MODE_RECORD) {
        ok = replay_writer_close(&r->writer, replay_pos(r), err);
    } else if (r->mode == REPLAY_MODE_PLAY) {
        replay_log_free(&r->log);
    }
    r->mode = REPLAY_MODE_NONE;
    return ok;
}

bool replay_input(Replay *r, ReplayEventKind kind, const void *data, size_t len, Error *err)
{
    switch (r->mode) {
    case REPLAY_MODE_PLAY:
        error_setf(err, "replaying %s: %s input comes from the log, not from the host", r->path,
                   replay_event_name(kind));
        return false;
    case REPLAY_MODE_RECORD:
        if (len > UINT32_MAX) {
            error_setf(err, "replay log: %zu bytes of %s input in one event", len,
                       replay_event_name(kind));
            return false;
        }
        if (!replay_writer_event(&r->writer, kind, replay_pos(r), data, (uint32_t)len, err)) {
            return false;
        }
        r->events++;
        return true;
    default:
        return true;
    }
}

bool replay_input_debug_write(Replay *r, ReplayEventKind kind, uint32_t hart, uint64_t where,
                              const uint8_t *data, size_t len, Error *err)
{
    if (r->mode != REPLAY_MODE_RECORD) {
        return true;
    }
    size_t head = kind == REPLAY_EV_DEBUG_REG ? 4 + 2 : 4 + 8;
    uint8_t *ev = malloc(head + len);
    if (!ev) {
        error_setf(err, "out of memory for a %zu-byte debugger write", len);
        return false;
    }
    for (int i = 0; i < 4; i++) {
        ev[i] = (uint8_t)(hart >> (24 - 8 * i));
    }
    for (size_t i = 4; i < head; i++) {
        ev[i] = (uint8_t)(where >> (8 * (head - 1 - i)));
    }
    memcpy(ev + head, data, len);
    bool ok = replay_input(r, kind, ev, head + len, err);
    free(ev);
    return ok;
}

static bool replay_give(Replay *r, const ReplayEvent *ev, Error *err)
{
    const ReplayOps *o = r->ops;
    char name[257];
    switch (ev->kind) {
    case REPLAY_EV_SERIAL:
        o->serial(r->opaque, ev->data, ev->len);
        return true;
    case REPLAY_EV_RESET:
        o->reset(r->opaque);
        return true;
    case REPLAY_EV_LOADVM:
        memcpy(name, ev->data, ev->len);
        name[ev->len] = '\0';
        return o->loadvm(r->opaque, name, err);
    case REPLAY_EV_NET_FRAME: {
        uint32_t nic = (uint32_t)ev->data[0] << 24 | (uint32_t)ev->data[1] << 16 |
                       (uint32_t)ev->data[2] << 8 | ev->data[3];
        if (!o->net_frame) {
            error_setf(err, "the log holds a network frame and this machine has no network");
            return false;
        }
        return o->net_frame(r->opaque, nic, ev->data + 4, ev->len - 4, err);
    }
    case REPLAY_EV_SET_LINK:
        memcpy(name, ev->data + 1, ev->len - 1);
        name[ev->len - 1] = '\0';
        if (!o->set_link) {
            error_setf(err, "the log holds set_link %s and this machine has no network", name);
            return false;
        }
        return o->set_link(r->opaque, name, ev->data[0] != 0, err);
    case REPLAY_EV_DEBUG_REG:
    case REPLAY_EV_DEBUG_MEM: {
        uint32_t hart = (uint32_t)ev->data[0] << 24 | (uint32_t)ev->data[1] << 16 |
                        (uint32_t)ev->data[2] << 8 | ev->data[3];
        if (!o->debug_reg || !o->debug_mem) {
            error_setf(err, "the log holds a debugger's write and this machine takes none");
            return false;
        }
        if (ev->kind == REPLAY_EV_DEBUG_REG) {
            uint16_t regno = (uint16_t)(ev->data[4] << 8 | ev->data[5]);
            return o->debug_reg(r->opaque, hart, regno, ev->data + 6, ev->len - 6, err);
        }
        uint64_t vaddr = 0;
        for (int i = 0; i < 8; i++) {
            vaddr = vaddr << 8 | ev->data[4 + i];
        }
        return o->debug_mem(r->opaque, hart, vaddr, ev->data + 12, ev->len - 12, err);
    }
    default:
        error_setf(err, "event kind %u cannot be replayed", ev->kind);
        return false;
    }
}

int replay_apply_due(Replay *r, Error *err)
{
    if (r->mode != REPLAY_MODE_PLAY) {
        return 0;
    }
    uint64_t pos = replay_pos(r);
    int n = 0;
    while (r->next < r->log.nr_events) {
        const ReplayEvent *ev = &r->log.events[r->next];
        if (ev->pos > pos) {
            break;
        }
        if (ev->pos < pos) {
            error_setf(err, "replay of %s diverged: event %zu (%s) was due at position %llu, "
                       "the machine is at %llu", r->path, r->next + 1,
                       replay_event_name(ev->kind), (unsigned long long)ev->pos,
                       (unsigned long long)pos);
            return -1;
        }
        r->next++;
        r->events++;

        if (!replay_give(r, ev, err)) {
            error_prependf(err, "replay of %s, event %zu at position %llu: ", r->path, r->next,
                           (unsigned long long)ev->pos);
            return -1;
        }
        n++;
    }
    if (r->next == r->log.nr_events && pos >= r->log.end_pos) {
        r->ended = true;
    }
    return n;
}

uint64_t replay_run_limit(const Replay *r)
{
    if (r->mode != REPLAY_MODE_PLAY) {
        return UINT64_MAX;
    }
    return r->next < r->log.nr_events ? r->log.events[r->next].pos : r->log.end_pos;
}

bool replay_at_end(const Replay *r)
{
    return r->mode == REPLAY_MODE_PLAY && r->ended;
}

void replay_go_live(Replay *r)
{
    if (r->mode == REPLAY_MODE_PLAY) {
        replay_log_free(&r->log);
        r->mode = REPLAY_MODE_NONE;
    }
}

size_t replay_cursor(const Replay *r)
{
    return r->mode == REPLAY_MODE_PLAY ? r->next : 0;
}

void replay_rewind(Replay *r, size_t next)
{
    if (r->mode != REPLAY_MODE_PLAY) {
        return;
    }
    r->next = next < r->log.nr_events ? next : r->log.nr_events;
    r->events = r->next;         /* each given once on the way that is now history */
    r->ended = false;
}
