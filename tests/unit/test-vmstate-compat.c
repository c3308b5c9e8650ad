/* Compatibility of whole streams between builds whose description of a
 * device differs (issue item 5), with QEMU's rules and messages:
 *   - a newer section version is refused by an older reader;
 *   - an older version loads into a newer reader down to its minimum;
 *   - a needed subsection the reader lacks is refused, an unneeded one is
 *     simply not sent, so the older reader loads the stream;
 *   - a subsection version too new is refused, naming both versions;
 *   - after any refusal, every device is as it was before the load. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "io/channel.h"
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

typedef struct Dev {
    uint32_t ctrl;
    uint32_t fifo_level;         /* version 2 */
    uint8_t extra;               /* subsection "dev/extra" */
    bool extra_needed;
} Dev;

typedef struct Other {
    uint64_t value;
} Other;

static bool dev_extra_needed(void *opaque)
{
    return ((Dev *)opaque)->extra_needed;
}

static const VMStateDescription vmstate_dev_extra_v1 = {
    .name = "dev/extra",
    .version_id = 1,
    .minimum_version_id = 1,
    .needed = dev_extra_needed,
    .fields = (const VMStateField[]) {
        VMSTATE_UINT8(extra, Dev),
        VMSTATE_END_OF_LIST()
    },
};

static const VMStateDescription vmstate_dev_extra_v2 = {
    .name = "dev/extra",
    .version_id = 2,
    .minimum_version_id = 1,
    .needed = dev_extra_needed,
    .fields = (const VMStateField[]) {
        VMSTATE_UINT8(extra, Dev),
        VMSTATE_END_OF_LIST()
    },
};

/* The older build: version 1, no subsection. */
static const VMStateDescription vmstate_dev_old = {
    .name = "dev",
    .version_id = 1,
    .minimum_version_id = 1,
    .fields = (const VMStateField[]) {
        VMSTATE_UINT32(ctrl, Dev),
        VMSTATE_END_OF_LIST()
    },
};

/* Same version, but a subsection was added. */
static const VMStateDescription vmstate_dev_sub = {
    .name = "dev",
    .version_id = 1,
    .minimum_version_id = 1,
    .fields = (const VMStateField[]) {
        VMSTATE_UINT32(ctrl, Dev),
        VMSTATE_END_OF_LIST()
    },
    .subsections = (const VMStateDescription *const[]) { &vmstate_dev_extra_v1, NULL },
};

/* The same subsection at a newer version. */
static const VMStateDescription vmstate_dev_sub2 = {
    .name = "dev",
    .version_id = 1,
    .minimum_version_id = 1,
    .fields = (const VMStateField[]) {
        VMSTATE_UINT32(ctrl, Dev),
        VMSTATE_END_OF_LIST()
    },
    .subsections = (const VMStateDescription *const[]) { &vmstate_dev_extra_v2, NULL },
};

/* The newer build: version 2 adds a field, still reads version 1. */
static const VMStateDescription vmstate_dev_new = {
    .name = "dev",
    .version_id = 2,
    .minimum_version_id = 1,
    .fields = (const VMStateField[]) {
        VMSTATE_UINT32(ctrl, Dev),
        VMSTATE_UINT32_V(fifo_level, Dev, 2),
        VMSTATE_END_OF_LIST()
    },
    .subsections = (const VMStateDescription *const[]) { &vmstate_dev_extra_v1, NULL },
};

/* A build that dropped support for version 1. */
static const VMStateDescription vmstate_dev_min2 = {
    .name = "dev",
    .version_id = 3,
    .minimum_version_id = 2,
    .fields = (const VMStateField[]) {
        VMSTATE_UINT32(ctrl, Dev),
        VMSTATE_UINT32_V(fifo_level, Dev, 2),
        VMSTATE_END_OF_LIST()
    },
};

static const VMStateDescription vmstate_other = {
    .name = "other",
    .version_id = 1,
    .minimum_version_id = 1,
    .fields = (const VMStateField[]) {
        VMSTATE_UINT64(value, Other),
        VMSTATE_END_OF_LIST()
    },
};

static Dev dev;
static Other other;

/* "other" is registered first so a refusal in "dev" comes after it was
 * loaded: the rollback must undo it. */
static void build(const VMStateDescription *dev_vmsd)
{
    sv_reset();
    CU_ASSERT_EQUAL_FATAL(savevm_register(sv, "other", 0, &vmstate_other, &other), 0);
    CU_ASSERT_EQUAL_FATAL(savevm_register(sv, "dev", 0, dev_vmsd, &dev), 0);
}

static void save_with(const VMStateDescription *vmsd, ChannelBuffer *b)
{
    build(vmsd);
    memset(b, 0, sizeof(*b));
    QEMUFile *f = qemu_file_buffer_writer(b);
    Error err;
    error_init(&err);
    int ret = savevm_save(sv, f, &err);
    if (ret < 0) {
        printf("save: %s\n", err.msg);
    }
    CU_ASSERT_EQUAL_FATAL(ret, 0);
    CU_ASSERT_EQUAL_FATAL(qemu_file_close(f, NULL), 0);
}

static int load_with(const VMStateDescription *vmsd, const ChannelBuffer *b, Error *err)
{
    build(vmsd);
    QEMUFile *f = qemu_file_buffer_reader(b->data, b->len);
    int ret = savevm_load(sv, f, err);
    qemu_file_close(f, NULL);
    return ret;
}

