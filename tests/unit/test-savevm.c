/* Whole streams: two fake devices + RAM on a small PhysMemory. Round trip,
 * live iteration, every truncation point, bit flips, header and section
 * errors, rollback of device state, and the JSON vmdesc. */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emu/memory.h"
#include "emu/runstate.h"
#include "io/channel.h"
#include "migration/globalstate.h"
#include "migration/ram.h"
#include "savevm/savevm.h"
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

#define RAM_BASE 0x80000000ull
#define RAM_SIZE (16 * PAGE_SIZE)

typedef struct Timer {
    uint64_t deadline;
    uint32_t ctrl;
    uint8_t pending;
    uint8_t armed;               /* in a subsection, needed when set */
} Timer;

static bool timer_armed_needed(void *opaque)
{
    return ((Timer *)opaque)->armed != 0;
}

static const VMStateDescription vmstate_timer_armed = {
    .name = "timer/armed",
    .version_id = 1,
    .minimum_version_id = 1,
    .needed = timer_armed_needed,
    .fields = (const VMStateField[]) {
        VMSTATE_UINT8(armed, Timer),
        VMSTATE_END_OF_LIST()
    },
};

static const VMStateDescription vmstate_timer = {
    .name = "timer",
    .version_id = 2,
    .minimum_version_id = 1,
    .fields = (const VMStateField[]) {
        VMSTATE_UINT64(deadline, Timer),
        VMSTATE_UINT32_V(ctrl, Timer, 2),
        VMSTATE_UINT8(pending, Timer),
        VMSTATE_END_OF_LIST()
    },
    .subsections = (const VMStateDescription *const[]) { &vmstate_timer_armed, NULL },
};

typedef struct Pic {
    uint32_t prio[4];
    uint32_t nr_active;
    uint16_t active[8];
} Pic;

static int pic_post_load(void *opaque, int version_id, Error *err)
{
    Pic *p = opaque;
    for (int i = 0; i < 4; i++) {
        if (p->prio[i] > 7) {
            error_setf(err, "field 'prio[%d]' value %u exceeds 7", i, p->prio[i]);
            return -EINVAL;
        }
    }
    return 0;
}

static const VMStateDescription vmstate_pic = {
    .name = "pic",
    .version_id = 1,
    .minimum_version_id = 1,
    .post_load = pic_post_load,
    .fields = (const VMStateField[]) {
        VMSTATE_UINT32_ARRAY(prio, Pic, 4),
        VMSTATE_UINT32(nr_active, Pic),
        VMSTATE_VARRAY_UINT32(active, Pic, nr_active, 0, vmstate_info_uint16, uint16_t),
        VMSTATE_END_OF_LIST()
    },
};

static PhysMemory mem;
static Timer timer;
static Pic pic;
static VMRunState run;           /* the run state globalstate sends */

static const Timer timer_init = { 0x123456789abcdefull, 0xc0ffee, 1, 1 };
static const Pic pic_init = { { 1, 2, 3, 7 }, 3, { 10, 20, 30 } };

static void fill_ram(void)
{
    memset(mem.ram->host, 0, RAM_SIZE);
    for (int p = 0; p < 16; p += 3) {          /* some pages data, most zero */
        for (size_t i = 0; i < PAGE_SIZE; i++) {
            mem.ram->host[p * PAGE_SIZE + i] = (uint8_t)(p * 31 + i);
        }
    }
}

static void setup(void)
{
    sv_reset();
    memory_init(&mem);
    CU_ASSERT_PTR_NOT_NULL_FATAL(memory_add_ram(&mem, "ram", RAM_BASE, RAM_SIZE));
    timer = timer_init;
    pic = pic_init;
    fill_ram();
    savevm_set_machine_type(sv, "virt");
    CU_ASSERT_EQUAL(savevm_register(sv, "timer", 0, &vmstate_timer, &timer), 0);
    CU_ASSERT_EQUAL(savevm_register(sv, "pic", VMSTATE_INSTANCE_ID_ANY, &vmstate_pic, &pic), 0);
    CU_ASSERT_EQUAL(ram_register(sv, &mem, NULL), 0);
    CU_ASSERT_EQUAL(globalstate_register(sv, &run), 0);
}

static void teardown(void)
{
    sv_reset();
    memory_destroy(&mem);
}

