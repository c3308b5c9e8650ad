/* VMState tables: every field type round trip, exact wire bytes and vmdesc,
 * version skew both ways, subsections, VARRAY bounds, post_load refusal. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io/channel.h"
#include "savevm/vmstate.h"
#include "tests/unit/unit.h"

typedef struct Inner {
    uint16_t a;
    uint32_t b;
} Inner;

static const VMStateDescription vmstate_inner = {
    .name = "inner",
    .version_id = 1,
    .minimum_version_id = 1,
    .fields = (const VMStateField[]) {
        VMSTATE_UINT16(a, Inner),
        VMSTATE_UINT32(b, Inner),
        VMSTATE_END_OF_LIST()
    },
};

typedef struct All {
    uint8_t u8;
    uint16_t u16;
    uint32_t u32;
    uint64_t u64;
    int8_t i8;
    int16_t i16;
    int32_t i32;
    int64_t i64;
    bool flag;
    uint8_t a8[3];
    uint16_t a16[2];
    uint32_t a32[2];
    uint64_t a64[2];
    uint32_t count;
    uint32_t var[8];
    uint8_t buf[5];
    Inner in;
    Inner ins[3];
} All;

static const VMStateDescription vmstate_all = {
    .name = "all",
    .version_id = 1,
    .minimum_version_id = 1,
    .fields = (const VMStateField[]) {
        VMSTATE_UINT8(u8, All),
        VMSTATE_UINT16(u16, All),
        VMSTATE_UINT32(u32, All),
        VMSTATE_UINT64(u64, All),
        VMSTATE_INT8(i8, All),
        VMSTATE_INT16(i16, All),
        VMSTATE_INT32(i32, All),
        VMSTATE_INT64(i64, All),
        VMSTATE_BOOL(flag, All),
        VMSTATE_UINT8_ARRAY(a8, All, 3),
        VMSTATE_UINT16_ARRAY(a16, All, 2),
        VMSTATE_UINT32_ARRAY(a32, All, 2),
        VMSTATE_UINT64_ARRAY(a64, All, 2),
        VMSTATE_UINT32(count, All),
        VMSTATE_VARRAY_UINT32(var, All, count, 0, vmstate_info_uint32, uint32_t),
        VMSTATE_BUFFER(buf, All),
        VMSTATE_STRUCT(in, All, 1, vmstate_inner, Inner),
        VMSTATE_STRUCT_ARRAY(ins, All, 3, 1, vmstate_inner, Inner),
        VMSTATE_END_OF_LIST()
    },
};

/* Saves with desc (and its vmdesc into *json if given) into a buffer. */
static int save_to(ChannelBuffer *b, const VMStateDescription *vmsd, void *opaque, char **json,
                   Error *err)
{
    memset(b, 0, sizeof(*b));
    QEMUFile *f = qemu_file_buffer_writer(b);
    VMDescWriter w;
    vmdesc_init(&w);
    vmdesc_start_object(&w, NULL);
    int ret = vmstate_save(f, vmsd, opaque, json ? &w : NULL, err);
    vmdesc_end_object(&w);
    if (qemu_file_close(f, NULL) < 0 && ret == 0) {
        ret = -EIO;
    }
    if (json) {
        *json = strdup(w.buf);
    }
    vmdesc_free(&w);
    return ret;
}

static int load_from(const ChannelBuffer *b, const VMStateDescription *vmsd, void *opaque,
                     int version, Error *err)
{
    QEMUFile *f = qemu_file_buffer_reader(b->data, b->len);
    int ret = vmstate_load(f, vmsd, opaque, version, err);
    /* Everything must have been consumed. */
    if (ret == 0 && qemu_file_tell(f) != b->len) {
        ret = -E2BIG;
    }
    qemu_file_close(f, NULL);
    return ret;
}

