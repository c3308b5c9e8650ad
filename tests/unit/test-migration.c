/* Migration pieces without processes: the XBZRLE codec (QEMU's format),
 * a live RAM save with XBZRLE that a second memory loads page-exact,
 * capabilities and parameters with QEMU's messages, blockers refusing
 * savevm, and the throttle's sleep share. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "emu/loop.h"
#include "emu/clock.h"
#include "emu/memory.h"
#include "io/channel.h"
#include "migration/migration-rp.h"
#include "migration/migration.h"
#include "migration/ram.h"
#include "savevm/savevm.h"
#include "migration/xbzrle.h"
#include "tests/unit/unit.h"

/* The section registry under test (a machine owns one; these tests make
 * their own). */
static SaveVMState *sv;

static void sv_reset(void)
{
    savevm_state_free(sv);
    sv = savevm_state_new();
    CU_ASSERT_PTR_NOT_NULL_FATAL(sv);
}

/* A migration context over a MigrationVM that has no machine: options,
 * blockers, disk hooks and the throttle touch none. */
static VMRunState mig_run;
static Loop mig_loop;            /* no hooks: nothing polls it */
static MigrationVM mig_vm = { .run = &mig_run, .loop = &mig_loop };

static Migration *mig_new(void)
{
    mig_vm.sections = sv;
    Migration *mig = migration_new(&mig_vm);
    CU_ASSERT_PTR_NOT_NULL_FATAL(mig);
    return mig;
}

#define PG 4096

static void test_xbzrle_vector(void)
{
    uint8_t old[PG] = { 0 }, new_[PG] = { 0 }, enc[PG];
    new_[10] = 0x55;
    new_[200] = 1;
    new_[201] = 2;
    int n = xbzrle_encode(old, new_, PG, enc, sizeof(enc));
    /* zrun 10, nzrun 1 [55], zrun 189 (2-byte ULEB), nzrun 2 [01 02] */
    const uint8_t want[] = { 10, 1, 0x55, 0xbd, 0x01, 2, 1, 2 };
    CU_ASSERT_EQUAL_FATAL(n, (int)sizeof(want));
    CU_ASSERT_EQUAL(memcmp(enc, want, sizeof(want)), 0);
    CU_ASSERT_EQUAL(xbzrle_encode(old, old, PG, enc, sizeof(enc)), 0);
}

static void test_xbzrle_round_trip(void)
{
    static uint8_t old[PG], new_[PG], dst[PG], enc[PG];
    srand(7);
    for (int round = 0; round < 200; round++) {
        for (int i = 0; i < PG; i++) {
            old[i] = (uint8_t)rand();
        }
        memcpy(new_, old, PG);
        int changes = rand() % 64;
        for (int c = 0; c < changes; c++) {
            int at = rand() % PG, len = 1 + rand() % 40;
            for (int k = at; k < at + len && k < PG; k++) {
                new_[k] = (uint8_t)(new_[k] + 1 + rand() % 200);
            }
        }
        int n = xbzrle_encode(old, new_, PG, enc, PG);
        CU_ASSERT_FATAL(n >= 0);
        memcpy(dst, old, PG);
        CU_ASSERT_FATAL(xbzrle_decode(enc, (size_t)n, dst, PG) >= 0);
        CU_ASSERT_EQUAL(memcmp(dst, new_, PG), 0);
    }
}