static void scramble(void)
{
    memset(&timer, 0xaa, sizeof(timer));
    timer.armed = 0;
    memset(&pic, 0, sizeof(pic));
    memset(mem.ram->host, 0x55, RAM_SIZE);
}

static ChannelBuffer save_stream(void)
{
    ChannelBuffer b = { 0 };
    QEMUFile *f = qemu_file_buffer_writer(&b);
    Error err;
    error_init(&err);
    CU_ASSERT_EQUAL(savevm_save(sv, f, &err), 0);
    CU_ASSERT_EQUAL(qemu_file_close(f, NULL), 0);
    if (err.set) {
        printf("save: %s\n", err.msg);
    }
    return b;
}

static int load_stream(const uint8_t *data, size_t len, Error *err)
{
    QEMUFile *f = qemu_file_buffer_reader(data, len);
    int ret = savevm_load(sv, f, err);
    qemu_file_close(f, NULL);
    return ret;
}

static bool state_is_initial(void)
{
    uint8_t *saved = malloc(RAM_SIZE);
    memcpy(saved, mem.ram->host, RAM_SIZE);
    fill_ram();
    bool ram_ok = memcmp(saved, mem.ram->host, RAM_SIZE) == 0;
    free(saved);
    return ram_ok && timer.deadline == timer_init.deadline && timer.ctrl == timer_init.ctrl &&
           timer.pending == timer_init.pending && timer.armed == timer_init.armed &&
           memcmp(&pic, &pic_init, sizeof(pic)) == 0;
}

static void test_round_trip(void)
{
    setup();
    /* As savevm: the state before stopping is stored, the save runs in
     * save-vm and sends the stored one. */
    RunState prev = runstate_get(&run);
    globalstate_store_state(sv, RUN_STATE_PAUSED);
    runstate_set(&run, RUN_STATE_SAVE_VM);
    ChannelBuffer b = save_stream();
    runstate_set(&run, prev);
    /* Header, configuration, then the RAM START section. */
    static const uint8_t head[] = { 'Q', 'E', 'V', 'M', 0, 0, 0, 3, 7, 0, 0, 0, 4, 'v', 'i',
                                    'r', 't', 1 };
    CU_ASSERT_EQUAL(memcmp(b.data, head, sizeof(head)), 0);
    scramble();
    Error err;
    error_init(&err);
    CU_ASSERT_EQUAL(load_stream(b.data, b.len, &err), 0);
    if (err.set) {
        printf("load: %s\n", err.msg);
    }
    CU_ASSERT_TRUE(state_is_initial());
    RunState rs;
    CU_ASSERT_TRUE(globalstate_received(sv, &rs));
    CU_ASSERT_EQUAL(rs, RUN_STATE_PAUSED);
    channel_buffer_free(&b);
    teardown();
}

static void test_live_iteration(void)
{
    setup();
    ChannelBuffer b = { 0 };
    QEMUFile *f = qemu_file_buffer_writer(&b);
    Error err;
    error_init(&err);
    CU_ASSERT_EQUAL(savevm_save_begin(sv, f, &err), 0);
    CU_ASSERT_EQUAL(savevm_save_pending(sv), RAM_SIZE);
    /* Before a sync the pass is empty: nothing goes out. */
    CU_ASSERT_EQUAL(savevm_save_iterate(sv, f, &err), 1);
    CU_ASSERT_EQUAL(savevm_save_pending(sv), RAM_SIZE);
    savevm_save_sync(sv);
    CU_ASSERT_EQUAL(savevm_save_pending(sv), RAM_SIZE);
    CU_ASSERT_EQUAL(savevm_save_iterate(sv, f, &err), 1);
    CU_ASSERT_EQUAL(savevm_save_pending(sv), 0);
    /* The guest writes while the first pass is out: resent by the END. */
    uint8_t v = 0x77;
    CU_ASSERT_TRUE(memory_rw(&mem, RAM_BASE + 5 * PAGE_SIZE + 9, &v, 1, true, false));
    CU_ASSERT_EQUAL(savevm_save_pending(sv), PAGE_SIZE);
    CU_ASSERT_EQUAL(savevm_save_complete(sv, f, &err), 0);
    CU_ASSERT_FALSE(mem.dirty_log);
    CU_ASSERT_EQUAL(qemu_file_close(f, NULL), 0);
    scramble();
    CU_ASSERT_EQUAL(load_stream(b.data, b.len, &err), 0);
    CU_ASSERT_EQUAL(mem.ram->host[5 * PAGE_SIZE + 9], 0x77);
    mem.ram->host[5 * PAGE_SIZE + 9] = 0;
    CU_ASSERT_TRUE(state_is_initial());
    channel_buffer_free(&b);
    teardown();
}