static void test_all_types_round_trip(void)
{
    All s = {
        .u8 = 0x81, .u16 = 0x8182, .u32 = 0x81828384, .u64 = 0x8182838485868788ull,
        .i8 = -2, .i16 = -300, .i32 = -70000, .i64 = -5000000000ll, .flag = true,
        .a8 = { 1, 2, 3 }, .a16 = { 0xa1a2, 0xb1b2 }, .a32 = { 7, 8 }, .a64 = { 9, 10 },
        .count = 3, .var = { 11, 12, 13, 99, 99 }, .buf = "abcd",
        .in = { 0x1111, 0x22222222 }, .ins = { { 1, 2 }, { 3, 4 }, { 5, 6 } },
    };
    ChannelBuffer b;
    char *json;
    Error err;
    error_init(&err);
    CU_ASSERT_EQUAL_FATAL(save_to(&b, &vmstate_all, &s, &json, &err), 0);
    size_t expect = 1 + 2 + 4 + 8 + 1 + 2 + 4 + 8 + 1 + 3 + 4 + 8 + 16 + 4 + 3 * 4 + 5 + 6 + 18;
    CU_ASSERT_EQUAL(b.len, expect);
    CU_ASSERT_EQUAL(b.data[0], 0x81);
    CU_ASSERT_EQUAL(b.data[1], 0x81);
    CU_ASSERT_EQUAL(b.data[2], 0x82);            /* big-endian */
    All d;
    memset(&d, 0, sizeof(d));
    CU_ASSERT_EQUAL(load_from(&b, &vmstate_all, &d, 1, &err), 0);
    s.var[3] = s.var[4] = 0;                     /* beyond count: not saved */
    CU_ASSERT_EQUAL(memcmp(&s, &d, sizeof(s)), 0);
    /* The description: compressed arrays, struct, varray with its count. */
    CU_ASSERT_PTR_NOT_NULL(strstr(json, "{\"name\": \"a8\", \"array_len\": 3, \"type\": \"uint8\", "
                                        "\"size\": 1}"));
    CU_ASSERT_PTR_NOT_NULL(strstr(json, "{\"name\": \"var\", \"array_len\": 3, \"type\": "
                                        "\"uint32\", \"size\": 4}"));
    CU_ASSERT_PTR_NOT_NULL(strstr(json, "{\"name\": \"buf\", \"type\": \"buffer\", \"size\": 5}"));
    CU_ASSERT_PTR_NOT_NULL(strstr(json, "{\"name\": \"ins\", \"array_len\": 3, \"type\": "
                                        "\"struct\", \"struct\": {\"vmsd_name\": \"inner\", "
                                        "\"version\": 1, \"fields\": [{\"name\": \"a\", "
                                        "\"type\": \"uint16\", \"size\": 2}, {\"name\": \"b\", "
                                        "\"type\": \"uint32\", \"size\": 4}]}, \"size\": 6}"));
    CU_ASSERT_PTR_NOT_NULL(strstr(json, "{\"name\": \"flag\", \"type\": \"bool\", \"size\": 1}"));
    CU_ASSERT_PTR_NOT_NULL(strstr(json, "{\"name\": \"i64\", \"type\": \"int64\", \"size\": 8}"));
    free(json);

    /* A bool byte other than 0/1 is refused, naming the field. */
    b.data[30] = 7;
    error_init(&err);
    CU_ASSERT_EQUAL(load_from(&b, &vmstate_all, &d, 1, &err), -EINVAL);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "'all' field 'flag': invalid bool value 7"));
    channel_buffer_free(&b);
}

/* The example of ref-stream-format.md §2.4, byte for byte. */
typedef struct Dev0 {
    uint8_t regs[4];
    uint32_t ctrl;
    uint16_t x;
} Dev0;

static const VMStateDescription vmstate_dev0_sub = {
    .name = "dev0/sub",
    .version_id = 1,
    .minimum_version_id = 1,
    .fields = (const VMStateField[]) {
        VMSTATE_UINT16(x, Dev0),
        VMSTATE_END_OF_LIST()
    },
};

