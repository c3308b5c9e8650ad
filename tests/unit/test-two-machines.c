/* Two machines in one process: each has its own harts, clock, devices,
 * section registry, run state and migration context, so running, stopping
 * or migrating one does not disturb the other, and one can be saved into
 * the other through a buffer channel or migrated into it (the house's
 * promise: no machine state in globals below system/). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "emu/loop.h"
#include "hw/riscv/machine.h"
#include "io/channel.h"
#include "migration/migration.h"
#include "migration/vm-state.h"
#include "system/machine-migration.h"
#include "system/main-loop.h"
#include "tests/unit/unit.h"

#define RAM_SIZE (16ull << 20)

typedef struct Box {
    Machine m;
    Loop loop;                   /* its own: each machine's fds apart */
    MigrationVM *vm;
    char out[1 << 16];           /* the serial console's output */
    size_t len;
} Box;

static char guest_path[512];

static Box *box_of(CharBackend *be)
{
    return (Box *)((char *)be - offsetof(Box, m.serial0));
}

static void capture(CharBackend *be, const uint8_t *buf, size_t len)
{
    Box *b = box_of(be);
    if (b->len + len < sizeof(b->out)) {
        memcpy(b->out + b->len, buf, len);
        b->len += len;
        b->out[b->len] = '\0';
    }
}