/* Locates the vmdesc as analyze-migration.py does. */
static json_t *find_vmdesc(const ChannelBuffer *b)
{
    size_t nul = 0;
    for (size_t i = 0; i < b->len; i++) {
        if (b->data[i] == 0) {
            nul = i;
        }
    }
    size_t pos = nul;
    while (pos < b->len && b->data[pos] != '{') {
        pos++;
    }
    if (pos >= b->len || pos < 5 || b->data[pos - 5] != QEMU_VM_VMDESCRIPTION) {
        return NULL;
    }
    const uint8_t *l = b->data + pos - 4;
    size_t len = (size_t)l[0] << 24 | l[1] << 16 | l[2] << 8 | l[3];
    if (pos + len != b->len) {
        return NULL;
    }
    return json_loadb((const char *)b->data + pos, len, 0, NULL);
}

static void test_vmdesc(void)
{
    setup();
    ChannelBuffer b = save_stream();
    json_t *root = find_vmdesc(&b);
    CU_ASSERT_PTR_NOT_NULL_FATAL(root);
    CU_ASSERT_EQUAL(json_integer_value(json_object_get(root, "page_size")), 4096);
    json_t *conf = json_object_get(root, "configuration");
    CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(conf, "vmsd_name")),
                           "configuration");
    json_t *devs = json_object_get(root, "devices");
    CU_ASSERT_EQUAL_FATAL(json_array_size(devs), 3);   /* timer, pic, globalstate; no ram */
    const char *names[] = { "timer", "pic", "globalstate" };
    for (size_t i = 0; i < 3; i++) {
        json_t *d = json_array_get(devs, i);
        CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(d, "name")), names[i]);
        CU_ASSERT_EQUAL(json_integer_value(json_object_get(d, "instance_id")), 0);
        CU_ASSERT_TRUE(json_is_array(json_object_get(d, "fields")));
    }
    json_t *t = json_array_get(devs, 0);
    CU_ASSERT_EQUAL(json_integer_value(json_object_get(t, "version")), 2);
    json_t *tf = json_object_get(t, "fields");
    CU_ASSERT_EQUAL(json_array_size(tf), 3);
    CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(json_array_get(tf, 1), "type")),
                           "uint32");
    json_t *subs = json_object_get(t, "subsections");
    CU_ASSERT_EQUAL(json_array_size(subs), 1);
    CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(json_array_get(subs, 0),
                                                             "vmsd_name")), "timer/armed");
    json_t *pf = json_object_get(json_array_get(devs, 1), "fields");
    json_t *active = json_array_get(pf, 2);
    CU_ASSERT_EQUAL(json_integer_value(json_object_get(active, "array_len")), 3);
    CU_ASSERT_EQUAL(json_integer_value(json_object_get(active, "size")), 2);
    json_t *gf = json_object_get(json_array_get(devs, 2), "fields");
    CU_ASSERT_EQUAL(json_integer_value(json_object_get(json_array_get(gf, 1), "size")), 32);
    json_decref(root);
    channel_buffer_free(&b);

    /* Not needed: no subsection on the wire or in the description. */
    timer.armed = 0;
    b = save_stream();
    root = find_vmdesc(&b);
    CU_ASSERT_PTR_NOT_NULL_FATAL(root);
    CU_ASSERT_PTR_NULL(json_object_get(json_array_get(json_object_get(root, "devices"), 0),
                                       "subsections"));
    json_decref(root);
    channel_buffer_free(&b);
    teardown();
}