static const VMStateDescription vmstate_dev0 = {
    .name = "dev0",
    .version_id = 1,
    .minimum_version_id = 1,
    .fields = (const VMStateField[]) {
        VMSTATE_UINT8_ARRAY(regs, Dev0, 4),
        VMSTATE_UINT32(ctrl, Dev0),
        VMSTATE_END_OF_LIST()
    },
    .subsections = (const VMStateDescription *const[]) { &vmstate_dev0_sub, NULL },
};

static void test_wire_and_vmdesc_exact(void)
{
    Dev0 s = { { 1, 2, 3, 4 }, 7, 0xbeef };
    ChannelBuffer b;
    char *json;
    CU_ASSERT_EQUAL_FATAL(save_to(&b, &vmstate_dev0, &s, &json, NULL), 0);
    static const uint8_t wire[] = {
        1, 2, 3, 4, 0, 0, 0, 7, 0x05, 8, 'd', 'e', 'v', '0', '/', 's', 'u', 'b',
        0, 0, 0, 1, 0xbe, 0xef,
    };
    CU_ASSERT_EQUAL(b.len, sizeof(wire));
    CU_ASSERT_EQUAL(memcmp(b.data, wire, sizeof(wire)), 0);
    CU_ASSERT_STRING_EQUAL(json,
        "{\"vmsd_name\": \"dev0\", \"version\": 1, \"fields\": [{\"name\": \"regs\", "
        "\"array_len\": 4, \"type\": \"uint8\", \"size\": 1}, {\"name\": \"ctrl\", \"type\": "
        "\"uint32\", \"size\": 4}], \"subsections\": [{\"vmsd_name\": \"dev0/sub\", "
        "\"version\": 1, \"fields\": [{\"name\": \"x\", \"type\": \"uint16\", \"size\": 2}]}]}");
    free(json);
    channel_buffer_free(&b);
}

/* Version skew: "serial" v2 adds field 'fifo' (_V 2) and an optional
 * subsection; v1 is the older build. */
typedef struct Serial {
    uint8_t lcr;
    uint32_t fifo;
    uint8_t extra;
    bool extra_needed;
} Serial;

static bool serial_extra_needed(void *opaque)
{
    return ((Serial *)opaque)->extra_needed;
}

static const VMStateDescription vmstate_serial_extra = {
    .name = "serial/extra",
    .version_id = 1,
    .minimum_version_id = 1,
    .needed = serial_extra_needed,
    .fields = (const VMStateField[]) {
        VMSTATE_UINT8(extra, Serial),
        VMSTATE_END_OF_LIST()
    },
};

static const VMStateDescription vmstate_serial_v2 = {
    .name = "serial",
    .version_id = 2,
    .minimum_version_id = 1,
    .fields = (const VMStateField[]) {
        VMSTATE_UINT8(lcr, Serial),
        VMSTATE_UINT32_V(fifo, Serial, 2),
        VMSTATE_END_OF_LIST()
    },
    .subsections = (const VMStateDescription *const[]) { &vmstate_serial_extra, NULL },
};

static const VMStateDescription vmstate_serial_v1 = {
    .name = "serial",
    .version_id = 1,
    .minimum_version_id = 1,
    .fields = (const VMStateField[]) {
        VMSTATE_UINT8(lcr, Serial),
        VMSTATE_END_OF_LIST()
    },
};

static const VMStateDescription vmstate_serial_v3_min2 = {
    .name = "serial",
    .version_id = 3,
    .minimum_version_id = 2,
    .fields = (const VMStateField[]) {
        VMSTATE_UINT8(lcr, Serial),
        VMSTATE_UINT32_V(fifo, Serial, 2),
        VMSTATE_END_OF_LIST()
    },
};

