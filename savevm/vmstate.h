/* VMState: declarative save/load tables.
 *
 * A device declares a const VMStateDescription whose fields are built with
 * the VMSTATE_* macros below (offsetof plus a compile-time type check); one
 * engine saves, loads and describes (JSON vmdesc) every device from them.
 *
 * Wire layout, as QEMU's: fields in table order, big-endian; then, for each
 * subsection whose needed() is true (or that has none), u8 0x05, the name as
 * a counted string, be32 version_id and the subsection's own state,
 * recursively. Fields carry no names or lengths on the wire, so both sides
 * must agree on the table for a given version.
 *
 * Versions: a field declared with _V(n) exists from version n; saving always
 * writes the local version_id; loading accepts minimum_version_id ..
 * version_id and skips fields newer than the stream's version, leaving their
 * current values. Missing subsections leave their state untouched too,
 * unless the section's pre_load gives it a default first. */
#ifndef SAVEVM_VMSTATE_H
#define SAVEVM_VMSTATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/error.h"
#include "savevm/qemu-file.h"
#include "savevm/vmdesc.h"

typedef struct VMStateField VMStateField;
typedef struct VMStateDescription VMStateDescription;

/* How one element of a field is read and written. */
typedef struct VMStateInfo {
    const char *name;            /* the vmdesc "type" */
    /* Reads size bytes' worth into pv; 0 or a negative errno with err set.
     * Called only while the file has no error. */
    int (*get)(QEMUFile *f, void *pv, size_t size, const VMStateField *field, Error *err);
    void (*put)(QEMUFile *f, const void *pv, size_t size, const VMStateField *field);
} VMStateInfo;

extern const VMStateInfo vmstate_info_bool;
extern const VMStateInfo vmstate_info_int8;
extern const VMStateInfo vmstate_info_int16;
extern const VMStateInfo vmstate_info_int32;
extern const VMStateInfo vmstate_info_int64;
extern const VMStateInfo vmstate_info_uint8;
extern const VMStateInfo vmstate_info_uint16;
extern const VMStateInfo vmstate_info_uint32;
extern const VMStateInfo vmstate_info_uint64;
extern const VMStateInfo vmstate_info_buffer;

enum VMStateFlags {
    VMS_SINGLE        = 0x01,
    VMS_ARRAY         = 0x02,    /* num elements */
    VMS_VARRAY_UINT32 = 0x04,    /* count in a uint32 field at num_offset, at most num */
    VMS_STRUCT        = 0x08,    /* elements described by vmsd */
    VMS_BUFFER        = 0x10,    /* one element of size raw bytes */
    VMS_END           = 0x80,
};

struct VMStateField {
    const char *name;
    size_t offset;
    size_t size;                 /* of one element */
    uint32_t num;                /* array length; VARRAY: capacity */
    size_t num_offset;           /* VARRAY: offset of its uint32_t count */
    const VMStateInfo *info;     /* NULL for VMS_STRUCT */
    const VMStateDescription *vmsd;
    uint32_t flags;
    int version_id;              /* present from this version on */
};

struct VMStateDescription {
    const char *name;
    int version_id;
    int minimum_version_id;
    /* The device cannot be saved: savevm refuses while it is registered. */
    bool unmigratable;
    /* Subsections, and top-level sections too: false leaves it out. */
    bool (*needed)(void *opaque);
    int (*pre_save)(void *opaque);
    /* Before any field is read: the defaults for state that an optional
     * subsection may not bring. */
    void (*pre_load)(void *opaque);
    /* Checks and applies the loaded state: 0, or a negative errno with err
     * naming the field and value it refuses. */
    int (*post_load)(void *opaque, int version_id, Error *err);
    const VMStateField *fields;                   /* ends with VMSTATE_END_OF_LIST() */
    const VMStateDescription *const *subsections; /* NULL-terminated, or NULL */
};

/* Saves opaque's state; describes it into vmdesc (may be NULL) as the body of
 * an already opened JSON object: "vmsd_name", "version", "fields",
 * ["subsections"]. Returns 0 or a negative errno. */
int vmstate_save(QEMUFile *f, const VMStateDescription *vmsd, void *opaque, VMDescWriter *vmdesc,
                 Error *err);
/* Loads state saved at version_id into opaque, subsections included, then
 * runs post_load. Returns 0 or a negative errno with err set. */
int vmstate_load(QEMUFile *f, const VMStateDescription *vmsd, void *opaque, int version_id,
                 Error *err);

/* Writes the table's schema (names, types, sizes, versions, subsections;
 * no values) as the body of an open JSON object. */
void vmstate_describe(const VMStateDescription *vmsd, VMDescWriter *w);