static Box *box_up_smp(int smp)
{
    Box *b = calloc(1, sizeof(*b));
    CU_ASSERT_PTR_NOT_NULL_FATAL(b);
    MachineOptions o = {
        .machine = "virt", .ram_size = RAM_SIZE, .bios = "none", .kernel = guest_path,
        .clock_mode = CLOCK_MODE_ICOUNT, .icount_shift = 3, .rtc_base_ns = 1000000000ull,
        .smp = smp,
    };
    Error err;
    error_init(&err);
    chardev_init_null(&b->m.serial0, "serial0");
    b->m.serial0.host_write = capture;
    CU_ASSERT_FATAL(machine_init(&b->m, &o, &err));
    loop_init(&b->loop, NULL, NULL);
    b->vm = machine_migration_attach(&b->m, &b->loop, &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(b->vm);
    return b;
}

static Box *box_up(void)
{
    return box_up_smp(1);
}

static void box_down(Box *b)
{
    machine_migration_detach(b->vm);
    machine_destroy(&b->m);
    free(b);
}

/* The main loop's slice logic, for one machine: runs until the guest shuts
 * down or icount reaches stop. */
static void run_until(Machine *m, uint64_t stop)
{
    while (!m->shutdown_requested && m->harts[0].env.icount < stop) {
        clock_run_timers(&m->clock);
        uint64_t n = clock_ns_to_icount_delta(&m->clock, clock_next_deadline(&m->clock));
        n = n > MAIN_LOOP_SLICE ? MAIN_LOOP_SLICE : n ? n : 1;
        if (m->harts[0].env.icount + n > stop) {
            n = stop - m->harts[0].env.icount;
        }
        CPUExitReason r = cpu_exec(&m->harts[0], n);
        clock_run_timers(&m->clock);
        if (r == CPU_EXIT_HALTED && !m->shutdown_requested) {
            uint64_t skip = clock_ns_to_icount_delta(&m->clock, clock_next_deadline(&m->clock));
            if (skip == UINT64_MAX) {
                break;
            }
            m->harts[0].env.icount += skip;
            clock_run_timers(&m->clock);
        }
    }
}

static bool have_guest(void)
{
    if (access(guest_path, R_OK) == 0) {
        return true;
    }
    printf("skipped: guest %s not built (no cross compiler)\n", guest_path);
    return false;
}

/* Interleaved in small steps, two machines each produce exactly what one
 * machine alone produces: nothing of one leaks into the other. */
static void test_independent(void)
{
    if (!have_guest()) {
        return;
    }
    Box *solo = box_up();
    run_until(&solo->m, UINT64_MAX);
    CU_ASSERT_FATAL(solo->m.shutdown_requested);
    char *want = strdup(solo->out);
    uint64_t want_icount = solo->m.harts[0].env.icount;
    int want_exit = solo->m.exit_code;
    box_down(solo);

    Box *a = box_up(), *b = box_up();
    /* Out of step on purpose: b starts later and takes other slices. */
    run_until(&a->m, 5000000);
    for (uint64_t t = 1; !(a->m.shutdown_requested && b->m.shutdown_requested); t++) {
        run_until(&a->m, a->m.harts[0].env.icount + 3000000);
        run_until(&b->m, b->m.harts[0].env.icount + 7000001);
        CU_ASSERT_FATAL(t < 100000);
    }
    CU_ASSERT_STRING_EQUAL(a->out, want);
    CU_ASSERT_STRING_EQUAL(b->out, want);
    CU_ASSERT_EQUAL(a->m.harts[0].env.icount, want_icount);
    CU_ASSERT_EQUAL(b->m.harts[0].env.icount, want_icount);
    CU_ASSERT_EQUAL(a->m.exit_code, want_exit);
    CU_ASSERT_EQUAL(b->m.exit_code, want_exit);
    box_down(a);
    box_down(b);
    free(want);
}

/* Machine a, mid-run, is saved into a buffer and loaded into machine b
 * (itself at another point of the same program): both then finish exactly
 * alike, and a is not disturbed by the load into b. */
static void test_save_one_into_the_other(void)
{
    if (!have_guest()) {
        return;
    }
    Box *a = box_up(), *b = box_up();
    run_until(&a->m, 60000000);
    run_until(&b->m, 20000000);
    CU_ASSERT_FATAL(!a->m.shutdown_requested && !b->m.shutdown_requested);
    CU_ASSERT_NOT_EQUAL(a->m.harts[0].env.icount, b->m.harts[0].env.icount);

    ChannelBuffer buf = { 0 };
    Error err;
    error_init(&err);
    QEMUFile *f = qemu_file_buffer_writer(&buf);
    int ret = vm_save_state(a->vm, f, &err);
    CU_ASSERT_EQUAL(qemu_file_close(f, NULL), 0);
    if (ret < 0) {
        printf("save: %s\n", err.msg);
    }
    CU_ASSERT_EQUAL_FATAL(ret, 0);
    f = qemu_file_buffer_reader(buf.data, buf.len);
    ret = vm_load_state(b->vm, f, &err);
    qemu_file_close(f, NULL);
    if (ret < 0) {
        printf("load: %s\n", err.msg);
    }
    CU_ASSERT_EQUAL_FATAL(ret, 0);
    CU_ASSERT_EQUAL(b->m.harts[0].env.icount, a->m.harts[0].env.icount);
    CU_ASSERT_EQUAL(clock_ns(&b->m.clock), clock_ns(&a->m.clock));

    size_t a_cut = a->len, b_cut = b->len;
    run_until(&a->m, UINT64_MAX);
    run_until(&b->m, UINT64_MAX);
    CU_ASSERT(a->m.shutdown_requested && b->m.shutdown_requested);
    CU_ASSERT_STRING_EQUAL(b->out + b_cut, a->out + a_cut);
    CU_ASSERT_TRUE(strlen(a->out + a_cut) > 0);
    CU_ASSERT_EQUAL(b->m.harts[0].env.icount, a->m.harts[0].env.icount);
    CU_ASSERT_EQUAL(b->m.exit_code, a->m.exit_code);
    channel_buffer_free(&buf);
    box_down(a);
    box_down(b);
}

/* Run state, capabilities, parameters, blockers, the throttle, named fds
 * and the incoming side belong to one machine: set on a, b is unchanged. */
static void test_independent_contexts(void)
{
    if (!have_guest()) {
        return;
    }
    Box *a = box_up(), *b = box_up();
    Migration *ma = a->vm->mig, *mb = b->vm->mig;
    CU_ASSERT_PTR_NOT_NULL_FATAL(ma);
    CU_ASSERT_PTR_NOT_EQUAL(ma, mb);
    runstate_set(a->vm->run, RUN_STATE_RUNNING);
    runstate_set(b->vm->run, RUN_STATE_PAUSED);
    CU_ASSERT_EQUAL(runstate_get(&a->m.run), RUN_STATE_RUNNING);
    CU_ASSERT_EQUAL(runstate_get(&b->m.run), RUN_STATE_PAUSED);

    Error err;
    error_init(&err);
    CU_ASSERT_EQUAL(migration_set_capability(ma, "auto-converge", true, &err), 0);
    CU_ASSERT_EQUAL(migration_set_capability(mb, "return-path", false, &err), 0);
    CU_ASSERT_TRUE(migrate_cap(ma, MIGRATION_CAP_AUTO_CONVERGE));
    CU_ASSERT_FALSE(migrate_cap(mb, MIGRATION_CAP_AUTO_CONVERGE));
    CU_ASSERT_TRUE(migrate_cap(ma, MIGRATION_CAP_RETURN_PATH));
    CU_ASSERT_FALSE(migrate_cap(mb, MIGRATION_CAP_RETURN_PATH));
    CU_ASSERT_EQUAL(migration_set_parameter(mb, "downtime-limit", "1234", &err), 0);
    CU_ASSERT_EQUAL(migration_params(ma)->downtime_limit, 300);
    CU_ASSERT_EQUAL(migration_params(mb)->downtime_limit, 1234);

    int id = migrate_add_blocker(ma, "serial0", "bound to a host terminal");
    CU_ASSERT_FATAL(id >= 0);
    CU_ASSERT_EQUAL(savevm_check_blocked(a->vm->sections, &err), -EPERM);
    CU_ASSERT_STRING_EQUAL(err.msg, "serial0: bound to a host terminal");
    error_init(&err);
    CU_ASSERT_EQUAL(savevm_check_blocked(b->vm->sections, &err), 0);
    CU_ASSERT_EQUAL(migration_start(ma, "file:/dev/null", &err), -EPERM);
    migrate_del_blocker(ma, id);

    migration_throttle_set(ma, 40);
    CU_ASSERT_EQUAL(migration_throttle_percent(ma), 40);
    CU_ASSERT_EQUAL(migration_throttle_percent(mb), 0);
    CU_ASSERT_EQUAL(migration_throttle_wait_ns(mb), 0);
    migration_throttle_set(ma, 0);

    int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    CU_ASSERT_FATAL(fd >= 0);
    CU_ASSERT_EQUAL(migration_fd_add(ma, "mig", fd, &err), 0);
    error_init(&err);
    CU_ASSERT_EQUAL(migration_fd_close(mb, "mig", &err), -ENOENT);
    CU_ASSERT_STRING_EQUAL(err.msg, "File descriptor named 'mig' not found");
    CU_ASSERT_EQUAL(migration_fd_close(ma, "mig", NULL), 0);

    migration_incoming_set_defer(ma, true);
    CU_ASSERT_TRUE(migration_incoming_deferred(ma));
    CU_ASSERT_FALSE(migration_incoming_deferred(mb));
    box_down(a);
    box_down(b);
}

/* A live migration of a, mid-run, into a file while b migrates too (each
 * has its own sender thread), then b takes a's stream as its incoming
 * migration: a ends postmigrate, b runs on from where a stopped and both
 * finish alike. */
static void test_migrate_one_into_the_other(void)
{
    if (!have_guest()) {
        return;
    }
    char path[] = "/tmp/amber-test-two-XXXXXX";
    int tfd = mkstemp(path);
    CU_ASSERT_FATAL(tfd >= 0);
    close(tfd);
    char uri[64];
    snprintf(uri, sizeof(uri), "file:%s", path);

    Box *a = box_up(), *b = box_up();
    run_until(&a->m, 60000000);
    run_until(&b->m, 20000000);
    runstate_set(a->vm->run, RUN_STATE_RUNNING);
    runstate_set(b->vm->run, RUN_STATE_PAUSED);
    Error err;
    error_init(&err);
    CU_ASSERT_EQUAL_FATAL(migration_start(a->vm->mig, uri, &err), 0);
    CU_ASSERT_EQUAL_FATAL(migration_start(b->vm->mig, "file:/dev/null", &err), 0);
    CU_ASSERT_TRUE(migration_is_running(a->vm->mig));
    CU_ASSERT_TRUE(migration_is_running(b->vm->mig));
    migration_cancel(b->vm->mig);
    CU_ASSERT_FALSE(migration_is_running(b->vm->mig));
    CU_ASSERT_TRUE(migration_is_running(a->vm->mig));
    /* The main loop's part: the sender's events and the 100 ms tick, all
     * on a's loop (b's cancelled migration left nothing on its own). */
    CU_ASSERT_EQUAL(b->loop.fds.nr_fds, 0);
    for (int i = 0; i < 3000 && migration_is_running(a->vm->mig); i++) {
        fd_watch_poll_once(&a->loop.fds, 10000000);
    }
    MigrationInfo ia, ib;
    migration_get_info(a->vm->mig, &ia);
    migration_get_info(b->vm->mig, &ib);
    CU_ASSERT_EQUAL_FATAL(ia.status, MIGRATION_STATUS_COMPLETED);
    CU_ASSERT_EQUAL(ib.status, MIGRATION_STATUS_CANCELLED);
    CU_ASSERT_EQUAL(runstate_get(a->vm->run), RUN_STATE_POSTMIGRATE);
    CU_ASSERT_EQUAL(runstate_get(b->vm->run), RUN_STATE_PAUSED);

    int ret = migration_incoming_start(b->vm->mig, uri, false, false, &err);
    if (ret < 0) {
        printf("incoming: %s\n", err.msg);
    }
    CU_ASSERT_EQUAL_FATAL(ret, 0);
    CU_ASSERT_EQUAL(migration_incoming_status(b->vm->mig), MIGRATION_STATUS_COMPLETED);
    CU_ASSERT_EQUAL(migration_incoming_status(a->vm->mig), MIGRATION_STATUS_NONE);
    CU_ASSERT_EQUAL(runstate_get(b->vm->run), RUN_STATE_RUNNING);   /* as a was */
    CU_ASSERT_EQUAL(b->m.harts[0].env.icount, a->m.harts[0].env.icount);

    size_t a_cut = a->len, b_cut = b->len;
    run_until(&a->m, UINT64_MAX);
    run_until(&b->m, UINT64_MAX);
    CU_ASSERT(a->m.shutdown_requested && b->m.shutdown_requested);
    CU_ASSERT_STRING_EQUAL(b->out + b_cut, a->out + a_cut);
    CU_ASSERT_EQUAL(b->m.exit_code, a->m.exit_code);
    box_down(a);
    box_down(b);
    unlink(path);
}

/* A stream of 4 harts into a machine of 1, and of 1 into 4: refused with
 * both counts named, before anything loads (RAM and harts unchanged). */
static void test_hart_count_mismatch(void)
{
    if (!have_guest()) {
        return;
    }
    static const int shape[2][2] = { { 4, 1 }, { 1, 4 } };
    for (int k = 0; k < 2; k++) {
        Box *a = box_up_smp(shape[k][0]), *b = box_up_smp(shape[k][1]);
        run_until(&a->m, 3000000);
        run_until(&b->m, 1000000);
        ChannelBuffer buf = { 0 };
        Error err;
        error_init(&err);
        QEMUFile *f = qemu_file_buffer_writer(&buf);
        CU_ASSERT_EQUAL_FATAL(vm_save_state(a->vm, f, &err), 0);
        CU_ASSERT_EQUAL(qemu_file_close(f, NULL), 0);

        MemoryRegion *ram = b->m.mem.ram;
        uint8_t *ram_before = malloc(ram->size);
        CU_ASSERT_PTR_NOT_NULL_FATAL(ram_before);
        memcpy(ram_before, ram->host, ram->size);
        CPURISCVState env_before = b->m.harts[0].env;
        f = qemu_file_buffer_reader(buf.data, buf.len);
        error_init(&err);
        CU_ASSERT_TRUE(vm_load_state(b->vm, f, &err) < 0);
        qemu_file_close(f, NULL);
        char want[160];
        snprintf(want, sizeof(want), "the stream is of a machine with %d hart%s (-smp %d) and "
                 "this machine has %d (-smp %d)", shape[k][0], shape[k][0] == 1 ? "" : "s",
                 shape[k][0], shape[k][1], shape[k][1]);
        if (!err.set || !strstr(err.msg, want)) {
            printf("\n got: %s\nwant: %s\n", err.set ? err.msg : "(none)", want);
            CU_FAIL("mismatch message");
        }
        CU_ASSERT_EQUAL(memcmp(ram_before, ram->host, ram->size), 0);
        CU_ASSERT_EQUAL(memcmp(&env_before, &b->m.harts[0].env, sizeof(env_before)), 0);
        free(ram_before);
        channel_buffer_free(&buf);
        box_down(a);
        box_down(b);
    }
}

static const UnitTest tests[] = {
    { "hart count mismatch", test_hart_count_mismatch },
    { "two machines run side by side undisturbed", test_independent },
    { "one machine saved into the other through a buffer", test_save_one_into_the_other },
    { "run state and migration context per machine", test_independent_contexts },
    { "one machine migrated into the other while both migrate", test_migrate_one_into_the_other },
    { NULL, NULL },
};

int main(void)
{
    const char *build = getenv("AMBER_BUILD");
    snprintf(guest_path, sizeof(guest_path), "%s/tests/guest/demo/demo-ticks.elf",
             build ? build : ".");
    return unit_run("two-machines", tests);
}