static void test_version_skew(void)
{
    Serial s = { .lcr = 3, .fifo = 0x11223344, .extra = 9 };
    Serial d;
    ChannelBuffer b;
    Error err;

    /* Old stream (v1) into the new table: fifo keeps its local value. */
    CU_ASSERT_EQUAL_FATAL(save_to(&b, &vmstate_serial_v1, &s, NULL, NULL), 0);
    CU_ASSERT_EQUAL(b.len, 1);
    d = (Serial){ .fifo = 55 };
    error_init(&err);
    CU_ASSERT_EQUAL(load_from(&b, &vmstate_serial_v2, &d, 1, &err), 0);
    CU_ASSERT_EQUAL(d.lcr, 3);
    CU_ASSERT_EQUAL(d.fifo, 55);
    /* ... but not below the minimum version. */
    error_init(&err);
    CU_ASSERT_EQUAL(load_from(&b, &vmstate_serial_v3_min2, &d, 1, &err), -EINVAL);
    CU_ASSERT_STRING_EQUAL(err.msg, "serial: incoming version_id 1 is too old for local "
                                    "minimum version_id 2");
    channel_buffer_free(&b);

    /* New stream (v2) into the old table: refused by version. */
    CU_ASSERT_EQUAL_FATAL(save_to(&b, &vmstate_serial_v2, &s, NULL, NULL), 0);
    CU_ASSERT_EQUAL(b.len, 5);
    error_init(&err);
    CU_ASSERT_EQUAL(load_from(&b, &vmstate_serial_v1, &d, 2, &err), -EINVAL);
    CU_ASSERT_STRING_EQUAL(err.msg, "serial: incoming version_id 2 is too new for local "
                                    "version_id 1");
    d = (Serial){ 0 };
    CU_ASSERT_EQUAL(load_from(&b, &vmstate_serial_v2, &d, 2, NULL), 0);
    CU_ASSERT_EQUAL(d.fifo, 0x11223344);
    CU_ASSERT_EQUAL(d.extra, 0);
    channel_buffer_free(&b);
}

/* A table that kept its version but gained a subsection: an older reader
 * refuses the subsection when it is sent, and loads the stream when the
 * source decided it was not needed. */
static const VMStateDescription vmstate_serial_v1_sub = {
    .name = "serial",
    .version_id = 1,
    .minimum_version_id = 1,
    .fields = (const VMStateField[]) {
        VMSTATE_UINT8(lcr, Serial),
        VMSTATE_END_OF_LIST()
    },
    .subsections = (const VMStateDescription *const[]) { &vmstate_serial_extra, NULL },
};

static void test_subsection_skew(void)
{
    Serial s = { .lcr = 5, .extra = 42, .extra_needed = true };
    Serial d = { 0 };
    ChannelBuffer b;
    Error err;
    char *json;
    CU_ASSERT_EQUAL_FATAL(save_to(&b, &vmstate_serial_v1_sub, &s, &json, NULL), 0);
    CU_ASSERT_PTR_NOT_NULL(strstr(json, "\"subsections\": [{\"vmsd_name\": \"serial/extra\""));
    free(json);
    error_init(&err);
    CU_ASSERT_EQUAL(load_from(&b, &vmstate_serial_v1, &d, 1, &err), -ENOENT);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "VM subsection 'serial/extra' in 'serial' does not "
                                           "exist"));
    CU_ASSERT_EQUAL(load_from(&b, &vmstate_serial_v1_sub, &d, 1, NULL), 0);
    CU_ASSERT_EQUAL(d.extra, 42);
    channel_buffer_free(&b);

    s.extra_needed = false;
    CU_ASSERT_EQUAL_FATAL(save_to(&b, &vmstate_serial_v1_sub, &s, &json, NULL), 0);
    CU_ASSERT_PTR_NULL(strstr(json, "subsections"));
    free(json);
    d = (Serial){ 0 };
    CU_ASSERT_EQUAL(load_from(&b, &vmstate_serial_v1, &d, 1, NULL), 0);
    CU_ASSERT_EQUAL(d.lcr, 5);
    channel_buffer_free(&b);
}

