#include "emu/loop.h"

#include <stddef.h>

/* Set once at start-up by the top floor; read-only afterwards. */
static const LoopHooks *loop_hooks;

void loop_install(const LoopHooks *h)
{
    loop_hooks = h;
}

void loop_quit(int status)
{
    if (loop_hooks && loop_hooks->quit) {
        loop_hooks->quit(status);
    }
}

void loop_quit_after(uint64_t ns, int status)
{
    if (loop_hooks && loop_hooks->quit_after) {
        loop_hooks->quit_after(ns, status);
    }
}

void loop_set_machine_busy(bool (*fn)(void))
{
    if (loop_hooks && loop_hooks->set_machine_busy) {
        loop_hooks->set_machine_busy(fn);
    }
}

void loop_set_cpu_gate(uint64_t (*fn)(void))
{
    if (loop_hooks && loop_hooks->set_cpu_gate) {
        loop_hooks->set_cpu_gate(fn);
    }
}

int loop_pending_signal(void)
{
    return loop_hooks && loop_hooks->pending_signal ? loop_hooks->pending_signal() : 0;
}