/* For post_load hooks: 0 when value <= max, else -EINVAL with
 * "field 'NAME' value V out of range (at most MAX)" in err. */
int vmstate_check_max(Error *err, const char *field, uint64_t value, uint64_t max);

/* ---- field macros ---- */

/* 0, but fails to compile when cond is false. */
#define VMSTATE_CHECK(cond, msg) (0 * sizeof(struct { _Static_assert(cond, msg); int dummy_; }))
#define vmstate_typeof(_state, _field) __typeof__(((_state *)0)->_field)
#define VMSTATE_IS_TYPE(_state, _field, _type) \
    __builtin_types_compatible_p(vmstate_typeof(_state, _field), _type)
#define VMSTATE_OFFSET(_state, _field, _type) \
    (offsetof(_state, _field) + \
     VMSTATE_CHECK(VMSTATE_IS_TYPE(_state, _field, _type), \
                   "VMState field " #_field " is not of type " #_type))
#define VMSTATE_ARRAY_LEN(_state, _field) \
    (sizeof(((_state *)0)->_field) / sizeof(((_state *)0)->_field[0]))

#define VMSTATE_SINGLE_V(_field, _state, _version, _info, _type) { \
    .name = #_field, .version_id = (_version), .info = &(_info), .size = sizeof(_type), \
    .flags = VMS_SINGLE, .offset = VMSTATE_OFFSET(_state, _field, _type) }

#define VMSTATE_ARRAY_V(_field, _state, _num, _version, _info, _type) { \
    .name = #_field, .version_id = (_version), .info = &(_info), .size = sizeof(_type), \
    .num = (_num), .flags = VMS_ARRAY, .offset = VMSTATE_OFFSET(_state, _field, _type[_num]) }

/* One element, or a run of elements, of the embedded _type array _field,
 * under the array's name: a device whose first elements keep an older
 * layout (hart 0's registers) and whose others go in a subsection. */
#define VMSTATE_ELEM_V(_field, _state, _index, _version, _info, _type) { \
    .name = #_field, .version_id = (_version), .info = &(_info), .size = sizeof(_type), \
    .flags = VMS_SINGLE, \
    .offset = VMSTATE_OFFSET(_state, _field[0], _type) + (_index) * sizeof(_type) + \
              VMSTATE_CHECK((_index) < VMSTATE_ARRAY_LEN(_state, _field), \
                            "element beyond the end of " #_field) }
#define VMSTATE_SLICE_V(_field, _state, _start, _num, _version, _info, _type) { \
    .name = #_field, .version_id = (_version), .info = &(_info), .size = sizeof(_type), \
    .num = (_num), .flags = VMS_ARRAY, \
    .offset = VMSTATE_OFFSET(_state, _field[0], _type) + (_start) * sizeof(_type) + \
              VMSTATE_CHECK((_start) + (_num) <= VMSTATE_ARRAY_LEN(_state, _field), \
                            "slice beyond the end of " #_field) }

/* _field is an embedded _type array; _field_num (uint32_t, saved by an
 * earlier field) says how many elements are used. A loaded count above the
 * array's capacity is refused before any element is read. */
#define VMSTATE_VARRAY_UINT32(_field, _state, _field_num, _version, _info, _type) { \
    .name = #_field, .version_id = (_version), .info = &(_info), .size = sizeof(_type), \
    .num = VMSTATE_ARRAY_LEN(_state, _field), .flags = VMS_VARRAY_UINT32, \
    .num_offset = VMSTATE_OFFSET(_state, _field_num, uint32_t), \
    .offset = VMSTATE_OFFSET(_state, _field, _type[VMSTATE_ARRAY_LEN(_state, _field)]) }

#define VMSTATE_BUFFER_V(_field, _state, _version) { \
    .name = #_field, .version_id = (_version), .info = &vmstate_info_buffer, \
    .size = sizeof(((_state *)0)->_field), .flags = VMS_BUFFER, \
    .offset = VMSTATE_OFFSET(_state, _field, uint8_t[sizeof(((_state *)0)->_field)]) }

#define VMSTATE_STRUCT_V(_field, _state, _version, _vmsd, _type) { \
    .name = #_field, .version_id = (_version), .vmsd = &(_vmsd), .size = sizeof(_type), \
    .flags = VMS_STRUCT, .offset = VMSTATE_OFFSET(_state, _field, _type) }

#define VMSTATE_STRUCT_ARRAY_V(_field, _state, _num, _version, _vmsd, _type) { \
    .name = #_field, .version_id = (_version), .vmsd = &(_vmsd), .size = sizeof(_type), \
    .num = (_num), .flags = VMS_STRUCT | VMS_ARRAY, \
    .offset = VMSTATE_OFFSET(_state, _field, _type[_num]) }