static void test_varray_bounds(void)
{
    All s = { .count = 8 };
    ChannelBuffer b;
    Error err;
    error_init(&err);
    CU_ASSERT_EQUAL_FATAL(save_to(&b, &vmstate_all, &s, NULL, NULL), 0);
    /* count sits after 1+2+4+8+1+2+4+8+1+3+4+8+16 = 62 bytes. */
    b.data[62 + 3] = 9;
    All d;
    memset(&d, 0, sizeof(d));
    CU_ASSERT_EQUAL(load_from(&b, &vmstate_all, &d, 1, &err), -EINVAL);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "'all' field 'var': element count 9 exceeds the "
                                           "maximum 8"));
    b.data[62] = 0x80;
    error_init(&err);
    CU_ASSERT_EQUAL(load_from(&b, &vmstate_all, &d, 1, &err), -EINVAL);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "element count 2147483657"));
    channel_buffer_free(&b);

    /* A device that claims more than it holds cannot even be saved. */
    s.count = 100;
    error_init(&err);
    CU_ASSERT_EQUAL(save_to(&b, &vmstate_all, &s, NULL, &err), -EINVAL);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "exceeds its capacity"));
    channel_buffer_free(&b);
}

typedef struct Uart {
    uint8_t idx;
    uint8_t fifo[16];
    uint8_t scratch;
} Uart;

static int uart_post_load(void *opaque, int version_id, Error *err)
{
    Uart *u = opaque;
    if (u->idx >= sizeof(u->fifo)) {
        error_setf(err, "field 'idx' value %u out of range (at most %zu)", u->idx,
                   sizeof(u->fifo) - 1);
        return -EINVAL;
    }
    return 0;
}

static const VMStateDescription vmstate_uart = {
    .name = "uart",
    .version_id = 1,
    .minimum_version_id = 1,
    .post_load = uart_post_load,
    .fields = (const VMStateField[]) {
        VMSTATE_UINT8(idx, Uart),
        VMSTATE_UINT8_ARRAY(fifo, Uart, 16),
        /* The same name twice: the vmdesc must tell them apart. */
        VMSTATE_UINT8(scratch, Uart),
        VMSTATE_UINT8(scratch, Uart),
        VMSTATE_END_OF_LIST()
    },
};

static void test_post_load_refusal(void)
{
    Uart s = { .idx = 99 };
    ChannelBuffer b;
    Error err;
    char *json;
    error_init(&err);
    CU_ASSERT_EQUAL_FATAL(save_to(&b, &vmstate_uart, &s, &json, NULL), 0);
    CU_ASSERT_PTR_NOT_NULL(strstr(json, "\"scratch[0]\""));
    CU_ASSERT_PTR_NOT_NULL(strstr(json, "\"scratch[1]\""));
    free(json);
    Uart d = { 0 };
    CU_ASSERT_EQUAL(load_from(&b, &vmstate_uart, &d, 1, &err), -EINVAL);
    CU_ASSERT_STRING_EQUAL(err.msg, "'uart' refused the loaded state: field 'idx' value 99 out "
                                    "of range (at most 15)");
    channel_buffer_free(&b);
}

/* Structs with subsections cannot be compressed: one entry per element with
 * "index"; the nested subsection travels right after each element. */
typedef struct Cell {
    uint8_t v;
    uint8_t opt;
} Cell;

static const VMStateDescription vmstate_cell_opt = {
    .name = "cell/opt",
    .version_id = 1,
    .minimum_version_id = 1,
    .fields = (const VMStateField[]) {
        VMSTATE_UINT8(opt, Cell),
        VMSTATE_END_OF_LIST()
    },
};