static void test_xbzrle_overflow_and_bad_input(void)
{
    static uint8_t old[PG], new_[PG], enc[PG], dst[PG];
    for (int i = 0; i < PG; i++) {
        new_[i] = (uint8_t)(i | 1);
    }
    CU_ASSERT_EQUAL(xbzrle_encode(old, new_, PG, enc, PG - PG / 8), -1);
    const uint8_t zero_nzrun[] = { 1, 0 };
    CU_ASSERT_EQUAL(xbzrle_decode(zero_nzrun, sizeof(zero_nzrun), dst, PG), -1);
    const uint8_t short_data[] = { 0, 5, 1, 2 };
    CU_ASSERT_EQUAL(xbzrle_decode(short_data, sizeof(short_data), dst, PG), -1);
    const uint8_t beyond[] = { 0xff, 0x7f, 1, 9 };      /* zrun 16383 > page */
    CU_ASSERT_EQUAL(xbzrle_decode(beyond, sizeof(beyond), dst, PG), -1);
    const uint8_t later_zero_zrun[] = { 0, 1, 7, 0, 1, 8 };
    CU_ASSERT_EQUAL(xbzrle_decode(later_zero_zrun, sizeof(later_zero_zrun), dst, PG), -1);
    const uint8_t dangling[] = { 3 };
    CU_ASSERT_EQUAL(xbzrle_decode(dangling, sizeof(dangling), dst, PG), -1);
}

#define RAM_BASE 0x80000000ull
#define RAM_PAGES 64

/* Live save of src with XBZRLE: a pass, guest writes, more passes, END;
 * dst loads it and must equal src. Returns the XBZRLE pages used. */
static void test_ram_xbzrle_live(void)
{
    static PhysMemory src, dst;
    memory_init(&src);
    memory_init(&dst);
    CU_ASSERT_PTR_NOT_NULL_FATAL(memory_add_ram(&src, "ram", RAM_BASE, RAM_PAGES * PG));
    CU_ASSERT_PTR_NOT_NULL_FATAL(memory_add_ram(&dst, "ram", RAM_BASE, RAM_PAGES * PG));
    for (int p = 0; p < RAM_PAGES; p++) {
        memset(src.ram->host + p * PG, p + 1, PG);
    }
    sv_reset();
    CU_ASSERT_EQUAL_FATAL(ram_register(sv, &src, NULL), 0);
    ram_set_iterate_max_pages(sv, 16);
    ram_set_xbzrle(sv, 16 * PG);
    ChannelBuffer b = { 0 };
    QEMUFile *f = qemu_file_buffer_writer(&b);
    Error err;
    error_init(&err);
    CU_ASSERT_EQUAL_FATAL(savevm_save_begin(sv, f, &err), 0);
    savevm_save_sync(sv);
    int pr;
    while ((pr = savevm_save_iterate(sv, f, &err)) == 0) {
    }
    CU_ASSERT_EQUAL_FATAL(pr, 1);
    /* The guest writes a byte per page through the memory API: dirty. */
    for (int round = 0; round < 3; round++) {
        for (int p = 0; p < RAM_PAGES; p += 3) {
            uint64_t v = (uint64_t)(round * 7 + p);
            CU_ASSERT_TRUE(memory_write(&src, RAM_BASE + (uint64_t)p * PG + 100, 1, v));
        }
        savevm_save_sync(sv);
        while ((pr = savevm_save_iterate(sv, f, &err)) == 0) {
        }
        CU_ASSERT_EQUAL_FATAL(pr, 1);
    }
    memset(src.ram->host + 5 * PG, 0, PG);          /* becomes a zero page */
    memory_mark_dirty(&src, RAM_BASE + 5 * PG, PG);
    CU_ASSERT_EQUAL_FATAL(savevm_save_complete(sv, f, &err), 0);
    CU_ASSERT_EQUAL(qemu_file_close(f, &err), 0);
    RamStats st;
    ram_stats_get(sv, &st);
    CU_ASSERT(st.xbzrle_pages > 0);
    CU_ASSERT(st.xbzrle_bytes < st.xbzrle_pages * 64);

    sv_reset();
    CU_ASSERT_EQUAL_FATAL(ram_register(sv, &dst, NULL), 0);
    QEMUFile *r = qemu_file_buffer_reader(b.data, b.len);
    int ret = savevm_load(sv, r, &err);
    CU_ASSERT_EQUAL(ret, 0);
    if (ret) {
        fprintf(stderr, "load: %s\n", err.msg);
    }
    qemu_file_close(r, NULL);
    CU_ASSERT_EQUAL(memcmp(src.ram->host, dst.ram->host, RAM_PAGES * PG), 0);
    sv_reset();
    channel_buffer_free(&b);
    memory_destroy(&src);
    memory_destroy(&dst);
}

