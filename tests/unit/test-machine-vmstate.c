/* VM state of the whole machine: a round trip per device, validation of
 * loaded values, a guest that continues identically after save and restore
 * (in process and through `amber -incoming "exec:..."`), device-only state,
 * failed loads that leave the machine unrunnable, and every truncation point
 * and random bit flips of a real stream. */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "emu/loop.h"
#include "hw/riscv/machine-vmstate.h"
#include "migration/vm-state.h"
#include "system/machine-migration.h"
#include "system/main-loop.h"
#include "emu/runstate.h"
#include "io/channel.h"
#include "migration/ram.h"
#include "savevm/savevm.h"
#include "tests/unit/unit.h"

#define RAM_SIZE (16ull << 20)

static Machine machine;
static MigrationVM *machine_vm;   /* the machine as migration sees it */
static Loop machine_loop;         /* no hooks: nothing polls it */
static char serial_out[1 << 16];
static size_t serial_len;
static char guest_path[512];
static char tmpdir[] = "/tmp/amber-test-mvs-XXXXXX";

static void capture(CharBackend *be, const uint8_t *buf, size_t len)
{
    if (serial_len + len < sizeof(serial_out)) {
        memcpy(serial_out + serial_len, buf, len);
        serial_len += len;
        serial_out[serial_len] = '\0';
    }
}

static bool have_guest(void)
{
    return access(guest_path, R_OK) == 0;
}