static void test_every_truncation(void)
{
    setup();
    ChannelBuffer b = save_stream();
    /* Where EOF ends: the vmdesc after it is optional, so that cut loads. */
    size_t eof_end = 0;
    for (size_t i = b.len; i-- > 5;) {
        if (b.data[i] == QEMU_VM_VMDESCRIPTION && b.data[i - 1] == QEMU_VM_EOF) {
            eof_end = i;
            break;
        }
    }
    int bad = 0;
    for (size_t len = 0; len < b.len; len++) {
        scramble();
        Error err;
        error_init(&err);
        int ret = load_stream(b.data, len, &err);
        if (len == eof_end) {
            CU_ASSERT_EQUAL(ret, 0);
            continue;
        }
        if (ret == 0 || !strstr(err.msg, "truncated")) {
            if (bad++ < 3) {
                printf("len %zu: ret %d '%s'\n", len, ret, err.msg);
            }
        }
        /* Device state was put back. */
        if (timer.pending == 1 || pic.nr_active != 0) {
            bad++;
        }
    }
    CU_ASSERT_EQUAL(bad, 0);
    Error err;
    error_init(&err);
    load_stream(b.data, 40, &err);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "stream truncated at offset 40 while reading "
                                           "section 'ram'"));
    channel_buffer_free(&b);
    teardown();
}

static void test_bit_flips(void)
{
    setup();
    ChannelBuffer b = save_stream();
    uint8_t *copy = malloc(b.len);
    srand(12345);
    int ok = 0, failed = 0;
    for (int iter = 0; iter < 3000; iter++) {
        memcpy(copy, b.data, b.len);
        int flips = 1 + rand() % 3;
        for (int k = 0; k < flips; k++) {
            /* Most flips go into the header and device parts, not page data. */
            size_t pos = rand() % 2 ? (size_t)rand() % b.len : (size_t)rand() % 120;
            if (rand() % 4 == 0) {
                pos = b.len - 1 - (size_t)rand() % 1500;
            }
            copy[pos] ^= (uint8_t)(1u << (rand() % 8));
        }
        Error err;
        error_init(&err);
        int ret = load_stream(copy, b.len, &err);
        if (ret == 0) {
            ok++;
        } else {
            failed++;
            CU_ASSERT_TRUE(err.set && err.msg[0]);
        }
    }
    CU_ASSERT_TRUE(failed > 0);
    free(copy);
    channel_buffer_free(&b);
    teardown();
}

static void test_header_errors(void)
{
    setup();
    ChannelBuffer b = save_stream();
    Error err;

    b.data[0] = 'X';
    error_init(&err);
    CU_ASSERT_EQUAL(load_stream(b.data, b.len, &err), -EINVAL);
    CU_ASSERT_STRING_EQUAL(err.msg, "Not a migration stream, magic: 5845564d != 5145564d");
    b.data[0] = 'Q';

    b.data[7] = 4;
    error_init(&err);
    CU_ASSERT_TRUE(load_stream(b.data, b.len, &err) < 0);
    CU_ASSERT_STRING_EQUAL(err.msg, "Unsupported migration stream version, file version 4 != 3");
    b.data[7] = 3;

    savevm_set_machine_type(sv, "sifive_u");
    error_init(&err);
    CU_ASSERT_TRUE(load_stream(b.data, b.len, &err) < 0);
    CU_ASSERT_STRING_EQUAL(err.msg, "Machine type received is 'virt' and local is 'sifive_u'");
    savevm_set_machine_type(sv, "virt");

    /* The first section type byte follows the 4-byte name. */
    b.data[17] = 0x42;
    error_init(&err);
    CU_ASSERT_TRUE(load_stream(b.data, b.len, &err) < 0);
    CU_ASSERT_STRING_EQUAL(err.msg, "Unknown savevm section type 66 at offset 17");
    b.data[17] = QEMU_VM_SECTION_START;

    /* RAM START: header 17 bytes + payload 8 + 21 + 8 + 8 = footer at 17+62. */
    size_t footer = 17 + 17 + 45;
    CU_ASSERT_EQUAL_FATAL(b.data[footer], QEMU_VM_SECTION_FOOTER);
    b.data[footer] = 0x7f;
    error_init(&err);
    CU_ASSERT_TRUE(load_stream(b.data, b.len, &err) < 0);
    CU_ASSERT_STRING_EQUAL(err.msg, "Missing section footer for ram (offset 79 has byte 0x7f); "
                                    "Section footer error, section_id: 2");
    b.data[footer] = QEMU_VM_SECTION_FOOTER;
    b.data[footer + 4] ^= 1;
    error_init(&err);
    CU_ASSERT_TRUE(load_stream(b.data, b.len, &err) < 0);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "Mismatched section id in footer for ram - read 0x3 "
                                           "expected 0x2 (offset 79)"));
    b.data[footer + 4] ^= 1;
    CU_ASSERT_EQUAL(load_stream(b.data, b.len, NULL), 0);
    channel_buffer_free(&b);
    teardown();
}

