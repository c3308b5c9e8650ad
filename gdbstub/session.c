/* One gdb session: acknowledgements, replies and the stop/resume cycle.
 *
 * gdb runs in all-stop mode: every hart stops when one does, and each
 * resume (c, s, vCont) is answered by exactly one stop reply later. A
 * continue hands the machine to the main loop (run state running); the
 * reply comes from gdb_server_debug_stop (a breakpoint or watchpoint),
 * from gdb_server_poll (the monitor stopped the guest, or replaced its
 * state), or from Ctrl-C. A step runs one instruction of one hart here,
 * at once, and answers at once: no other hart moves (vCont;s:N;c steps N
 * alone too, a valid all-stop schedule that keeps runs deterministic).
 *
 * Reverse execution (bs, bc: issue 17's second part) fits this cycle as a
 * third kind of resume: restore the nearest checkpoint before the target
 * instruction count and re-run forward to it (breakpoints and watchpoints
 * stop exactly, counts are exact), then answer with the same stop reply.
 * qSupported announces ReverseStep+/ReverseContinue+ only once that works;
 * until then gdb refuses reverse commands itself. */
#include <string.h>

#include "emu/runstate.h"
#include "gdbstub/gdbstub-int.h"

void gdb_session_reset(GdbStub *gs)
{
    gdb_packet_reader_init(&gs->rd);
    gs->outq.len = 0;
    gs->last.len = 0;
    gs->reply.len = 0;
    gs->no_ack = false;
    gs->g_hart = 0;
    gs->c_hart = -1;
    gs->waiting = false;
    gs->stop_hart = 0;
    gs->state_gen = gs->m->state_gen;
    gs->detached = false;
}

static void gdb_queue_packet(GdbStub *gs, const char *data, size_t len)
{
    gs->last.len = 0;
    gdb_packet_encode(&gs->last, data, len);
    gdb_server_output(gs, gs->last.data, gs->last.len);
}

void gdb_send_reply(GdbStub *gs)
{
    gdb_queue_packet(gs, gs->reply.data ? gs->reply.data : "", gs->reply.len);
    gs->reply.len = 0;
}

void gdb_report_stop(GdbStub *gs, int h, int sig)
{
    RISCVCPU *cpu = &gs->m->harts[h];
    GdbBuf b = { 0 };
    gdb_buf_printf(&b, "T%02x", sig);
    if (sig == GDB_SIGTRAP && cpu->dbg_hit == CPU_DEBUG_HIT_WATCH) {
        static const char *const kinds[] = { "", "watch", "rwatch", "awatch" };
        gdb_buf_printf(&b, "%s:%llx;", kinds[cpu->dbg_watch_kind & 3],
                       (unsigned long long)cpu->dbg_watch_addr);
    }
    gdb_buf_printf(&b, "thread:%x;", h + 1);
    gs->waiting = false;
    gs->m->debug_run_mask = 0;   /* a later cont (the monitor's) runs every hart */
    gs->stop_hart = h;
    gs->g_hart = h;              /* gdb switches to the thread that stopped */
    gs->state_gen = gs->m->state_gen;
    gdb_queue_packet(gs, b.data, b.len);
    gdb_buf_free(&b);
}

void gdb_stop_machine(GdbStub *gs, RunState st)
{
    Machine *m = gs->m;
    if (runstate_is_running(&m->run)) {
        runstate_set(&m->run, st);
        machine_request_exit(m);
    }
}

void gdb_resume(GdbStub *gs, int step_hart, uint32_t run_mask)
{
    Machine *m = gs->m;
    if (step_hart >= 0) {
        machine_debug_step(m, step_hart);
        gdb_report_stop(gs, step_hart, GDB_SIGTRAP);
        return;
    }
    RunState s = runstate_get(&m->run);
    if (s == RUN_STATE_SHUTDOWN || s == RUN_STATE_INTERNAL_ERROR ||
        s == RUN_STATE_GUEST_PANICKED || s == RUN_STATE_INMIGRATE) {
        /* Nothing can run until the monitor resets (or the load ends). */
        gdb_report_stop(gs, gs->stop_hart, GDB_SIGINT);
        return;
    }
    machine_debug_resume(m, run_mask);
    gs->waiting = true;
    runstate_set(&m->run, RUN_STATE_RUNNING);
}

static void gdb_interrupt(GdbStub *gs)
{
    Machine *m = gs->m;
    if (!gs->waiting) {
        return;                  /* already stopped: gdb will ask */
    }
    gdb_stop_machine(gs, RUN_STATE_PAUSED);
    /* The hart whose turn it is: where gdb's Ctrl-C found the machine. */
    gdb_report_stop(gs, m->nr_harts > 1 ? (int)m->sched_cur : 0, GDB_SIGINT);
}

void gdb_session_input(GdbStub *gs, const uint8_t *data, size_t len)
{
    for (size_t i = 0; i < len && !gs->detached; i++) {
        switch (gdb_packet_feed(&gs->rd, data[i])) {
        case GDB_EV_PACKET:
            if (!gs->no_ack) {
                gdb_server_output(gs, "+", 1);
            }
            gs->reply.len = 0;
            if (gdb_handle_packet(gs, gs->rd.buf, gs->rd.len)) {
                gdb_send_reply(gs);
            }
            break;
        case GDB_EV_BAD:
            if (!gs->no_ack) {
                gdb_server_output(gs, "-", 1);
            }
            break;
        case GDB_EV_NACK:
            if (!gs->no_ack && gs->last.len) {
                gdb_server_output(gs, gs->last.data, gs->last.len);
            }
            break;
        case GDB_EV_INTERRUPT:
            gdb_interrupt(gs);
            break;
        case GDB_EV_ACK:
        case GDB_EV_NONE:
            break;
        }
    }
}

/* ---- what the main loop reports ---- */

void gdb_server_debug_stop(GdbStub *gs)
{
    Machine *m = gs->m;
    runstate_set(&m->run, RUN_STATE_DEBUG);
    if (gs->fd >= 0 && gs->waiting) {
        gdb_report_stop(gs, m->debug_hart, GDB_SIGTRAP);
    }
}

void gdb_server_poll(GdbStub *gs)
{
    Machine *m = gs->m;
    if (gs->fd < 0 || !gs->waiting) {
        return;
    }
    int h = m->nr_harts > 1 ? (int)m->sched_cur : 0;
    if (m->state_gen != gs->state_gen) {
        /* loadvm (or a reset) replaced the state gdb knows: stop there, so
         * gdb reads the new registers and memory. */
        gdb_stop_machine(gs, RUN_STATE_DEBUG);
        m->harts[h].dbg_hit = CPU_DEBUG_HIT_NONE;
        gdb_report_stop(gs, h, GDB_SIGTRAP);
        return;
    }
    if (!runstate_is_running(&m->run)) {
        gdb_report_stop(gs, h, GDB_SIGINT);   /* the monitor's stop, as QEMU */
    }
}