static void machine_up_ram(uint64_t ram)
{
    MachineOptions o = {
        .machine = "virt", .ram_size = ram, .bios = "none", .kernel = guest_path,
        .clock_mode = CLOCK_MODE_ICOUNT, .icount_shift = 3, .rtc_base_ns = 1000000000ull,
    };
    Error err;
    error_init(&err);
    chardev_init_null(&machine.serial0, "serial0");
    machine.serial0.host_write = capture;
    serial_len = 0;
    serial_out[0] = '\0';
    CU_ASSERT_FATAL(machine_init(&machine, &o, &err));
    loop_init(&machine_loop, NULL, NULL);
    machine_vm = machine_migration_attach(&machine, &machine_loop, &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(machine_vm);
    runstate_set(machine_vm->run, RUN_STATE_RUNNING);
}

static void machine_up(void)
{
    machine_up_ram(RAM_SIZE);
}

static void machine_down(void)
{
    machine_migration_detach(machine_vm);
    machine_vm = NULL;
    machine_destroy(&machine);
}

/* main_loop_run()'s slice logic without fds: runs until the guest shuts down
 * or icount reaches stop (checked between slices, where the monitor would
 * run a command). */
static void run_until(uint64_t stop)
{
    Machine *m = &machine;
    while (!m->shutdown_requested && m->harts[0].env.icount < stop) {
        clock_run_timers(&machine.clock);
        uint64_t n = clock_ns_to_icount_delta(&machine.clock, clock_next_deadline(&machine.clock));
        if (n > MAIN_LOOP_SLICE) {
            n = MAIN_LOOP_SLICE;
        }
        if (n == 0) {
            n = 1;
        }
        CPUExitReason r = cpu_exec(&m->harts[0], n);
        clock_run_timers(&machine.clock);
        if (r == CPU_EXIT_HALTED && !m->shutdown_requested) {
            uint64_t skip = clock_ns_to_icount_delta(&machine.clock, clock_next_deadline(&machine.clock));
            if (skip == UINT64_MAX) {
                break;
            }
            m->harts[0].env.icount += skip;
            clock_run_timers(&machine.clock);
        }
    }
}

static int save_to(ChannelBuffer *b, bool devices_only, Error *err)
{
    memset(b, 0, sizeof(*b));
    QEMUFile *f = qemu_file_buffer_writer(b);
    int ret = devices_only ? vm_save_devices_state(machine_vm, f, err)
                           : vm_save_state(machine_vm, f, err);
    int cret = qemu_file_close(f, NULL);
    return ret < 0 ? ret : cret;
}

static int load_from(const uint8_t *data, size_t len, bool devices_only, Error *err)
{
    QEMUFile *f = qemu_file_buffer_reader(data, len);
    int ret = devices_only ? vm_load_devices_state(machine_vm, f, err)
                           : vm_load_state(machine_vm, f, err);
    qemu_file_close(f, NULL);
    return ret;
}

/* Saves one table from the machine and loads it back into the same object
 * after scribbling over it: the state must come back byte for byte. */
static void round_trip(const VMStateDescription *vmsd, void *obj, void *st, size_t len)
{
    ChannelBuffer b = { 0 };
    QEMUFile *f = qemu_file_buffer_writer(&b);
    CU_ASSERT_EQUAL_FATAL(vmstate_save(f, vmsd, obj, NULL, NULL), 0);
    qemu_file_close(f, NULL);
    uint8_t *saved = malloc(len);
    memcpy(saved, st, len);
    memset(st, 0, len);
    f = qemu_file_buffer_reader(b.data, b.len);
    Error err;
    error_init(&err);
    int ret = vmstate_load(f, vmsd, obj, vmsd->version_id, &err);
    if (ret < 0) {
        printf("%s: %s\n", vmsd->name, err.msg);
    }
    CU_ASSERT_EQUAL(ret, 0);
    CU_ASSERT_EQUAL(qemu_file_tell(f), b.len);
    qemu_file_close(f, NULL);
    if (memcmp(saved, st, len) != 0) {
        printf("%s: state differs after the round trip\n", vmsd->name);
        CU_FAIL("state differs");
    }
    free(saved);
    channel_buffer_free(&b);
}

static void test_device_round_trips(void)
{
    if (!have_guest()) {
        printf("skipped: guest %s not built (no cross compiler)\n", guest_path);
        return;
    }
    machine_up();
    run_until(3000000);          /* devices and CPU now hold live values */
    Machine *m = &machine;
    /* Values no reset gives, so a field the table forgot would show. */
    m->uart0.st.rx_fifo[3] = 0x5a;
    m->uart0.st.rx_head = 3;
    m->uart0.st.rx_count = 2;
    m->uart0.st.scr = 0x77;
    m->plic.st.priority[10] = 5;
    m->plic.st.enable[1][0] = 1u << 10;
    m->plic.st.threshold[1] = 2;
    m->rtc.st.alarm_ns = 123456789;
    m->rtc.st.alarm_high = 7;
    m->harts[0].env.load_res = 0x80001000;
    m->harts[0].env.load_res_valid = 1;
    m->harts[0].env.pmpaddr[15] = 0x1234;
    m->harts[0].env.senvcfg = 1;
    m->harts[0].env.stimecmp = 0x1234567;     /* subsection cpu/sstc */
    m->harts[0].env.tselect = 1;              /* subsection cpu/trigger */
    m->harts[0].env.tdata1[1] = 0x41;
    m->harts[0].env.tdata2[0] = 0x80001000;
    uart16550_update_irq(&m->uart0);    /* IIR is derived from the rest */
    round_trip(&vmstate_riscv_cpu, &m->harts[0], &m->harts[0].env, sizeof(m->harts[0].env));
    round_trip(&vmstate_uart16550, &m->uart0, &m->uart0.st, sizeof(m->uart0.st));
    round_trip(&vmstate_plic, &m->plic, &m->plic.st, sizeof(m->plic.st));
    round_trip(&vmstate_clint, &m->clint, &m->clint.st, sizeof(m->clint.st));
    round_trip(&vmstate_goldfish_rtc, &m->rtc, &m->rtc.st, sizeof(m->rtc.st));
    m->htif.st.tohost = 3;
    m->htif.st.fromhost = 9;
    round_trip(&vmstate_htif, &m->htif, &m->htif.st, sizeof(m->htif.st));
    machine_down();
}

/* Patches one loaded value through a device-only stream and expects the
 * refusal text; the state must be unchanged afterwards. */
static void expect_refusal(void *field, size_t size, uint64_t value, const char *msg)
{
    uint8_t old[8];
    memcpy(old, field, size);
    memcpy(field, &value, size);   /* little-endian host: low bytes */
    ChannelBuffer b;
    CU_ASSERT_EQUAL_FATAL(save_to(&b, true, NULL), 0);
    memcpy(field, old, size);
    CPURISCVState env_before = machine.harts[0].env;
    Error err;
    error_init(&err);
    CU_ASSERT_TRUE(load_from(b.data, b.len, true, &err) < 0);
    if (!strstr(err.msg, msg)) {
        printf("got: %s\nwant: %s\n", err.msg, msg);
        CU_FAIL("wrong refusal message");
    }
    CU_ASSERT_EQUAL(memcmp(&env_before, &machine.harts[0].env, sizeof(env_before)), 0);
    CU_ASSERT_EQUAL(memcmp(old, field, size), 0);
    channel_buffer_free(&b);
}

static void test_validation(void)
{
    if (!have_guest()) {
        printf("skipped: guest %s not built (no cross compiler)\n", guest_path);
        return;
    }
    machine_up();
    run_until(1000000);
    runstate_set(machine_vm->run, RUN_STATE_PAUSED);
    Machine *m = &machine;
    expect_refusal(&m->uart0.st.rx_head, 1, 20,
                   "error while loading state for instance 0x0 of device 'serial': 'serial' "
                   "refused the loaded state: field 'rx_head' value 20 out of range (at most "
                   "15)");
    expect_refusal(&m->uart0.st.rx_count, 1, 17, "field 'rx_count' value 17 out of range");
    expect_refusal(&m->harts[0].env.priv, 1, 2, "'cpu' refused the loaded state: field 'env.priv' "
                   "value 2 is not a privilege level");
    expect_refusal(&m->harts[0].env.satp, 8, 5ull << 60, "field 'env.satp' value 0x5000000000000000 "
                   "has translation mode 5");
    expect_refusal(&m->harts[0].env.misa, 8, 1, "field 'env.misa' value 0x1 differs");
    expect_refusal(&m->plic.st.priority[7], 4, 9, "device 'riscv_sifive_plic': "
                   "'riscv_sifive_plic' refused the loaded state: field 'priority[7]' value 9 "
                   "out of range (at most 7)");
    expect_refusal(&m->plic.st.pending[0], 4, 1, "field 'pending' value 0x00000001 sets the bit "
                   "of source 0");
    expect_refusal(&m->clint.st.msip, 4, 2, "'riscv_aclint' refused the loaded state: field "
                   "'msip' value 2 out of range (at most 1)");
    expect_refusal(&m->rtc.st.alarm_running, 4, 5, "field 'alarm_running' value 5 out of range");
    expect_refusal(&m->opts.ram_size, 8, 32ull << 20, "RAM size mismatch: field 'ram_size' value "
                   "33554432, machine has 16777216");
    machine_down();
}

static char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        return NULL;
    }
    static char buf[1 << 16];
    *len = fread(buf, 1, sizeof(buf) - 1, f);
    buf[*len] = '\0';
    fclose(f);
    return buf;
}

