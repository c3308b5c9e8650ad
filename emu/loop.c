#include "emu/loop.h"

#include <stddef.h>

void loop_init(Loop *l, const LoopHooks *hooks, void *opaque)
{
    l->hooks = hooks;
    l->opaque = opaque;
    fd_watch_init(&l->fds);
}

void loop_quit(Loop *l, int status)
{
    if (l->hooks && l->hooks->quit) {
        l->hooks->quit(l->opaque, status);
    }
}

void loop_quit_after(Loop *l, uint64_t ns, int status)
{
    if (l->hooks && l->hooks->quit_after) {
        l->hooks->quit_after(l->opaque, ns, status);
    }
}

int loop_pending_signal(Loop *l)
{
    return l->hooks && l->hooks->pending_signal ? l->hooks->pending_signal(l->opaque) : 0;
}
