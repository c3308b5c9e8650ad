/* Reverse execution (replay/reverse.c) on the demo guest (timer ticks
 * every 0.25 s of virtual time, WFI between them, UART receive interrupts
 * for typed keys), on one hart and on two: the machine is run forward as
 * the main loop runs it, with a checkpoint every 5000 instructions run
 * (idle time does not count: about ten over the 80M positions) and keys
 * typed at two points; then going back to any earlier position gives the
 * state (RAM and registers, and the guest's output from there on) the
 * forward run had there, also across a typed key, and reverse-stepi is
 * one instruction back. A tight memory bound drops old checkpoints and
 * moves the beginning of history. Translated code survives a restore
 * except on the pages it puts back: code a debugger patched later, or the
 * guest rewrote, does not run in the past. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "emu/loop.h"
#include "io/channel.h"
#include "migration/vm-state.h"
#include "savevm/qemu-file.h"
#include "replay/reverse.h"
#include "system/machine-migration.h"
#include "system/machine-replay.h"
#include "tests/unit/unit.h"

static char guest_path[512];
static char smc_path[512];
static char snap_path[512];

typedef struct Box {
    Machine m;
    Loop loop;
    MigrationVM *vm;
    Reverse rv;
} Box;

static Box *box_up_full(const char *elf, int smp, uint64_t interval, uint64_t mem_limit,
                        const char *drive)
{
    Box *b = calloc(1, sizeof(*b));
    CU_ASSERT_PTR_NOT_NULL_FATAL(b);
    MachineOptions o = {
        .machine = "virt", .ram_size = 32ull << 20, .bios = "none", .kernel = elf,
        .clock_mode = CLOCK_MODE_ICOUNT, .icount_shift = 3, .rtc_base_ns = 1000000000ull,
        .smp = smp,
    };
    if (drive) {
        o.drives[0] = drive;
        o.nr_drives = 1;
    }
    Error err;
    error_init(&err);
    chardev_init_null(&b->m.serial0, "serial0");
    CU_ASSERT_FATAL(machine_init(&b->m, &o, &err));
    loop_init(&b->loop, NULL, NULL);
    b->vm = machine_migration_attach(&b->m, &b->loop, &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(b->vm);
    CU_ASSERT_FATAL(reverse_enable(&b->rv, &b->m, b->vm, interval, mem_limit, &err));
    runstate_set(&b->m.run, RUN_STATE_DEBUG);    /* loads need a stopped machine */
    return b;
}

static Box *box_up_guest(const char *elf, int smp, uint64_t interval, uint64_t mem_limit)
{
    return box_up_full(elf, smp, interval, mem_limit, NULL);
}

static Box *box_up(int smp, uint64_t mem_limit)
{
    /* The demo guest runs about 51K instructions in 80M positions (it
     * idles in wfi between ticks): a checkpoint every 5000 of them. */
    return box_up_guest(guest_path, smp, 5000, mem_limit);
}

static void box_down(Box *b)
{
    reverse_disable(&b->rv);
    machine_migration_detach(b->vm);
    machine_destroy(&b->m);
    free(b);
}

/* As the main loop: inputs, timers, a slice to the deadline, timers, idle
 * time to the deadline; a checkpoint when due; stops exactly at pos. */
static void forward_to(Box *b, uint64_t pos)
{
    Machine *m = &b->m;
    Error err;
    error_init(&err);
    while (machine_icount(m) < pos) {
        CU_ASSERT_FATAL(reverse_tick(&b->rv, &err));
        clock_run_timers(&m->clock);
        uint64_t now = machine_icount(m);
        uint64_t n = clock_ns_to_icount_delta(&m->clock, clock_next_deadline(&m->clock));
        n = n == 0 ? 1 : n;
        n = n > 2000 ? 2000 : n;    /* short slices: a checkpoint is due at a slice's start */
        n = n > pos - now ? pos - now : n;
        CPUExitReason r = machine_exec(m, n);
        clock_run_timers(&m->clock);
        if (r == CPU_EXIT_HALTED) {
            now = machine_icount(m);
            uint64_t room = clock_ns_to_icount_delta(&m->clock, clock_next_deadline(&m->clock));
            if (room > pos - now) {
                m->harts[0].env.icount += pos - now;
            } else {
                m->harts[0].env.icount += room;
                clock_run_timers(&m->clock);
            }
        }
    }
}