/* The guest prints a line per 0.25 s of virtual time (timer interrupts,
 * WFI, UART): saved mid-run through exec:, the restored machine prints
 * exactly what the uninterrupted one printed after that point and ends at
 * the same instruction count. */
static void test_exec_migration_continues(void)
{
    if (!have_guest()) {
        printf("skipped: guest %s not built (no cross compiler)\n", guest_path);
        return;
    }
    char stream[600], cmd[3000];
    snprintf(stream, sizeof(stream), "%s/stream", tmpdir);
    machine_up();
    run_until(60000000);         /* a few ticks in, mid-run */
    CU_ASSERT_FATAL(!machine.shutdown_requested);
    size_t cut = serial_len;
    /* The stream as `migrate "exec:cat > FILE"` writes it once the guest
     * is stopped: header, sections, EOF, vmdesc (the live passes of the
     * real command are tested in migrate-*.sh). */
    snprintf(cmd, sizeof(cmd), "cat > '%s'", stream);
    Error err;
    error_init(&err);
    QEMUFile *f = qemu_file_open_exec(cmd, true, &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    int ret = vm_save_state(machine_vm, f, &err);
    int cret = qemu_file_close(f, &err);
    if (ret < 0 || cret < 0) {
        printf("save: %s\n", err.msg);
    }
    CU_ASSERT_EQUAL_FATAL(ret, 0);
    CU_ASSERT_EQUAL_FATAL(cret, 0);
    /* The uninterrupted run. */
    runstate_set(machine_vm->run, RUN_STATE_RUNNING);
    run_until(UINT64_MAX);
    CU_ASSERT_FATAL(machine.shutdown_requested);
    uint64_t icount_a = machine.harts[0].env.icount;
    int exit_a = machine.exit_code;
    char *tail_a = strdup(serial_out + cut);
    CU_ASSERT_PTR_NOT_NULL(strstr(tail_a, "stopping after 12"));
    machine_down();

    /* In process, through exec:cat. */
    machine_up();
    snprintf(cmd, sizeof(cmd), "cat '%s'", stream);
    error_init(&err);
    f = qemu_file_open_exec(cmd, false, &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    ret = vm_load_state(machine_vm, f, &err);
    cret = qemu_file_close(f, &err);
    if (ret < 0 || cret < 0) {
        printf("load: %s\n", err.msg);
    }
    CU_ASSERT_EQUAL_FATAL(ret, 0);
    CU_ASSERT_EQUAL_FATAL(cret, 0);
    run_until(UINT64_MAX);
    CU_ASSERT_STRING_EQUAL(serial_out, tail_a);
    CU_ASSERT_EQUAL(machine.harts[0].env.icount, icount_a);
    CU_ASSERT_EQUAL(machine.exit_code, exit_a);
    machine_down();

    /* The real binary: amber -incoming "exec:cat FILE" with its own main
     * loop continues the same way. */
    const char *amber = getenv("AMBER");
    if (!amber || access(amber, X_OK) != 0) {
        printf("skipped: $AMBER not set (run through make check) for the -incoming run\n");
    } else {
        char out[600];
        snprintf(out, sizeof(out), "%s/serial", tmpdir);
        snprintf(cmd, sizeof(cmd), "'%s' -m 16M -bios none -kernel '%s' -rtc base=1970-01-01T00:00:01 "
                 "-icount shift=3 -serial file:'%s' -incoming \"exec:cat '%s'\" </dev/null",
                 amber, guest_path, out, stream);
        int st = system(cmd);
        CU_ASSERT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == (exit_a & 0xff));
        size_t len = 0;
        char *got = read_file(out, &len);
        CU_ASSERT_PTR_NOT_NULL_FATAL(got);
        CU_ASSERT_STRING_EQUAL(got, tail_a);
    }
    free(tail_a);
}

static void test_device_state(void)
{
    if (!have_guest()) {
        printf("skipped: guest %s not built (no cross compiler)\n", guest_path);
        return;
    }
    machine_up();
    run_until(20000000);
    ChannelBuffer dev, full;
    CU_ASSERT_EQUAL_FATAL(save_to(&dev, true, NULL), 0);
    CU_ASSERT_EQUAL_FATAL(save_to(&full, false, NULL), 0);
    CU_ASSERT_TRUE(dev.len < full.len / 4);       /* no RAM in it */
    CU_ASSERT_PTR_NULL(memmem(dev.data, dev.len, "\003ram", 4));
    CPURISCVState env = machine.harts[0].env;
    ClintState clint = machine.clint.st;
    run_until(40000000);
    CU_ASSERT_NOT_EQUAL(machine.harts[0].env.icount, env.icount);

    Error err;
    error_init(&err);
    CU_ASSERT_EQUAL(load_from(dev.data, dev.len, true, &err), -EBUSY);
    CU_ASSERT_STRING_EQUAL(err.msg, "Cannot update device state while vm is running");
    runstate_set(machine_vm->run, RUN_STATE_PAUSED);
    /* A full stream is not device state. */
    error_init(&err);
    CU_ASSERT_TRUE(load_from(full.data, full.len, true, &err) < 0);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "loadvm: ram RAM loading not allowed in device "
                                           "state"));
    CU_ASSERT_EQUAL(runstate_get(machine_vm->run), RUN_STATE_PAUSED);
    error_init(&err);
    CU_ASSERT_EQUAL(load_from(dev.data, dev.len, true, &err), 0);
    CU_ASSERT_EQUAL(memcmp(&env, &machine.harts[0].env, sizeof(env)), 0);
    CU_ASSERT_EQUAL(memcmp(&clint, &machine.clint.st, sizeof(clint)), 0);
    CU_ASSERT_EQUAL(clock_ns(&machine.clock), env.icount << 3);
    CU_ASSERT_EQUAL(runstate_get(machine_vm->run), RUN_STATE_PAUSED);

    /* The same through files. */
    char path[600];
    snprintf(path, sizeof(path), "%s/devstate", tmpdir);
    CU_ASSERT_EQUAL(vm_save_devices_file(machine_vm, path, NULL), 0);
    CU_ASSERT_EQUAL(vm_load_devices_file(machine_vm, path, NULL), 0);
    error_init(&err);
    CU_ASSERT_TRUE(vm_load_devices_file(machine_vm, "/nonexistent/x", &err) < 0);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "/nonexistent/x"));
    channel_buffer_free(&dev);
    channel_buffer_free(&full);
    machine_down();
}