static void test_section_errors(void)
{
    setup();
    ChannelBuffer b = save_stream();
    Error err;

    /* A device the loading machine lacks. */
    savevm_unregister(sv, "pic", 0);
    error_init(&err);
    CU_ASSERT_TRUE(load_stream(b.data, b.len, &err) < 0);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "Unknown section or instance 'pic' 0"));
    savevm_register(sv, "pic", 0, &vmstate_pic, &pic);

    /* A value post_load refuses: names the device, field and value, and the
     * devices loaded before it are rolled back. */
    pic.prio[2] = 9;
    channel_buffer_free(&b);
    b = save_stream();
    pic = pic_init;
    timer.pending = 3;
    error_init(&err);
    CU_ASSERT_TRUE(load_stream(b.data, b.len, &err) < 0);
    CU_ASSERT_STRING_EQUAL(err.msg, "error while loading state for instance 0x0 of device "
                                    "'pic': 'pic' refused the loaded state: field 'prio[2]' "
                                    "value 9 exceeds 7");
    CU_ASSERT_EQUAL(timer.pending, 3);
    CU_ASSERT_EQUAL(memcmp(&pic, &pic_init, sizeof(pic)), 0);
    CU_ASSERT_FALSE(globalstate_received(sv, NULL));
    channel_buffer_free(&b);
    teardown();
}

static void test_ram_mismatch(void)
{
    setup();
    ChannelBuffer b = save_stream();
    ram_unregister(sv);
    PhysMemory big;
    memory_init(&big);
    memory_add_ram(&big, "ram", RAM_BASE, 2 * RAM_SIZE);
    ram_register(sv, &big, NULL);
    Error err;
    error_init(&err);
    CU_ASSERT_TRUE(load_stream(b.data, b.len, &err) < 0);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "RAM size mismatch: stream has 65536, machine has "
                                           "131072"));
    ram_unregister(sv);
    ram_register(sv, &mem, "other.ram");
    error_init(&err);
    CU_ASSERT_TRUE(load_stream(b.data, b.len, &err) < 0);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "Unknown ramblock \"riscv_virt_board.ram\""));
    memory_destroy(&big);
    channel_buffer_free(&b);
    teardown();
}

static const VMStateDescription vmstate_blocker = {
    .name = "blocker",
    .version_id = 1,
    .unmigratable = true,
    .fields = (const VMStateField[]) { VMSTATE_END_OF_LIST() },
};

static void test_unmigratable_and_write_errors(void)
{
    setup();
    ChannelBuffer b = { .limit = 1000 };
    QEMUFile *f = qemu_file_buffer_writer(&b);
    Error err;
    error_init(&err);
    CU_ASSERT_EQUAL(savevm_save(sv, f, &err), -ENOSPC);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "No space"));
    CU_ASSERT_FALSE(mem.dirty_log);
    qemu_file_close(f, NULL);
    channel_buffer_free(&b);

    int dummy;
    savevm_register(sv, "blocker", 0, &vmstate_blocker, &dummy);
    f = qemu_file_buffer_writer(&b);
    error_init(&err);
    CU_ASSERT_TRUE(savevm_save(sv, f, &err) < 0);
    CU_ASSERT_STRING_EQUAL(err.msg, "State blocked by non-migratable device 'blocker'");
    qemu_file_close(f, NULL);
    channel_buffer_free(&b);
    teardown();
}

static const UnitTest tests[] = {
    { "round trip with RAM and globalstate", test_round_trip },
    { "live iteration resends dirtied pages", test_live_iteration },
    { "vmdesc parses and lists sections and fields", test_vmdesc },
    { "every truncation point is an error", test_every_truncation },
    { "random bit flips never crash", test_bit_flips },
    { "magic, version, machine type, section type, footers", test_header_errors },
    { "unknown section, post_load refusal and rollback", test_section_errors },
    { "RAM block size and name mismatch", test_ram_mismatch },
    { "unmigratable device, failing writes", test_unmigratable_and_write_errors },
    { NULL, NULL },
};

int main(void)
{
    return unit_run("savevm", tests);
}