static void type_key(Box *b, char c)
{
    reverse_note_input(&b->rv, REPLAY_EV_SERIAL, &c, 1, 0);
    chardev_feed_direct(&b->m.serial0, (const uint8_t *)&c, 1);
}

static void back_and_forth(int smp)
{
    if (access(guest_path, R_OK) != 0) {
        return;
    }
    Box *b = box_up(smp, 0);
    Error err;
    error_init(&err);
    static const uint64_t at[] = { 1000, 2999999, 3000000, 7654321, 31250000, 31250001,
                                   40000003, 62500000, 70000000 };
    enum { N = sizeof(at) / sizeof(at[0]) };
    uint64_t sum[N];
    for (int i = 0; i < N; i++) {
        forward_to(b, at[i]);
        /* A key typed at a position is given at it again when re-executing
         * up to a later one; the sum is taken before it. */
        sum[i] = machine_state_checksum(&b->m);
        if (i == 4) {
            type_key(b, 'x');
        }
        if (i == 6) {
            type_key(b, 'y');
        }
    }
    forward_to(b, 80000000);
    CU_ASSERT_TRUE(b->rv.nr_cp >= 4);
    uint64_t end_sum = machine_state_checksum(&b->m);
    /* Back, out of order, across the typed keys. */
    static const int order[] = { 5, 0, 8, 3, 7, 1, 6, 2, 4 };
    for (int j = 0; j < N; j++) {
        int i = order[j];
        CU_ASSERT_TRUE(reverse_goto(&b->rv, at[i], &err));
        CU_ASSERT_EQUAL(machine_icount(&b->m), at[i]);
        if (machine_state_checksum(&b->m) != sum[i]) {
            printf("position %llu: state differs (%s)\n", (unsigned long long)at[i], err.msg);
        }
        CU_ASSERT_EQUAL(machine_state_checksum(&b->m), sum[i]);
    }
    /* And forward again to the end, by re-execution: the same end state. */
    CU_ASSERT_TRUE(reverse_goto(&b->rv, 80000000, &err));
    CU_ASSERT_EQUAL(machine_state_checksum(&b->m), end_sum);
    /* reverse-stepi: one instruction back, where the guest runs (the
     * tick's handler after 31250000; at the end it idles in WFI). */
    uint64_t prev_sum, t = 31260000;
    CU_ASSERT_TRUE(reverse_goto(&b->rv, t - 1, &err));
    prev_sum = machine_state_checksum(&b->m);
    CU_ASSERT_TRUE(reverse_goto(&b->rv, t, &err));
    CU_ASSERT_EQUAL(reverse_stepi(&b->rv, &err), 1);
    CU_ASSERT_EQUAL(machine_icount(&b->m), t - 1);
    CU_ASSERT_EQUAL(machine_state_checksum(&b->m), prev_sum);
    CU_ASSERT_NOT_EQUAL(prev_sum, sum[5]);
    box_down(b);
}

static void test_one_hart(void)
{
    back_and_forth(1);
}

static void test_two_harts(void)
{
    back_and_forth(2);
}