/* A load that fails after writing guest RAM leaves the machine in
 * internal-error (cont refuses it); one that fails before keeps it as it
 * was. Device state is rolled back either way. */
static void test_failed_load_is_not_runnable(void)
{
    if (!have_guest()) {
        printf("skipped: guest %s not built (no cross compiler)\n", guest_path);
        return;
    }
    machine_up();
    run_until(20000000);
    ChannelBuffer full;
    CU_ASSERT_EQUAL_FATAL(save_to(&full, false, NULL), 0);
    run_until(30000000);
    runstate_set(machine_vm->run, RUN_STATE_PAUSED);
    CPURISCVState env = machine.harts[0].env;
    Error err;
    error_init(&err);
    CU_ASSERT_TRUE(load_from(full.data, 20, false, &err) < 0);
    CU_ASSERT_EQUAL(runstate_get(machine_vm->run), RUN_STATE_PAUSED);
    error_init(&err);
    CU_ASSERT_TRUE(load_from(full.data, full.len / 2, false, &err) < 0);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "truncated"));
    CU_ASSERT_EQUAL(runstate_get(machine_vm->run), RUN_STATE_INTERNAL_ERROR);
    CU_ASSERT_EQUAL(memcmp(&env, &machine.harts[0].env, sizeof(env)), 0);
    /* A good stream brings it back. */
    CU_ASSERT_EQUAL(load_from(full.data, full.len, false, NULL), 0);
    channel_buffer_free(&full);
    machine_down();
}