static const VMStateDescription vmstate_cell = {
    .name = "cell",
    .version_id = 1,
    .minimum_version_id = 1,
    .fields = (const VMStateField[]) {
        VMSTATE_UINT8(v, Cell),
        VMSTATE_END_OF_LIST()
    },
    .subsections = (const VMStateDescription *const[]) { &vmstate_cell_opt, NULL },
};

typedef struct Grid {
    Cell cells[2];
    uint8_t tail;
} Grid;

static const VMStateDescription vmstate_grid = {
    .name = "grid",
    .version_id = 1,
    .minimum_version_id = 1,
    .fields = (const VMStateField[]) {
        VMSTATE_STRUCT_ARRAY(cells, Grid, 2, 1, vmstate_cell, Cell),
        VMSTATE_UINT8(tail, Grid),
        VMSTATE_END_OF_LIST()
    },
};

static void test_struct_subsections(void)
{
    /* tail must not be 0x05: as the last byte of a stream it would read as
     * a subsection marker cut by the end, which QEMU's peek also turns into
     * a stream error (checked below). */
    Grid s = { { { 1, 2 }, { 3, 4 } }, 0x55 };
    ChannelBuffer b;
    char *json;
    CU_ASSERT_EQUAL_FATAL(save_to(&b, &vmstate_grid, &s, &json, NULL), 0);
    CU_ASSERT_PTR_NOT_NULL(strstr(json, "{\"name\": \"cells\", \"index\": 0, \"type\": "
                                        "\"struct\""));
    CU_ASSERT_PTR_NOT_NULL(strstr(json, "{\"name\": \"cells\", \"index\": 1, \"type\": "
                                        "\"struct\""));
    /* v + subsection (0x05, len, "cell/opt", be32, opt) per cell */
    CU_ASSERT_PTR_NOT_NULL(strstr(json, "\"size\": 16}"));
    free(json);
    Grid d = { 0 };
    CU_ASSERT_EQUAL(load_from(&b, &vmstate_grid, &d, 1, NULL), 0);
    CU_ASSERT_EQUAL(memcmp(&s, &d, sizeof(s)), 0);
    channel_buffer_free(&b);

    /* A subsection marker with nothing after it is a truncated stream. */
    s.tail = 0x05;
    CU_ASSERT_EQUAL_FATAL(save_to(&b, &vmstate_grid, &s, NULL, NULL), 0);
    Error err;
    error_init(&err);
    CU_ASSERT_TRUE(load_from(&b, &vmstate_grid, &d, 1, &err) < 0);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "end of stream"));
    channel_buffer_free(&b);
}

static void test_truncated_field(void)
{
    All s = { .count = 2 };
    ChannelBuffer b;
    CU_ASSERT_EQUAL_FATAL(save_to(&b, &vmstate_all, &s, NULL, NULL), 0);
    for (size_t len = 0; len < b.len; len++) {
        QEMUFile *f = qemu_file_buffer_reader(b.data, len);
        All d;
        memset(&d, 0, sizeof(d));
        Error err;
        error_init(&err);
        CU_ASSERT_TRUE(vmstate_load(f, &vmstate_all, &d, 1, &err) < 0);
        CU_ASSERT_TRUE(qemu_file_is_truncated(f));
        CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "end of stream"));
        qemu_file_close(f, NULL);
    }
    channel_buffer_free(&b);
}

static const UnitTest tests[] = {
    { "every field type round trip and vmdesc", test_all_types_round_trip },
    { "wire bytes and vmdesc of the reference example", test_wire_and_vmdesc_exact },
    { "version skew and _V fields", test_version_skew },
    { "subsection skew both ways", test_subsection_skew },
    { "VARRAY bound violations refused", test_varray_bounds },
    { "post_load refusal names device, field, value", test_post_load_refusal },
    { "struct arrays with subsections", test_struct_subsections },
    { "truncation inside fields", test_truncated_field },
    { NULL, NULL },
};

int main(void)
{
    return unit_run("vmstate", tests);
}