static void set_source(bool extra_needed)
{
    dev = (Dev){ .ctrl = 0x11, .fifo_level = 7, .extra = 0x42, .extra_needed = extra_needed };
    other = (Other){ .value = 0xabcdef };
}

static void set_destination(void)
{
    dev = (Dev){ .ctrl = 0xdead, .fifo_level = 99, .extra = 1 };
    other = (Other){ .value = 5 };
}

static void expect_untouched(void)
{
    CU_ASSERT_EQUAL(dev.ctrl, 0xdead);
    CU_ASSERT_EQUAL(dev.fifo_level, 99);
    CU_ASSERT_EQUAL(dev.extra, 1);
    CU_ASSERT_EQUAL(other.value, 5);
}

static void expect_error(const char *got, const char *want)
{
    if (!strstr(got, want)) {
        printf("got:  %s\nwant: %s\n", got, want);
        CU_FAIL("unexpected message");
    }
}

static void test_newer_version_refused(void)
{
    ChannelBuffer b;
    set_source(false);
    save_with(&vmstate_dev_new, &b);
    set_destination();
    Error err;
    error_init(&err);
    CU_ASSERT_EQUAL(load_with(&vmstate_dev_old, &b, &err), -EINVAL);
    expect_error(err.msg, "unsupported version 2 for 'dev' v1");
    expect_untouched();
    channel_buffer_free(&b);
}

static void test_older_version_loads(void)
{
    ChannelBuffer b;
    set_source(false);
    save_with(&vmstate_dev_old, &b);
    set_destination();
    Error err;
    error_init(&err);
    CU_ASSERT_EQUAL(load_with(&vmstate_dev_new, &b, &err), 0);
    CU_ASSERT_EQUAL(dev.ctrl, 0x11);
    CU_ASSERT_EQUAL(dev.fifo_level, 99);      /* not in version 1: local value kept */
    CU_ASSERT_EQUAL(dev.extra, 1);            /* subsection absent: local value kept */
    CU_ASSERT_EQUAL(other.value, 0xabcdef);

    set_destination();
    error_init(&err);
    CU_ASSERT_EQUAL(load_with(&vmstate_dev_min2, &b, &err), -EINVAL);
    expect_error(err.msg, "error while loading state for instance 0x0 of device 'dev': "
                          "dev: incoming version_id 1 is too old for local minimum version_id 2");
    expect_untouched();
    channel_buffer_free(&b);
}

static void test_needed_subsection_refused(void)
{
    ChannelBuffer b;
    set_source(true);
    save_with(&vmstate_dev_sub, &b);
    set_destination();
    Error err;
    error_init(&err);
    CU_ASSERT_EQUAL(load_with(&vmstate_dev_old, &b, &err), -ENOENT);
    expect_error(err.msg, "error while loading state for instance 0x0 of device 'dev': "
                          "VM subsection 'dev/extra' in 'dev' does not exist");
    expect_untouched();
    /* The build that knows it loads it. */
    set_destination();
    CU_ASSERT_EQUAL(load_with(&vmstate_dev_sub, &b, NULL), 0);
    CU_ASSERT_EQUAL(dev.extra, 0x42);
    channel_buffer_free(&b);
}

static void test_unneeded_subsection_loads(void)
{
    ChannelBuffer b;
    set_source(false);
    save_with(&vmstate_dev_sub, &b);
    set_destination();
    Error err;
    error_init(&err);
    CU_ASSERT_EQUAL(load_with(&vmstate_dev_old, &b, &err), 0);
    CU_ASSERT_EQUAL(dev.ctrl, 0x11);
    CU_ASSERT_EQUAL(other.value, 0xabcdef);
    channel_buffer_free(&b);
}

static void test_subsection_version_skew(void)
{
    ChannelBuffer b;
    set_source(true);
    save_with(&vmstate_dev_sub2, &b);
    set_destination();
    Error err;
    error_init(&err);
    CU_ASSERT_EQUAL(load_with(&vmstate_dev_sub, &b, &err), -EINVAL);
    expect_error(err.msg, "Loading VM subsection 'dev/extra' in 'dev' failed: -22: dev/extra: "
                          "incoming version_id 2 is too new for local version_id 1");
    expect_untouched();
    channel_buffer_free(&b);
    /* Older subsection version into the newer reader: accepted. */
    set_source(true);
    save_with(&vmstate_dev_sub, &b);
    set_destination();
    CU_ASSERT_EQUAL(load_with(&vmstate_dev_sub2, &b, NULL), 0);
    CU_ASSERT_EQUAL(dev.extra, 0x42);
    channel_buffer_free(&b);
}

static const UnitTest tests[] = {
    { "newer section version refused by older reader", test_newer_version_refused },
    { "older version loads; below minimum refused", test_older_version_loads },
    { "needed subsection unknown to reader refused", test_needed_subsection_refused },
    { "unneeded subsection: older reader loads", test_unneeded_subsection_loads },
    { "subsection version skew both ways", test_subsection_version_skew },
    { NULL, NULL },
};

int main(void)
{
    int ret = unit_run("vmstate-compat", tests);
    savevm_state_free(sv);
    return ret;
}