static void test_options(void)
{
    Migration *mig = mig_new();
    const MigrationParams *params = migration_params(mig);
    Error err;
    error_init(&err);
    CU_ASSERT_EQUAL(migration_set_parameter(mig, "downtime-limit", "2000001", &err), -EINVAL);
    CU_ASSERT_STRING_EQUAL(err.msg,
                           "Option downtime_limit expects an integer in the range of 0 to "
                           "2000000 ms");
    error_init(&err);
    CU_ASSERT_EQUAL(migration_set_parameter(mig, "max-bandwidth", "32", &err), 0);
    CU_ASSERT_EQUAL(params->max_bandwidth, 32ll << 20);
    CU_ASSERT_EQUAL(migration_set_parameter(mig, "max-bandwidth", "100K", &err), 0);
    CU_ASSERT_EQUAL(params->max_bandwidth, 100ll << 10);
    CU_ASSERT_EQUAL(migration_set_parameter(mig, "xbzrle-cache-size", "3000B", &err), -EINVAL);
    error_init(&err);
    CU_ASSERT_EQUAL(migration_set_parameter(mig, "nonsense", "1", &err), -EINVAL);
    CU_ASSERT_STRING_EQUAL(err.msg, "invalid parameter value: nonsense");
    error_init(&err);
    CU_ASSERT_EQUAL(migration_set_capability(mig, "auto-converge", true, &err), 0);
    CU_ASSERT_TRUE(migrate_cap(mig, MIGRATION_CAP_AUTO_CONVERGE));
    CU_ASSERT_EQUAL(migration_set_capability(mig, "multifd", true, &err), -ENOTSUP);
    CU_ASSERT_EQUAL(migration_set_capability(mig, "multifd", false, &err), 0);
    migration_options_reset(mig);
    CU_ASSERT_FALSE(migrate_cap(mig, MIGRATION_CAP_AUTO_CONVERGE));
    CU_ASSERT_EQUAL(params->downtime_limit, 300);
    CU_ASSERT_EQUAL(params->cpu_throttle_initial, 20);
    CU_ASSERT_EQUAL(params->cpu_throttle_increment, 10);
    migration_free(mig);
}

/* The return path: on by default, settable, QEMU's SHUT layout, only on
 * sockets, and anything but a SHUT is refused. */
static void test_return_path(void)
{
    Migration *mig = mig_new();
    CU_ASSERT_TRUE(migrate_cap(mig, MIGRATION_CAP_RETURN_PATH));
    Error err;
    error_init(&err);
    CU_ASSERT_EQUAL(migration_set_capability(mig, "return-path", false, &err), 0);
    CU_ASSERT_FALSE(migrate_cap(mig, MIGRATION_CAP_RETURN_PATH));
    CU_ASSERT_FALSE(migration_rp_usable(mig, -1));
    migration_options_reset(mig);
    uint8_t msg[MIG_RP_SHUT_LEN];
    migration_rp_encode_shut(msg, 1);
    static const uint8_t want[MIG_RP_SHUT_LEN] = { 0, 1, 0, 4, 0, 0, 0, 1 };
    CU_ASSERT_EQUAL(memcmp(msg, want, sizeof(want)), 0);
    uint32_t st = 7;
    CU_ASSERT_EQUAL(migration_rp_parse(msg, 3, &st, &err), 0);
    CU_ASSERT_EQUAL(migration_rp_parse(msg, 6, &st, &err), 0);
    CU_ASSERT_EQUAL(migration_rp_parse(msg, 8, &st, &err), 1);
    CU_ASSERT_EQUAL(st, 1);
    msg[1] = 2;                  /* PONG: not expected here */
    CU_ASSERT_EQUAL(migration_rp_parse(msg, 8, &st, &err), -EINVAL);
    CU_ASSERT_TRUE(err.set);
    int sv[2], p[2];
    CU_ASSERT_FATAL(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0 && pipe(p) == 0);
    CU_ASSERT_TRUE(migration_rp_usable(mig, sv[0]));
    CU_ASSERT_FALSE(migration_rp_usable(mig, p[1]));
    CU_ASSERT_EQUAL(migration_rp_send_shut(sv[0], 0), 0);
    uint8_t got[MIG_RP_SHUT_LEN];
    CU_ASSERT_EQUAL(read(sv[1], got, sizeof(got)), (ssize_t)sizeof(got));
    CU_ASSERT_EQUAL(migration_rp_parse(got, sizeof(got), &st, &err), 1);
    CU_ASSERT_EQUAL(st, 0);
    close(sv[0]);
    close(sv[1]);
    close(p[0]);
    close(p[1]);
    migration_free(mig);
}

