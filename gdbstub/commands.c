/* The packets the stub answers (the gdb manual's "Packets" and "General
 * Query Packets"). Anything malformed gets an error reply (E01: syntax,
 * E14: memory, E22: bad thread or register) and anything unknown the empty
 * reply, which tells gdb the packet is not supported. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emu/loop.h"
#include "emu/runstate.h"
#include "gdbstub/gdbstub-int.h"
#include "replay/replay.h"

#define GDB_ERR_SYNTAX "E01"
#define GDB_ERR_MEM    "E14"
#define GDB_ERR_INVAL  "E22"
/* The most memory one m packet returns: its hex fits a packet. */
#define GDB_MAX_MEM    ((GDB_PACKET_MAX - 32) / 2)

static bool starts(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* Thread ids: hart h is thread h + 1; -1 means all, 0 any. Returns the
 * hart, -1 for all, or -2 when id names no hart. */
static int parse_thread(const char **p, int nr_harts)
{
    if ((*p)[0] == '-' && (*p)[1] == '1') {
        *p += 2;
        return -1;
    }
    uint64_t id;
    if (!gdb_parse_hex(p, &id)) {
        return -2;
    }
    if (id == 0) {
        return 0;
    }
    return id <= (uint64_t)nr_harts ? (int)id - 1 : -2;
}

/* "ADDR,LEN" */
static bool parse_addr_len(const char **p, uint64_t *addr, uint64_t *len)
{
    if (!gdb_parse_hex(p, addr) || **p != ',') {
        return false;
    }
    (*p)++;
    return gdb_parse_hex(p, len);
}

static RISCVCPU *g_cpu(GdbStub *gs)
{
    return &gs->m->harts[gs->g_hart];
}

/* ---- writes: inputs to the machine, as typed bytes are ---- */

/* A replay takes its inputs from the log: a write would make another run.
 * gdb shows the text ("remote failure reply 'E.replaying ...'"). */
static bool write_refused(GdbStub *gs)
{
    if (gs->replay && gs->replay->mode == REPLAY_MODE_PLAY) {
        gdb_buf_puts(&gs->reply, "E.replaying a recording: the log drives the machine, a "
                                 "debugger's write would change the run");
        return true;
    }
    return false;
}

/* A write that took effect, into a recording's log (a replay makes it at
 * the same position); false when the log cannot take it (gdb gets an
 * error reply). */
static bool write_logged(GdbStub *gs, ReplayEventKind kind, int hart, uint64_t where,
                         const uint8_t *data, size_t len)
{
    Error err;
    error_init(&err);
    return !gs->replay ||
           replay_input_debug_write(gs->replay, kind, (uint32_t)hart, where, data, len, &err);
}

static bool write_reg(GdbStub *gs, int h, int regno, const uint8_t *v, unsigned len)
{
    return machine_debug_write_reg(gs->m, h, regno, v, len) &&
           write_logged(gs, REPLAY_EV_DEBUG_REG, h, (uint64_t)regno, v, len);
}

/* ---- registers ---- */

static void cmd_read_all_regs(GdbStub *gs)
{
    uint8_t v[8];
    for (int r = 0; r <= CPU_GDB_PC; r++) {
        unsigned n = cpu_gdb_read_reg(g_cpu(gs), r, v);
        gdb_buf_hex(&gs->reply, v, n);
    }
}

static void cmd_write_all_regs(GdbStub *gs, const char *hex)
{
    size_t n = strlen(hex);
    if (n % 16 || n > 16 * (CPU_GDB_PC + 1)) {
        gdb_buf_puts(&gs->reply, GDB_ERR_SYNTAX);
        return;
    }
    uint8_t v[8 * (CPU_GDB_PC + 1)];
    if (!gdb_hex_decode(hex, v, n / 2)) {
        gdb_buf_puts(&gs->reply, GDB_ERR_SYNTAX);
        return;
    }
    if (write_refused(gs)) {
        return;
    }
    bool ok = true;
    for (size_t r = 0; r < n / 16; r++) {
        ok &= write_reg(gs, gs->g_hart, (int)r, v + 8 * r, 8);
    }
    gdb_buf_puts(&gs->reply, ok ? "OK" : GDB_ERR_INVAL);
}

static void cmd_read_reg(GdbStub *gs, const char *p)
{
    uint64_t r;
    uint8_t v[8];
    if (!gdb_parse_hex(&p, &r) || *p) {
        gdb_buf_puts(&gs->reply, GDB_ERR_SYNTAX);
        return;
    }
    unsigned n = r <= CPU_GDB_PRIV ? cpu_gdb_read_reg(g_cpu(gs), (int)r, v) : 0;
    if (!n) {
        gdb_buf_puts(&gs->reply, GDB_ERR_INVAL);
        return;
    }
    gdb_buf_hex(&gs->reply, v, n);
}

static void cmd_write_reg(GdbStub *gs, const char *p)
{
    uint64_t r;
    uint8_t v[8];
    if (!gdb_parse_hex(&p, &r) || *p != '=') {
        gdb_buf_puts(&gs->reply, GDB_ERR_SYNTAX);
        return;
    }
    p++;
    size_t n = strlen(p);
    if (n == 0 || n % 2 || n > 16 || !gdb_hex_decode(p, v, n / 2)) {
        gdb_buf_puts(&gs->reply, GDB_ERR_SYNTAX);
        return;
    }
    if (r > CPU_GDB_PRIV) {
        gdb_buf_puts(&gs->reply, GDB_ERR_INVAL);
        return;
    }
    if (write_refused(gs)) {
        return;
    }
    bool ok = write_reg(gs, gs->g_hart, (int)r, v, (unsigned)n / 2);
    gdb_buf_puts(&gs->reply, ok ? "OK" : GDB_ERR_INVAL);
}

/* ---- memory (the Hg hart's view: virtual when its satp translates) ---- */

static void cmd_read_mem(GdbStub *gs, const char *p)
{
    uint64_t addr, len;
    if (!parse_addr_len(&p, &addr, &len) || *p) {
        gdb_buf_puts(&gs->reply, GDB_ERR_SYNTAX);
        return;
    }
    if (len > GDB_MAX_MEM) {
        len = GDB_MAX_MEM;       /* gdb asks again for the rest */
    }
    uint8_t buf[GDB_MAX_MEM];
    if (len && !cpu_memory_rw_debug(g_cpu(gs), addr, buf, len, false)) {
        gdb_buf_puts(&gs->reply, GDB_ERR_MEM);
        return;
    }
    gdb_buf_hex(&gs->reply, buf, len);
}

/* M (hex) and X (binary, escaped) */
static void cmd_write_mem(GdbStub *gs, char *p, size_t plen, bool binary)
{
    const char *q = p;
    uint64_t addr, len;
    if (!parse_addr_len(&q, &addr, &len) || *q != ':' || len > GDB_PACKET_MAX) {
        gdb_buf_puts(&gs->reply, GDB_ERR_SYNTAX);
        return;
    }
    q++;
    char *data = p + (q - p);
    size_t dlen = plen - (size_t)(q - p);
    uint8_t buf[GDB_PACKET_MAX];
    if (binary) {
        dlen = gdb_unescape(data, dlen);
        if (dlen != len) {
            gdb_buf_puts(&gs->reply, GDB_ERR_SYNTAX);
            return;
        }
        memcpy(buf, data, len);
    } else if (dlen != 2 * len || !gdb_hex_decode(data, buf, len)) {
        gdb_buf_puts(&gs->reply, GDB_ERR_SYNTAX);
        return;
    }
    if (len == 0) {
        gdb_buf_puts(&gs->reply, "OK");    /* gdb's probe for X: no write */
        return;
    }
    if (write_refused(gs)) {
        return;
    }
    if (!machine_debug_write_mem(gs->m, gs->g_hart, addr, buf, len)) {
        gdb_buf_puts(&gs->reply, GDB_ERR_MEM);
        return;
    }
    bool ok = write_logged(gs, REPLAY_EV_DEBUG_MEM, gs->g_hart, addr, buf, len);
    gdb_buf_puts(&gs->reply, ok ? "OK" : GDB_ERR_MEM);
}

/* ---- breakpoints and watchpoints: Z/z TYPE,ADDR,KIND ---- */

static void cmd_point(GdbStub *gs, const char *p, bool insert)
{
    uint64_t type, addr, kind;
    if (!gdb_parse_hex(&p, &type) || *p++ != ',' || !parse_addr_len(&p, &addr, &kind) ||
        (*p && *p != ';')) {
        gdb_buf_puts(&gs->reply, GDB_ERR_SYNTAX);
        return;
    }
    CPUDebugPoints *d = &gs->m->debug;
    bool ok;
    switch (type) {
    case 0:                      /* software: checked by translated code */
    case 1:                      /* hardware: the same check, no RAM change either */
        ok = insert ? cpu_debug_bp_insert(d, addr) : cpu_debug_bp_remove(d, addr);
        break;
    case 2:
    case 3:
    case 4: {
        static const unsigned kinds[] = { 0, 0, CPU_WATCH_WRITE, CPU_WATCH_READ,
                                          CPU_WATCH_ACCESS };
        ok = insert ? cpu_debug_wp_insert(d, addr, kind, kinds[type])
                    : cpu_debug_wp_remove(d, addr, kind, kinds[type]);
        break;
    }
    default:
        return;                  /* empty: not supported */
    }
    gdb_buf_puts(&gs->reply, ok ? "OK" : GDB_ERR_INVAL);
}

/* ---- run control ---- */

/* c [ADDR] and s [ADDR]: the Hc thread (all: -1, then the Hg one steps). */
static bool cmd_cont_step(GdbStub *gs, const char *p, bool step)
{
    int h = gs->c_hart >= 0 ? gs->c_hart : gs->g_hart;
    if (*p) {
        uint64_t addr;
        if (!gdb_parse_hex(&p, &addr)) {
            gdb_buf_puts(&gs->reply, GDB_ERR_SYNTAX);
            return true;
        }
        /* As a P of pc: instructions are 2-aligned (the fuzzer's odd pc
         * once met the executor's empty jump-cache slot). */
        uint8_t v[8];
        for (int i = 0; i < 8; i++) {
            v[i] = (uint8_t)(addr >> (8 * i));
        }
        if (write_refused(gs)) {
            return true;
        }
        write_reg(gs, h, CPU_GDB_PC, v, 8);
    }
    gdb_resume(gs, step ? h : -1, gs->c_hart >= 0 ? 1u << h : ~0u);
    return false;
}

/* vCont;ACTION[:THREAD]... The leftmost action naming a hart applies to
 * it; a step action makes that hart alone run one instruction. */
static bool cmd_vcont(GdbStub *gs, const char *p)
{
    int step = -1;
    bool any = false;
    uint32_t decided = 0, run = 0;   /* harts an action applied to; those that continue */
    while (*p == ';') {
        p++;
        char a = *p++;
        if (a == 'C' || a == 'S') {
            uint64_t sig;        /* signals mean nothing to a bare machine */
            if (!gdb_parse_hex(&p, &sig)) {
                gdb_buf_puts(&gs->reply, GDB_ERR_SYNTAX);
                return true;
            }
            a = (char)(a - 'A' + 'a');
        }
        if (a != 'c' && a != 's') {
            gdb_buf_puts(&gs->reply, GDB_ERR_SYNTAX);
            return true;
        }
        int h = -1;
        if (*p == ':') {
            p++;
            h = parse_thread(&p, gs->m->nr_harts);
            if (h == -2) {
                gdb_buf_puts(&gs->reply, GDB_ERR_INVAL);
                return true;
            }
        }
        uint32_t harts = (h >= 0 ? 1u << h : ~0u) & ~decided;
        decided |= harts;
        if (a == 's' && harts) {
            if (step < 0) {
                step = h >= 0 ? h : gs->g_hart;
            }
        } else if (a == 'c') {
            run |= harts;
        }
        any = true;
    }
    if (*p || !any) {
        gdb_buf_puts(&gs->reply, GDB_ERR_SYNTAX);
        return true;
    }
    gdb_resume(gs, step, run);
    return false;
}

/* ---- queries ---- */

static void cmd_xfer_features(GdbStub *gs, const char *p)
{
    /* qXfer:features:read:ANNEX:OFFSET,LENGTH */
    const char *colon = strchr(p, ':');
    char annex[64];
    if (!colon || (size_t)(colon - p) >= sizeof(annex)) {
        gdb_buf_puts(&gs->reply, GDB_ERR_SYNTAX);
        return;
    }
    memcpy(annex, p, (size_t)(colon - p));
    annex[colon - p] = '\0';
    const char *q = colon + 1;
    uint64_t off, len;
    if (!parse_addr_len(&q, &off, &len) || *q) {
        gdb_buf_puts(&gs->reply, GDB_ERR_SYNTAX);
        return;
    }
    const char *xml = cpu_gdb_xml(annex);
    if (!xml) {
        gdb_buf_puts(&gs->reply, "E00");
        return;
    }
    size_t total = strlen(xml);
    if (len > GDB_PACKET_MAX / 2 - 8) {
        len = GDB_PACKET_MAX / 2 - 8;   /* escapes may double it */
    }
    if (off >= total) {
        gdb_buf_puts(&gs->reply, "l");
        return;
    }
    size_t n = total - off < len ? total - (size_t)off : (size_t)len;
    gdb_buf_puts(&gs->reply, off + n < total ? "m" : "l");
    gdb_buf_append(&gs->reply, xml + off, n);
}

static void cmd_thread_info(GdbStub *gs)
{
    gdb_buf_puts(&gs->reply, "m");
    for (int h = 0; h < gs->m->nr_harts; h++) {
        gdb_buf_printf(&gs->reply, h ? ",%x" : "%x", h + 1);
    }
}

static void cmd_thread_extra(GdbStub *gs, const char *p)
{
    int h = parse_thread(&p, gs->m->nr_harts);
    if (h < 0 || *p) {
        gdb_buf_puts(&gs->reply, GDB_ERR_INVAL);
        return;
    }
    const RISCVCPU *cpu = &gs->m->harts[h];
    static const char *const modes[] = { "U", "S", "?", "M" };
    char text[64];
    int n = snprintf(text, sizeof(text), "hart %d, %s-mode%s", h, modes[cpu->env.priv & 3],
                     cpu->env.halted ? ", halted (wfi)" : "");
    gdb_buf_hex(&gs->reply, text, (size_t)n);
}

static void cmd_rcmd(GdbStub *gs, const char *hex)
{
    size_t n = strlen(hex);
    if (n % 2) {
        gdb_buf_puts(&gs->reply, GDB_ERR_SYNTAX);
        return;
    }
    char *line = malloc(n / 2 + 1);
    if (!line || !gdb_hex_decode(hex, (uint8_t *)line, n / 2) || memchr(line, 0, n / 2)) {
        free(line);
        gdb_buf_puts(&gs->reply, GDB_ERR_SYNTAX);
        return;
    }
    line[n / 2] = '\0';
    char *out = gs->monitor_fn ? gs->monitor_fn(gs->monitor_opaque, line, gs->g_hart) : NULL;
    free(line);
    if (!out) {
        gdb_buf_puts(&gs->reply, GDB_ERR_INVAL);
        return;
    }
    if (gs->m->state_gen != gs->state_gen) {
        /* loadvm (or system_reset) replaced the state. gdb keeps the
         * registers it read at the stop (all-stop gdb takes no stop reply
         * now), so say how to drop them; memory it reads afresh. */
        size_t n = strlen(out);
        char *more = realloc(out, n + 160);
        if (more) {
            out = more;
            snprintf(out + n, 160, "amber: the machine's state was replaced: gdb shows the new "
                     "registers after 'maintenance flush register-cache' or the next step\n");
        }
        gs->state_gen = gs->m->state_gen;
    }
    if (*out) {
        gdb_buf_hex(&gs->reply, out, strlen(out));   /* gdb prints the hex reply */
    } else {
        gdb_buf_puts(&gs->reply, "OK");
    }
    free(out);
}

static void cmd_query(GdbStub *gs, char *p)
{
    if (starts(p, "qSupported")) {
        gdb_buf_printf(&gs->reply, "PacketSize=%x;qXfer:features:read+;QStartNoAckMode+;"
                       "vContSupported+", GDB_PACKET_MAX);
        if (gdb_reverse_on(gs)) {    /* reverse execution (gdbstub/reverse.c) */
            gdb_buf_puts(&gs->reply, ";ReverseStep+;ReverseContinue+");
        }
    } else if (starts(p, "qXfer:features:read:")) {
        cmd_xfer_features(gs, p + strlen("qXfer:features:read:"));
    } else if (!strcmp(p, "qAttached") || starts(p, "qAttached:")) {
        gdb_buf_puts(&gs->reply, "1");   /* detach, not kill, when gdb quits */
    } else if (!strcmp(p, "qC")) {
        gdb_buf_printf(&gs->reply, "QC%x", gs->g_hart + 1);
    } else if (!strcmp(p, "qfThreadInfo")) {
        cmd_thread_info(gs);
    } else if (!strcmp(p, "qsThreadInfo")) {
        gdb_buf_puts(&gs->reply, "l");
    } else if (starts(p, "qThreadExtraInfo,")) {
        cmd_thread_extra(gs, p + strlen("qThreadExtraInfo,"));
    } else if (starts(p, "qRcmd,")) {
        cmd_rcmd(gs, p + strlen("qRcmd,"));
    } else if (!strcmp(p, "qSymbol::")) {
        gdb_buf_puts(&gs->reply, "OK");
    } else if (!strcmp(p, "QStartNoAckMode")) {
        gdb_buf_puts(&gs->reply, "OK");
        gdb_send_reply(gs);      /* acked still; the mode starts after it */
        gs->no_ack = true;
    }
}

static void cmd_set_thread(GdbStub *gs, const char *p)
{
    char which = *p++;
    int h = parse_thread(&p, gs->m->nr_harts);
    if (h == -2 || *p || (which != 'g' && which != 'c')) {
        gdb_buf_puts(&gs->reply, GDB_ERR_INVAL);
        return;
    }
    if (which == 'g') {
        gs->g_hart = h < 0 ? 0 : h;
    } else {
        gs->c_hart = h;
    }
    gdb_buf_puts(&gs->reply, "OK");
}

bool gdb_handle_packet(GdbStub *gs, char *pkt, size_t len)
{
    if (len == 0 || strlen(pkt) != len) {
        /* Only X carries binary data (NUL bytes included). */
        if (len == 0 || pkt[0] != 'X') {
            return true;         /* empty reply */
        }
    }
    const char *arg = pkt + 1;
    switch (pkt[0]) {
    case '?':
        gs->waiting = false;
        gdb_report_stop(gs, gs->stop_hart, GDB_SIGTRAP);
        return false;
    case 'g':
        cmd_read_all_regs(gs);
        return true;
    case 'G':
        cmd_write_all_regs(gs, arg);
        return true;
    case 'p':
        cmd_read_reg(gs, arg);
        return true;
    case 'P':
        cmd_write_reg(gs, arg);
        return true;
    case 'm':
        cmd_read_mem(gs, arg);
        return true;
    case 'M':
        cmd_write_mem(gs, pkt + 1, len - 1, false);
        return true;
    case 'X':
        cmd_write_mem(gs, pkt + 1, len - 1, true);
        return true;
    case 'Z':
    case 'z':
        cmd_point(gs, arg, pkt[0] == 'Z');
        return true;
    case 'c':
        return cmd_cont_step(gs, arg, false);
    case 's':
        return cmd_cont_step(gs, arg, true);
    case 'b':                    /* bs, bc: reverse execution (gdbstub/reverse.c) */
        return gdb_reverse_packet(gs, pkt);
    case 'H':
        cmd_set_thread(gs, arg);
        return true;
    case 'T': {
        int h = parse_thread(&arg, gs->m->nr_harts);
        gdb_buf_puts(&gs->reply, h >= 0 && !*arg ? "OK" : GDB_ERR_INVAL);
        return true;
    }
    case 'D':
        /* Detach: the debugger's points go, the guest runs on (QEMU). */
        cpu_debug_clear(&gs->m->debug);
        gdb_buf_puts(&gs->reply, "OK");
        gdb_send_reply(gs);
        gs->detached = true;
        machine_debug_resume(gs->m, ~0u);
        if (runstate_get(&gs->m->run) == RUN_STATE_DEBUG ||
            runstate_get(&gs->m->run) == RUN_STATE_PAUSED) {
            runstate_set(&gs->m->run, RUN_STATE_RUNNING);
        }
        return false;
    case 'k':
        /* Kill ends amber, as QEMU's stub does. */
        gs->detached = true;
        loop_quit(gs->loop, 0);
        return false;
    case 'v':
        if (!strcmp(pkt, "vCont?")) {
            gdb_buf_puts(&gs->reply, "vCont;c;C;s;S");
            return true;
        }
        if (starts(pkt, "vCont;")) {
            return cmd_vcont(gs, pkt + 5);
        }
        if (starts(pkt, "vKill")) {
            gdb_buf_puts(&gs->reply, "OK");
            gdb_send_reply(gs);
            gs->detached = true;
            loop_quit(gs->loop, 0);
            return false;
        }
        return true;             /* vMustReplyEmpty and the rest */
    case 'q':
    case 'Q':
        cmd_query(gs, pkt);
        return strcmp(pkt, "QStartNoAckMode") != 0;
    default:
        return true;
    }
}
