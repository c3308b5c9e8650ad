/* libFuzzer target for the GDB stub's input path: framing, checksums,
 * acks, escapes and every packet handler, on a small virt machine with no
 * socket (replies collect in the session's queue). Each input is a byte
 * stream from a client; the machine carries over between inputs (memory
 * and register writes are what a client may do), the session does not.
 * Malformed input must get an error or the empty reply, never a crash, a
 * leak or an out-of-bounds access. Run by tests/integration/fuzz-gdbstub.sh. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emu/loop.h"
#include "emu/runstate.h"
#include "gdbstub/gdbstub-int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

static Machine machine;
static Loop loop;

static char *fuzz_monitor(void *opaque, const char *line, int hart)
{
    (void)opaque;
    (void)hart;
    char *out = malloc(strlen(line) + 2);   /* echoes: output of any length */
    if (out) {
        sprintf(out, "%s\n", line);
    }
    return out;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    MachineOptions o = {
        .machine = "virt", .ram_size = 4ull << 20, .bios = "none", .smp = 2,
        .clock_mode = CLOCK_MODE_ICOUNT, .icount_shift = 3, .rtc_base_ns = 1000000000ull,
    };
    Error err;
    error_init(&err);
    chardev_init_null(&machine.serial0, "serial0");
    if (!machine_init(&machine, &o, &err)) {
        fprintf(stderr, "fuzz-gdbstub: %s\n", err.msg);
        exit(1);
    }
    loop_init(&loop, NULL, NULL);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    runstate_set(&machine.run, RUN_STATE_PAUSED);
    GdbStub *gs = gdb_server_new(&machine, &loop);
    gdb_server_set_monitor(gs, fuzz_monitor, NULL);
    gdb_session_input(gs, data, size);
    /* A continue leaves the machine to a main loop there is none of here:
     * a stop as the loop would report it, then poll. */
    if (gs->waiting) {
        gdb_server_poll(gs);
    }
    gdb_server_free(gs);
    cpu_debug_clear(&machine.debug);
    return 0;
}