static uint64_t be64_at(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++) {
        v = v << 8 | p[i];
    }
    return v;
}

/* Marks the payload bytes of RAM PAGE records (4096 raw bytes each) in a
 * stream that starts with the RAM START and END sections, as Amber writes
 * it. Truncations inside a payload all take one path (a short buffer
 * read), so the test steps through them sparsely and through every other
 * byte one by one. */
static void mark_page_payloads(const uint8_t *d, size_t len, uint8_t *payload)
{
    size_t p = 8 + 1 + 4 + (size_t)(d[9] << 24 | d[10] << 16 | d[11] << 8 | d[12]);
    for (int section = 0; section < 2 && p < len; section++) {
        p += d[p] == QEMU_VM_SECTION_START ? 1 + 4 + 1 + 3 + 4 + 4 : 1 + 4;
        for (;;) {
            uint64_t w = be64_at(d + p);
            uint64_t flags = w & 0xfff;
            p += 8;
            if (flags & RAM_SAVE_FLAG_EOS) {
                break;
            }
            if (flags & RAM_SAVE_FLAG_MEM_SIZE) {
                p += 1 + d[p] + 8;
                continue;
            }
            if (!(flags & RAM_SAVE_FLAG_CONTINUE)) {
                p += 1 + d[p];
            }
            if (flags & RAM_SAVE_FLAG_PAGE) {
                memset(payload + p, 1, 4096);
                p += 4096;
            } else {
                p += 1;
            }
        }
        p += 5;                  /* footer */
    }
}