static void test_memory_bound(void)
{
    if (access(guest_path, R_OK) != 0) {
        return;
    }
    Box *b = box_up(1, 1);     /* every checkpoint over the bound: two are kept */
    Error err;
    error_init(&err);
    forward_to(b, 100000000);
    CU_ASSERT_EQUAL(b->rv.nr_cp, 2);
    CU_ASSERT_TRUE(reverse_goto(&b->rv, 100000000, &err));   /* the state now: a checkpoint */
    CU_ASSERT_TRUE(b->rv.dropped > 0);
    uint64_t begin = reverse_begin(&b->rv);
    CU_ASSERT_TRUE(begin > 0);
    CU_ASSERT_FALSE(reverse_goto(&b->rv, begin - 1, &err));
    CU_ASSERT_TRUE(strstr(err.msg, "beginning of history") != NULL);
    error_init(&err);
    uint64_t sum_now = machine_state_checksum(&b->m);
    CU_ASSERT_TRUE(reverse_goto(&b->rv, begin, &err));
    CU_ASSERT_EQUAL(machine_icount(&b->m), begin);
    CU_ASSERT_TRUE(reverse_goto(&b->rv, 100000000, &err));
    if (err.set) {
        printf("%s\n", err.msg);
    }
    CU_ASSERT_EQUAL(machine_state_checksum(&b->m), sum_now);
    box_down(b);
}

/* isa-smc rewrites code and runs it (about 19K instructions): going back
 * into it, out of order, with a checkpoint every 700 instructions, gives
 * the states the forward run had. */
static void test_self_modifying(void)
{
    if (access(smc_path, R_OK) != 0) {
        return;
    }
    Box *b = box_up_guest(smc_path, 1, 700, 0);
    Error err;
    error_init(&err);
    static const uint64_t at[] = { 500, 3000, 6000, 9000, 12000, 15000, 18000 };
    enum { N = sizeof(at) / sizeof(at[0]) };
    uint64_t sum[N];
    for (int i = 0; i < N; i++) {
        /* In steps, as slices of the main loop: a checkpoint is due at
         * the start of a slice. */
        while (machine_icount(&b->m) + 300 < at[i]) {
            forward_to(b, machine_icount(&b->m) + 300);
        }
        forward_to(b, at[i]);
        sum[i] = machine_state_checksum(&b->m);
    }
    CU_ASSERT_TRUE(b->rv.nr_cp >= 20);
    static const int order[] = { 0, 6, 1, 5, 2, 4, 3, 0, 6 };
    for (size_t j = 0; j < sizeof(order) / sizeof(order[0]); j++) {
        int i = order[j];
        CU_ASSERT_TRUE(reverse_goto(&b->rv, at[i], &err));
        CU_ASSERT_EQUAL(machine_icount(&b->m), at[i]);
        if (machine_state_checksum(&b->m) != sum[i]) {
            printf("isa-smc at %llu: state differs (%s)\n", (unsigned long long)at[i], err.msg);
        }
        CU_ASSERT_EQUAL(machine_state_checksum(&b->m), sum[i]);
    }
    box_down(b);
}

/* Code changed behind the guest's back (a debugger's write) and run for a
 * while: its blocks are in the translation cache when the machine goes
 * back to before the write. The restored page must drop them, or the
 * re-execution runs the patched code in the past. */
static void test_code_patched_later(void)
{
    if (access(guest_path, R_OK) != 0) {
        return;
    }
    Box *b = box_up(1, 0);
    Error err;
    error_init(&err);
    /* Just after the first tick (31.25M): its return runs the code
     * after the wfi. */
    forward_to(b, 31300000);
    uint64_t sum_mid = machine_state_checksum(&b->m);
    forward_to(b, 40000000);
    /* It idles after wfi: the instruction there (csrc mstatus, MIE) runs
     * at each wake-up. addi t6, t6, 1 in its place counts them in t6. */
    uint64_t pc = b->m.harts[0].env.pc;
    uint32_t insn = 0;
    CU_ASSERT_FATAL(memory_rw(&b->m.mem, pc, &insn, 4, false, false));
    CU_ASSERT_EQUAL_FATAL(insn & 3, 3);
    const uint32_t addi_t6 = 0x001f8f93;
    CU_ASSERT_FATAL(machine_debug_write_mem(&b->m, 0, pc, &addi_t6, 4));
    forward_to(b, 70000000);
    CU_ASSERT_NOT_EQUAL(b->m.harts[0].env.gpr[31], 0);     /* the patch ran (62.5M) */
    CU_ASSERT_TRUE(reverse_goto(&b->rv, 31300000, &err));
    CU_ASSERT_EQUAL(machine_icount(&b->m), 31300000);
    CU_ASSERT_EQUAL(b->m.harts[0].env.gpr[31], 0);
    CU_ASSERT_EQUAL(machine_state_checksum(&b->m), sum_mid);
    box_down(b);
}

