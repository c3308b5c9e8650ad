/* gdb's reverse execution packets on replay/reverse.h: bs (reverse-stepi:
 * one instruction back, machine-wide) and bc (reverse-continue: back to
 * the last breakpoint or watchpoint hit before now). At the beginning of
 * history the stop reply says so as gdb's remote protocol has it:
 * "T05replaylog:begin;" (gdb then prints "No more reverse-execution
 * history."). gdb derives reverse-next, reverse-step and reverse-finish
 * from these two. */
#include <stdio.h>
#include <string.h>

#include "emu/runstate.h"
#include "gdbstub/gdbstub-int.h"
#include "replay/reverse.h"

bool gdb_reverse_on(const GdbStub *gs)
{
    return gs->rev && gs->rev->on;
}

/* The stop reply, sent as this packet's answer. */
static void reverse_stop_reply(GdbStub *gs, int h, bool begin)
{
    RISCVCPU *cpu = &gs->m->harts[h];
    gdb_buf_printf(&gs->reply, "T%02x", GDB_SIGTRAP);
    if (begin) {
        gdb_buf_puts(&gs->reply, "replaylog:begin;");
    } else if (cpu->dbg_hit == CPU_DEBUG_HIT_WATCH) {
        static const char *const kinds[] = { "", "watch", "rwatch", "awatch" };
        gdb_buf_printf(&gs->reply, "%s:%llx;", kinds[cpu->dbg_watch_kind & 3],
                       (unsigned long long)cpu->dbg_watch_addr);
    }
    gdb_buf_printf(&gs->reply, "thread:%x;", h + 1);
    gs->waiting = false;
    gs->stop_hart = h;
    gs->g_hart = h;
    gs->state_gen = gs->m->state_gen;
}

bool gdb_reverse_packet(GdbStub *gs, const char *pkt)
{
    Machine *m = gs->m;
    if (strcmp(pkt, "bs") != 0 && strcmp(pkt, "bc") != 0) {
        return true;             /* unknown: the empty reply */
    }
    if (!gdb_reverse_on(gs)) {
        gdb_buf_puts(&gs->reply, "E01");   /* amber was started without -reverse */
        return true;
    }
    if (runstate_is_running(&m->run)) {
        gdb_buf_puts(&gs->reply, "E16");
        return true;
    }
    Error err;
    error_init(&err);
    int r = pkt[1] == 's' ? reverse_stepi(gs->rev, &err) : reverse_continue(gs->rev, &err);
    if (r < 0) {
        fprintf(stderr, "amber: %s\n", err.msg);   /* gdb only shows the number */
        gdb_buf_puts(&gs->reply, "E05");
        return true;
    }
    int h = pkt[1] == 'c' && r == 1 ? m->debug_hart : gs->stop_hart;
    if (h < 0 || h >= m->nr_harts) {
        h = 0;
    }
    if (r == 1 && pkt[1] == 's') {
        /* The instruction undone belongs to whichever hart ran it: gdb is
         * told about the hart whose turn it is now. */
        h = m->nr_harts > 1 ? (int)m->sched_cur : 0;
        m->harts[h].dbg_hit = CPU_DEBUG_HIT_NONE;
    }
    reverse_stop_reply(gs, h, r == 0);
    /* gdb resumes from here: a breakpoint at this pc is passed once. */
    for (int k = 0; k < m->nr_harts; k++) {
        cpu_debug_resume(&m->harts[k]);
    }
    return true;
}