static void test_truncation_and_bit_flips(void)
{
    if (!have_guest()) {
        printf("skipped: guest %s not built (no cross compiler)\n", guest_path);
        return;
    }
    machine_up_ram(4ull << 20);     /* a small stream: one load per cut */
    run_until(20000000);
    runstate_set(machine_vm->run, RUN_STATE_PAUSED);
    ChannelBuffer full;
    CU_ASSERT_EQUAL_FATAL(save_to(&full, false, NULL), 0);
    CPURISCVState env = machine.harts[0].env;
    /* The trailer (EOF, vmdesc) is optional for the loader only as a whole;
     * every cut before the end is an error. */
    uint8_t *payload = calloc(full.len, 1);
    mark_page_payloads(full.data, full.len, payload);
    /* The vmdesc is optional: a stream cut right after EOF is complete. */
    size_t eof_end = 0;
    for (size_t k = full.len - 5; k > 0; k--) {
        if (full.data[k] == QEMU_VM_VMDESCRIPTION && full.data[k - 1] == QEMU_VM_EOF &&
            (be64_at(full.data + k - 3) & 0xffffffff) == full.len - k - 5) {
            eof_end = k;
            break;
        }
    }
    CU_ASSERT_FATAL(eof_end > 0);
    size_t tested = 0, errors = 0;
    for (size_t len = 0; len < full.len; len++) {
        if ((payload[len] && len % 251 != 0) || len == eof_end) {
            continue;
        }
        Error err;
        error_init(&err);
        int ret = load_from(full.data, len, false, &err);
        tested++;
        if (ret < 0 && err.set) {
            errors++;
        } else {
            printf("truncation at %zu of %zu loaded: %d\n", len, full.len, ret);
        }
    }
    CU_ASSERT_EQUAL(errors, tested);
    CU_ASSERT_TRUE(tested > 1000);
    free(payload);
    CU_ASSERT_EQUAL(load_from(full.data, eof_end, false, NULL), 0);
    CU_ASSERT_EQUAL(memcmp(&env, &machine.harts[0].env, sizeof(env)), 0);

    /* Random bit flips: never a crash or a leak (ASan); the machine's
     * devices are either loaded or rolled back. */
    srand(4);
    uint8_t *copy = malloc(full.len);
    int flip_errors = 0;
    for (int i = 0; i < 300; i++) {
        memcpy(copy, full.data, full.len);
        for (int k = 0; k < 1 + i % 3; k++) {
            size_t pos = (size_t)rand() % full.len;
            copy[pos] ^= (uint8_t)(1u << (rand() % 8));
        }
        Error err;
        error_init(&err);
        if (load_from(copy, full.len, false, &err) < 0) {
            flip_errors++;
            CU_ASSERT_TRUE(err.set && err.msg[0]);
        }
    }
    printf("bit flips: %d of 300 refused\n", flip_errors);
    free(copy);
    channel_buffer_free(&full);
    machine_down();
}

/* Runs cmd, captures stdout into a malloc'd string; *status gets the exit
 * status. */
static char *run_capture(const char *cmd, int *status)
{
    FILE *p = popen(cmd, "r");
    if (!p) {
        *status = -1;
        return NULL;
    }
    size_t cap = 1 << 16, len = 0;
    char *buf = malloc(cap);
    size_t n;
    while ((n = fread(buf + len, 1, cap - len - 1, p)) > 0) {
        len += n;
        if (cap - len < 2) {
            cap *= 2;
            buf = realloc(buf, cap);
        }
    }
    buf[len] = '\0';
    int st = pclose(p);
    *status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
    return buf;
}