/* A whole-machine save (savevm, a migration) in the middle: its RAM pass
 * logs dirty pages too, and stops when it ends; reverse execution's own
 * log goes on, so going back across it and before it gives the forward
 * run's states. */
static void test_save_in_between(void)
{
    if (access(guest_path, R_OK) != 0) {
        return;
    }
    Box *b = box_up(1, 0);
    Error err;
    error_init(&err);
    forward_to(b, 10000000);
    uint64_t sum10 = machine_state_checksum(&b->m);
    forward_to(b, 20000000);
    ChannelBuffer buf = { 0 };
    QEMUFile *f = qemu_file_buffer_writer(&buf);
    CU_ASSERT_EQUAL(vm_save_state(b->vm, f, &err), 0);
    qemu_file_close(f, NULL);
    CU_ASSERT_TRUE(buf.len > 16 * PAGE_SIZE);       /* RAM went into it */
    channel_buffer_free(&buf);
    forward_to(b, 35000000);
    uint64_t sum35 = machine_state_checksum(&b->m);
    forward_to(b, 70000000);
    CU_ASSERT_TRUE(reverse_goto(&b->rv, 35000000, &err));
    CU_ASSERT_EQUAL(machine_state_checksum(&b->m), sum35);
    CU_ASSERT_TRUE(reverse_goto(&b->rv, 10000000, &err));
    CU_ASSERT_EQUAL(machine_state_checksum(&b->m), sum10);
    box_down(b);
}

/* A loaded state (loadvm, an incoming migration) changes RAM pages the
 * history has no delta for: here a state saved at 30M is loaded after
 * going back to 10M and starting a new history there. The pages the load
 * wrote must be in the checkpoint after it, or going back before it
 * leaves them as loaded. */
static void test_load_in_between(void)
{
    if (access(guest_path, R_OK) != 0) {
        return;
    }
    Box *b = box_up(1, 0);
    Error err;
    error_init(&err);
    forward_to(b, 5000000);
    uint64_t sum5 = machine_state_checksum(&b->m);
    forward_to(b, 40000000);
    uint64_t sum40 = machine_state_checksum(&b->m);
    ChannelBuffer buf = { 0 };
    QEMUFile *f = qemu_file_buffer_writer(&buf);
    CU_ASSERT_EQUAL_FATAL(vm_save_state(b->vm, f, &err), 0);
    qemu_file_close(f, NULL);
    CU_ASSERT_TRUE(reverse_goto(&b->rv, 10000000, &err));
    forward_to(b, 12000000);                 /* a new history from 10M */
    f = qemu_file_buffer_reader(buf.data, buf.len);
    CU_ASSERT_EQUAL(vm_load_state(b->vm, f, &err), 0);
    qemu_file_close(f, NULL);
    channel_buffer_free(&buf);
    CU_ASSERT_EQUAL(machine_icount(&b->m), 40000000);
    CU_ASSERT_EQUAL(machine_state_checksum(&b->m), sum40);
    forward_to(b, 45000000);
    CU_ASSERT_TRUE(reverse_goto(&b->rv, 5000000, &err));
    CU_ASSERT_EQUAL(machine_state_checksum(&b->m), sum5);
    CU_ASSERT_TRUE(reverse_goto(&b->rv, 40000000, &err));
    CU_ASSERT_EQUAL(machine_state_checksum(&b->m), sum40);
    box_down(b);
}