static int check_blockers(void *opaque, Error *err)
{
    return migration_check_blockers(opaque, err);
}

static void test_blockers(void)
{
    Error err;
    error_init(&err);
    Migration *mig = mig_new();
    savevm_set_blocker_check(sv, check_blockers, mig);   /* as machine_migration_attach does */
    int id = migrate_add_blocker(mig, "serial0", "bound to a host terminal");
    CU_ASSERT_FATAL(id >= 0);
    CU_ASSERT_EQUAL(savevm_check_blocked(sv, &err), -EPERM);
    CU_ASSERT_STRING_EQUAL(err.msg, "serial0: bound to a host terminal");
    migrate_del_blocker(mig, id);
    error_init(&err);
    CU_ASSERT_EQUAL(savevm_check_blocked(sv, &err), 0);
    savevm_set_blocker_check(sv, NULL, NULL);
    migration_free(mig);
}

static int inactive_count;
static int hook_inactivate(void *opaque, Error *err)
{
    inactive_count++;
    return 0;
}
static int hook_activate(void *opaque, Error *err)
{
    inactive_count--;
    return 0;
}

static void test_block_hooks(void)
{
    int tag;
    Migration *mig = mig_new();
    MigrationBlockHooks h = { hook_inactivate, hook_activate, &tag };
    migration_add_block_hooks(mig, &h);
    CU_ASSERT_EQUAL(migration_block_activate_all(mig, NULL), 0);   /* not inactive: no-op */
    CU_ASSERT_EQUAL(inactive_count, 0);
    CU_ASSERT_EQUAL(migration_block_inactivate_all(mig, NULL), 0);
    CU_ASSERT_EQUAL(inactive_count, 1);
    CU_ASSERT_EQUAL(migration_block_activate_all(mig, NULL), 0);
    CU_ASSERT_EQUAL(inactive_count, 0);
    migration_remove_block_hooks(mig, &tag);
    migration_free(mig);
}

static void test_throttle(void)
{
    Migration *mig = mig_new();
    migration_throttle_set(mig, 50);
    CU_ASSERT_EQUAL(migration_throttle_percent(mig), 50);
    CU_ASSERT_EQUAL(migration_throttle_wait_ns(mig), 0);      /* a run share just began */
    uint64_t t0 = clock_host_ns();
    while (clock_host_ns() - t0 < 11000000) {
    }
    /* At 50 % the vCPU sleeps as long as it ran. */
    uint64_t nap = migration_throttle_wait_ns(mig);
    CU_ASSERT(nap >= 10000000);
    migration_throttle_set(mig, 0);
    CU_ASSERT_EQUAL(migration_throttle_wait_ns(mig), 0);
    migration_free(mig);
}

static const UnitTest tests[] = {
    { "xbzrle vector", test_xbzrle_vector },
    { "xbzrle round trip", test_xbzrle_round_trip },
    { "xbzrle overflow and bad input", test_xbzrle_overflow_and_bad_input },
    { "ram live save with xbzrle", test_ram_xbzrle_live },
    { "capabilities and parameters", test_options },
    { "return path message and capability", test_return_path },
    { "blockers refuse savevm", test_blockers },
    { "disk activation hooks", test_block_hooks },
    { "throttle sleep share", test_throttle },
    { NULL, NULL },
};

int main(void)
{
    return unit_run("migration", tests);
}