/* What QEMU's scripts/analyze-migration.py requires (ref-stream-format.md
 * §4): the JSON found as the first '{' after the last NUL, 0x06 and a be32
 * length before it, page_size, every FULL section described by (name,
 * instance_id) with its fields, RAM not described, names 1..127 bytes. The
 * script itself is not available here, so this checks its rules directly
 * and amber-analyze (which locates and walks the stream the same way)
 * parses the whole stream. */
static void check_analyzable(const uint8_t *d, size_t len, bool with_ram)
{
    size_t nul = len;
    for (size_t i = len; i > 0; i--) {
        if (d[i - 1] == 0) {
            nul = i - 1;
            break;
        }
    }
    CU_ASSERT_FATAL(nul < len);
    size_t brace = nul;
    while (brace < len && d[brace] != '{') {
        brace++;
    }
    CU_ASSERT_FATAL(brace < len && brace >= 5 && d[brace - 5] == QEMU_VM_VMDESCRIPTION);
    size_t jlen = (size_t)d[brace - 4] << 24 | (size_t)d[brace - 3] << 16 |
                  (size_t)d[brace - 2] << 8 | d[brace - 1];
    CU_ASSERT_EQUAL(brace + jlen, len);          /* nothing after the JSON */
    json_error_t je;
    json_t *j = json_loadb((const char *)d + brace, jlen, 0, &je);
    CU_ASSERT_PTR_NOT_NULL_FATAL(j);
    CU_ASSERT_EQUAL(json_integer_value(json_object_get(j, "page_size")), 4096);
    CU_ASSERT_TRUE(json_is_object(json_object_get(j, "configuration")));
    json_t *devs = json_object_get(j, "devices");
    CU_ASSERT_TRUE_FATAL(json_is_array(devs));
    size_t i;
    json_t *dev;
    bool saw_cpu = false, saw_gs = false;
    json_array_foreach(devs, i, dev) {
        const char *name = json_string_value(json_object_get(dev, "name"));
        CU_ASSERT_PTR_NOT_NULL_FATAL(name);
        CU_ASSERT_TRUE(strlen(name) >= 1 && strlen(name) <= 127);
        CU_ASSERT_STRING_NOT_EQUAL(name, "ram");
        CU_ASSERT_TRUE(json_is_integer(json_object_get(dev, "instance_id")));
        CU_ASSERT_TRUE(json_is_array(json_object_get(dev, "fields")));
        saw_cpu |= strcmp(name, "cpu") == 0;
        saw_gs |= strcmp(name, "globalstate") == 0;
    }
    CU_ASSERT_TRUE(saw_cpu && saw_gs);

    /* amber-analyze walks every section with that description. */
    const char *build = getenv("AMBER_BUILD");
    char path[700], cmd[1600];
    snprintf(path, sizeof(path), "%s/analyze-input", tmpdir);
    FILE *f = fopen(path, "wb");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    fwrite(d, 1, len, f);
    fclose(f);
    snprintf(cmd, sizeof(cmd), "'%s/tools/amber-analyze' --json '%s'", build ? build : ".", path);
    int st;
    char *out = run_capture(cmd, &st);
    CU_ASSERT_EQUAL(st, 0);
    json_t *o = json_loads(out ? out : "", 0, &je);
    CU_ASSERT_PTR_NOT_NULL_FATAL(o);
    /* The FULL sections, in stream order, are exactly the described devices. */
    size_t k = 0;
    json_t *sec;
    bool saw_ram = false;
    json_array_foreach(json_object_get(o, "sections"), i, sec) {
        const char *type = json_string_value(json_object_get(sec, "type"));
        const char *name = json_string_value(json_object_get(sec, "name"));
        if (strcmp(type, "FULL") == 0) {
            CU_ASSERT_STRING_EQUAL(name, json_string_value(json_object_get(
                json_array_get(devs, k), "name")));
            k++;
        } else {
            CU_ASSERT_STRING_EQUAL(name, "ram");
            saw_ram = true;
        }
    }
    CU_ASSERT_EQUAL(k, json_array_size(devs));
    CU_ASSERT_EQUAL(saw_ram, with_ram);
    CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(o, "machine")), "virt");
    json_decref(o);
    free(out);
    /* --desc prints the embedded description. */
    snprintf(cmd, sizeof(cmd), "'%s/tools/amber-analyze' --desc '%s'", build ? build : ".", path);
    out = run_capture(cmd, &st);
    CU_ASSERT_EQUAL(st, 0);
    o = json_loads(out ? out : "", 0, &je);
    CU_ASSERT_TRUE(o && json_equal(o, j));
    json_decref(o);
    free(out);
    /* Text output names sections and fields. */
    snprintf(cmd, sizeof(cmd), "'%s/tools/amber-analyze' '%s'", build ? build : ".", path);
    out = run_capture(cmd, &st);
    CU_ASSERT_EQUAL(st, 0);
    CU_ASSERT_PTR_NOT_NULL(out && strstr(out, "FULL section"));
    CU_ASSERT_PTR_NOT_NULL(out && strstr(out, "  env.pc = \"0x"));
    free(out);
    json_decref(j);
}