/* FNV-1a of the guest's sectors (64..95) of the raw image at path. */
static uint64_t disk_sum(const char *path)
{
    uint8_t buf[32 * 512];
    FILE *f = fopen(path, "rb");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    CU_ASSERT_EQUAL(fseek(f, 64 * 512, SEEK_SET), 0);
    CU_ASSERT_EQUAL(fread(buf, 1, sizeof(buf), f), sizeof(buf));
    fclose(f);
    uint64_t h = 0xcbf29ce484222325ull;
    for (size_t i = 0; i < sizeof(buf); i++) {
        h = (h ^ buf[i]) * 0x100000001b3ull;
    }
    return h;
}

/* snap-guest writes a sector each tick and reads back an earlier one into
 * its state. Going back puts the disk back too (rev-disk.c): the image
 * holds what it held at that position, and re-execution reads the sectors
 * of the time, so RAM and registers match the forward run. Running on
 * from the past forgets the later writes, and a disk changed under the
 * log (as by a snapshot's goto) starts a new history there. */
static void test_disk_writes(void)
{
    if (access(snap_path, R_OK) != 0) {
        return;
    }
    char img[] = "/tmp/amber-rev-disk-XXXXXX";
    int fd = mkstemp(img);
    CU_ASSERT_FATAL(fd >= 0);
    CU_ASSERT_EQUAL(ftruncate(fd, 1 << 20), 0);
    close(fd);
    char drive[128];
    snprintf(drive, sizeof(drive), "file=%s,format=raw,if=virtio", img);
    Box *b = box_up_full(snap_path, 1, 300000, 0, drive);
    Error err;
    error_init(&err);
    static const uint64_t at[] = { 200000, 900000, 1700000, 2600000, 3300000, 4100000 };
    enum { N = sizeof(at) / sizeof(at[0]) };
    uint64_t sum[N], dsum[N];
    for (int i = 0; i < N; i++) {
        while (machine_icount(&b->m) + 100000 < at[i]) {
            forward_to(b, machine_icount(&b->m) + 100000);
        }
        forward_to(b, at[i]);
        sum[i] = machine_state_checksum(&b->m);
        dsum[i] = disk_sum(img);
    }
    CU_ASSERT_TRUE(b->rv.disk.nr >= 30);          /* a write a tick, about 100K apart */
    CU_ASSERT_NOT_EQUAL(dsum[0], dsum[N - 1]);
    static const int order[] = { 2, 0, 5, 1, 4, 3, 0, 5 };
    for (size_t j = 0; j < sizeof(order) / sizeof(order[0]); j++) {
        int i = order[j];
        CU_ASSERT_TRUE(reverse_goto(&b->rv, at[i], &err));
        if (err.set) {
            printf("%s\n", err.msg);
        }
        CU_ASSERT_EQUAL(disk_sum(img), dsum[i]);
        CU_ASSERT_EQUAL(machine_state_checksum(&b->m), sum[i]);
    }
    /* Forward from the past: a new history, the later writes forgotten. */
    CU_ASSERT_TRUE(reverse_goto(&b->rv, at[2], &err));
    size_t mark = b->rv.disk.cursor;
    forward_to(b, at[2] + 150000);
    CU_ASSERT_FALSE(b->rv.in_past);
    CU_ASSERT_TRUE(b->rv.disk.nr > mark && b->rv.disk.nr < mark + 4);
    /* A drive changed outside the log: the next checkpoint starts anew. */
    uint64_t restarts = b->rv.restarts;
    b->m.drive_bs[0]->content_gen++;
    forward_to(b, at[2] + 200000);
    CU_ASSERT_TRUE(reverse_checkpoint(&b->rv, &err));
    CU_ASSERT_EQUAL(b->rv.restarts, restarts + 1);
    CU_ASSERT_EQUAL(b->rv.disk.nr, 0);
    CU_ASSERT_TRUE(reverse_begin(&b->rv) >= at[2] + 150000);   /* history begins at it */
    CU_ASSERT_FALSE(reverse_goto(&b->rv, at[2] + 100000, &err));
    box_down(b);
    unlink(img);
}