#define VMSTATE_END_OF_LIST() { .flags = VMS_END }

#define VMSTATE_BOOL_V(f, s, v)   VMSTATE_SINGLE_V(f, s, v, vmstate_info_bool, bool)
#define VMSTATE_INT8_V(f, s, v)   VMSTATE_SINGLE_V(f, s, v, vmstate_info_int8, int8_t)
#define VMSTATE_INT16_V(f, s, v)  VMSTATE_SINGLE_V(f, s, v, vmstate_info_int16, int16_t)
#define VMSTATE_INT32_V(f, s, v)  VMSTATE_SINGLE_V(f, s, v, vmstate_info_int32, int32_t)
#define VMSTATE_INT64_V(f, s, v)  VMSTATE_SINGLE_V(f, s, v, vmstate_info_int64, int64_t)
#define VMSTATE_UINT8_V(f, s, v)  VMSTATE_SINGLE_V(f, s, v, vmstate_info_uint8, uint8_t)
#define VMSTATE_UINT16_V(f, s, v) VMSTATE_SINGLE_V(f, s, v, vmstate_info_uint16, uint16_t)
#define VMSTATE_UINT32_V(f, s, v) VMSTATE_SINGLE_V(f, s, v, vmstate_info_uint32, uint32_t)
#define VMSTATE_UINT64_V(f, s, v) VMSTATE_SINGLE_V(f, s, v, vmstate_info_uint64, uint64_t)

#define VMSTATE_BOOL(f, s)   VMSTATE_BOOL_V(f, s, 0)
#define VMSTATE_INT8(f, s)   VMSTATE_INT8_V(f, s, 0)
#define VMSTATE_INT16(f, s)  VMSTATE_INT16_V(f, s, 0)
#define VMSTATE_INT32(f, s)  VMSTATE_INT32_V(f, s, 0)
#define VMSTATE_INT64(f, s)  VMSTATE_INT64_V(f, s, 0)
#define VMSTATE_UINT8(f, s)  VMSTATE_UINT8_V(f, s, 0)
#define VMSTATE_UINT16(f, s) VMSTATE_UINT16_V(f, s, 0)
#define VMSTATE_UINT32(f, s) VMSTATE_UINT32_V(f, s, 0)
#define VMSTATE_UINT64(f, s) VMSTATE_UINT64_V(f, s, 0)

#define VMSTATE_UINT8_ARRAY_V(f, s, n, v)  VMSTATE_ARRAY_V(f, s, n, v, vmstate_info_uint8, uint8_t)
#define VMSTATE_UINT16_ARRAY_V(f, s, n, v) VMSTATE_ARRAY_V(f, s, n, v, vmstate_info_uint16, uint16_t)
#define VMSTATE_UINT32_ARRAY_V(f, s, n, v) VMSTATE_ARRAY_V(f, s, n, v, vmstate_info_uint32, uint32_t)
#define VMSTATE_UINT64_ARRAY_V(f, s, n, v) VMSTATE_ARRAY_V(f, s, n, v, vmstate_info_uint64, uint64_t)
#define VMSTATE_UINT8_ARRAY(f, s, n)  VMSTATE_UINT8_ARRAY_V(f, s, n, 0)
#define VMSTATE_UINT16_ARRAY(f, s, n) VMSTATE_UINT16_ARRAY_V(f, s, n, 0)
#define VMSTATE_UINT32_ARRAY(f, s, n) VMSTATE_UINT32_ARRAY_V(f, s, n, 0)
#define VMSTATE_UINT64_ARRAY(f, s, n) VMSTATE_UINT64_ARRAY_V(f, s, n, 0)

#define VMSTATE_UINT32_ELEM(f, s, i) VMSTATE_ELEM_V(f, s, i, 0, vmstate_info_uint32, uint32_t)
#define VMSTATE_UINT64_ELEM(f, s, i) VMSTATE_ELEM_V(f, s, i, 0, vmstate_info_uint64, uint64_t)
#define VMSTATE_UINT32_SLICE(f, s, a, n) VMSTATE_SLICE_V(f, s, a, n, 0, vmstate_info_uint32, uint32_t)
#define VMSTATE_UINT64_SLICE(f, s, a, n) VMSTATE_SLICE_V(f, s, a, n, 0, vmstate_info_uint64, uint64_t)

#define VMSTATE_BUFFER(f, s) VMSTATE_BUFFER_V(f, s, 0)
#define VMSTATE_STRUCT(f, s, v, vmsd, type) VMSTATE_STRUCT_V(f, s, v, vmsd, type)
#define VMSTATE_STRUCT_ARRAY(f, s, n, v, vmsd, type) VMSTATE_STRUCT_ARRAY_V(f, s, n, v, vmsd, type)

#endif
