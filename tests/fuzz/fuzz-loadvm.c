/* libFuzzer target for the VM state loader: every input is loaded as a
 * whole-machine stream and as device-only state into a small virt machine.
 * Loads may fail (they almost always do); they must never crash, leak or
 * read out of bounds (build with -fsanitize=fuzzer,address,undefined).
 *
 * FUZZ_WRITE_SEED=PATH: write a real stream of the machine to PATH and exit
 * (the seed corpus tests/integration/fuzz-loadvm.sh starts from). Built by
 * `make fuzz` (Makefile.in) with ASan and UBSan. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "emu/loop.h"
#include "hw/riscv/machine-vmstate.h"
#include "migration/vm-state.h"
#include "system/machine-migration.h"
#include "emu/runstate.h"
#include "io/channel.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

static Machine machine;
static MigrationVM *machine_vm;

static void fuzz_write_seed(const char *path)
{
    ChannelBuffer b = { 0 };
    QEMUFile *f = qemu_file_buffer_writer(&b);
    Error err;
    error_init(&err);
    int ret = vm_save_state(machine_vm, f, &err);
    qemu_file_close(f, NULL);
    FILE *out = fopen(path, "wb");
    if (ret < 0 || !out || fwrite(b.data, 1, b.len, out) != b.len || fclose(out) != 0) {
        fprintf(stderr, "fuzz-loadvm: cannot write seed %s: %s\n", path, err.msg);
        exit(1);
    }
    channel_buffer_free(&b);
    exit(0);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    MachineOptions o = {
        .machine = "virt", .ram_size = 4ull << 20, .bios = "none",
        .clock_mode = CLOCK_MODE_ICOUNT, .icount_shift = 3, .rtc_base_ns = 1000000000ull,
    };
    Error err;
    error_init(&err);
    chardev_init_null(&machine.serial0, "serial0");
    if (!machine_init(&machine, &o, &err)) {
        fprintf(stderr, "fuzz-loadvm: %s\n", err.msg);
        exit(1);
    }
    static Loop loop;
    loop_init(&loop, NULL, NULL);
    machine_vm = machine_migration_attach(&machine, &loop, &err);
    if (!machine_vm) {
        fprintf(stderr, "fuzz-loadvm: %s\n", err.msg);
        exit(1);
    }
    runstate_set(machine_vm->run, RUN_STATE_PAUSED);
    const char *seed = getenv("FUZZ_WRITE_SEED");
    if (seed) {
        fuzz_write_seed(seed);
    }
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    Error err;
    error_init(&err);
    QEMUFile *f = qemu_file_buffer_reader(data, size);
    vm_load_state(machine_vm, f, &err);
    qemu_file_close(f, NULL);
    error_init(&err);
    runstate_set(machine_vm->run, RUN_STATE_PAUSED);
    f = qemu_file_buffer_reader(data, size);
    vm_load_devices_state(machine_vm, f, &err);
    qemu_file_close(f, NULL);
    return 0;
}