/* machine_state_checksum skips the pages the host never populated,
 * hashing them as zeroes: the same sum once every page was read in. */
static void test_checksum_untouched(void)
{
    if (access(guest_path, R_OK) != 0) {
        return;
    }
    Box *b = box_up(1, 0);
    forward_to(b, 1000000);
    uint64_t before = machine_state_checksum(&b->m);
    const MemoryRegion *ram = b->m.mem.ram;
    uint64_t np = ram->size >> PAGE_BITS;
    uint8_t *untouched = calloc(np, 1);
    CU_ASSERT_PTR_NOT_NULL_FATAL(untouched);
    if (memory_host_untouched(ram->host, np, untouched)) {
        uint64_t n = 0;
        for (uint64_t p = 0; p < np; p++) {
            n += untouched[p];
        }
        CU_ASSERT_TRUE(n > np / 2);              /* the demo touches little of 32 MiB */
    }
    volatile uint8_t sink = 0;
    for (uint64_t p = 0; p < np; p++) {
        sink ^= ram->host[p << PAGE_BITS];
    }
    (void)sink;
    CU_ASSERT_EQUAL(machine_state_checksum(&b->m), before);
    free(untouched);
    box_down(b);
}

/* The interval counts instructions run: a guest idling in wfi between
 * ticks moves positions on by millions a slice and takes no checkpoint
 * for it (one every slice before, with positions). */
static void test_idle_interval(void)
{
    if (access(guest_path, R_OK) != 0) {
        return;
    }
    Box *b = box_up_guest(guest_path, 1, 1000000, 0);
    forward_to(b, 80000000);
    size_t n = b->rv.nr_cp;
    uint64_t ran = b->m.harts[0].env.instret;
    forward_to(b, 400000000);                /* ten more ticks, 320M positions */
    ran = b->m.harts[0].env.instret - ran;
    CU_ASSERT_TRUE(ran < 1000000);           /* the ticks' handlers and output */
    CU_ASSERT_TRUE(b->rv.nr_cp - n <= 1);
    box_down(b);
}

static const UnitTest tests[] = {
    { "back to any position, one hart: the state the forward run had", test_one_hart },
    { "back to any position, two harts: the state the forward run had", test_two_harts },
    { "a memory bound drops old checkpoints; history begins later", test_memory_bound },
    { "self-modifying code: re-execution runs the code of its time", test_self_modifying },
    { "code patched later: going back runs the code of the time", test_code_patched_later },
    { "a savevm in between: going back across it and before it", test_save_in_between },
    { "a loaded state in between: going back before it", test_load_in_between },
    { "disk writes: going back puts the disk back", test_disk_writes },
    { "the state checksum hashes untouched pages as zeroes", test_checksum_untouched },
    { "idle time takes no checkpoints", test_idle_interval },
    { NULL, NULL },
};

int main(void)
{
    snprintf(guest_path, sizeof(guest_path), "%s/tests/guest/demo/demo.elf", AMBER_SRCDIR);
    snprintf(smc_path, sizeof(smc_path), "%s/tests/guest/isa/isa-smc.elf", AMBER_SRCDIR);
    snprintf(snap_path, sizeof(snap_path), "%s/tests/guest/snapshot/snap-guest.elf", AMBER_SRCDIR);
    if (access(guest_path, R_OK) != 0) {
        printf("SKIP: %s not built\n", guest_path);
    }
    if (access(smc_path, R_OK) != 0) {
        printf("SKIP: %s not built\n", smc_path);
    }
    if (access(snap_path, R_OK) != 0) {
        printf("SKIP: %s not built\n", snap_path);
    }
    return unit_run("reverse", tests);
}