static void test_analyzable_and_amber_analyze(void)
{
    if (!have_guest()) {
        printf("skipped: guest %s not built (no cross compiler)\n", guest_path);
        return;
    }
    machine_up();
    run_until(20000000);
    runstate_set(machine_vm->run, RUN_STATE_PAUSED);
    ChannelBuffer full, dev;
    CU_ASSERT_EQUAL_FATAL(save_to(&full, false, NULL), 0);
    CU_ASSERT_EQUAL_FATAL(save_to(&dev, true, NULL), 0);
    check_analyzable(full.data, full.len, true);
    check_analyzable(dev.data, dev.len, false);

    /* Malformed input: an error naming the offset, exit status 1. */
    const char *build = getenv("AMBER_BUILD");
    char path[700], cmd[1600];
    snprintf(path, sizeof(path), "%s/analyze-bad", tmpdir);
    full.data[dev.len > 17 ? 17 : 0] = 0x42;  /* the first section type byte */
    FILE *f = fopen(path, "wb");
    fwrite(full.data, 1, full.len, f);
    fclose(f);
    snprintf(cmd, sizeof(cmd), "'%s/tools/amber-analyze' '%s' 2>&1", build ? build : ".", path);
    int st;
    char *out = run_capture(cmd, &st);
    CU_ASSERT_EQUAL(st, 1);
    CU_ASSERT_PTR_NOT_NULL(out && strstr(out, "offset 17: unknown section type 66"));
    free(out);
    channel_buffer_free(&full);
    channel_buffer_free(&dev);
    machine_down();
}

static const UnitTest tests[] = {
    { "round trip of every device table", test_device_round_trips },
    { "post_load refusals name device, field, value", test_validation },
    { "a stream through exec: continues identically", test_exec_migration_continues },
    { "device-only state", test_device_state },
    { "failed load leaves no runnable machine", test_failed_load_is_not_runnable },
    { "every truncation point and bit flips of a real stream", test_truncation_and_bit_flips },
    { "streams are analyzable; amber-analyze", test_analyzable_and_amber_analyze },
    { NULL, NULL },
};

int main(void)
{
    const char *build = getenv("AMBER_BUILD");
    snprintf(guest_path, sizeof(guest_path), "%s/tests/guest/demo/demo-ticks.elf",
             build ? build : ".");
    if (!mkdtemp(tmpdir)) {
        perror("mkdtemp");
        return 1;
    }
    int ret = unit_run("machine-vmstate", tests);
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
    if (system(cmd) != 0) {
        fprintf(stderr, "could not remove %s\n", tmpdir);
    }
    return ret;
}
