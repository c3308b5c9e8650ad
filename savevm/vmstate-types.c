/* The element types of VMState fields: wire encodings and load checks. */
#include "savevm/vmstate.h"

#include <errno.h>
#include <string.h>

static int vmstate_get_bool(QEMUFile *f, void *pv, size_t size, const VMStateField *field,
                            Error *err)
{
    uint8_t v = qemu_file_get_u8(f);
    if (v > 1) {
        error_setf(err, "field '%s': invalid bool value %u at offset %llu", field->name, v,
                   (unsigned long long)qemu_file_tell(f) - 1);
        return -EINVAL;
    }
    *(bool *)pv = v;
    return 0;
}

static void vmstate_put_bool(QEMUFile *f, const void *pv, size_t size, const VMStateField *field)
{
    qemu_file_put_u8(f, *(const bool *)pv ? 1 : 0);
}

/* Signed and unsigned integers share their big-endian encoding; only the
 * vmdesc type name differs. The value is copied through a fixed-width
 * integer so the struct member needs no particular alignment. */
static int vmstate_get_int(QEMUFile *f, void *pv, size_t size, const VMStateField *field,
                           Error *err)
{
    switch (size) {
    case 1: { uint8_t v = qemu_file_get_u8(f); memcpy(pv, &v, 1); break; }
    case 2: { uint16_t v = qemu_file_get_be16(f); memcpy(pv, &v, 2); break; }
    case 4: { uint32_t v = qemu_file_get_be32(f); memcpy(pv, &v, 4); break; }
    case 8: { uint64_t v = qemu_file_get_be64(f); memcpy(pv, &v, 8); break; }
    default:
        error_setf(err, "field '%s': unsupported integer size %zu", field->name, size);
        return -EINVAL;
    }
    return 0;
}

static void vmstate_put_int(QEMUFile *f, const void *pv, size_t size, const VMStateField *field)
{
    switch (size) {
    case 1: { uint8_t v; memcpy(&v, pv, 1); qemu_file_put_u8(f, v); break; }
    case 2: { uint16_t v; memcpy(&v, pv, 2); qemu_file_put_be16(f, v); break; }
    case 4: { uint32_t v; memcpy(&v, pv, 4); qemu_file_put_be32(f, v); break; }
    case 8: { uint64_t v; memcpy(&v, pv, 8); qemu_file_put_be64(f, v); break; }
    default:
        qemu_file_set_error(f, -EINVAL, "field '%s': unsupported integer size %zu",
                            field->name, size);
    }
}

static int vmstate_get_buffer(QEMUFile *f, void *pv, size_t size, const VMStateField *field,
                              Error *err)
{
    qemu_file_get_buffer(f, pv, size);
    return 0;
}

static void vmstate_put_buffer(QEMUFile *f, const void *pv, size_t size,
                               const VMStateField *field)
{
    qemu_file_put_buffer(f, pv, size);
}

const VMStateInfo vmstate_info_bool = { "bool", vmstate_get_bool, vmstate_put_bool };
const VMStateInfo vmstate_info_int8 = { "int8", vmstate_get_int, vmstate_put_int };
const VMStateInfo vmstate_info_int16 = { "int16", vmstate_get_int, vmstate_put_int };
const VMStateInfo vmstate_info_int32 = { "int32", vmstate_get_int, vmstate_put_int };
const VMStateInfo vmstate_info_int64 = { "int64", vmstate_get_int, vmstate_put_int };
const VMStateInfo vmstate_info_uint8 = { "uint8", vmstate_get_int, vmstate_put_int };
const VMStateInfo vmstate_info_uint16 = { "uint16", vmstate_get_int, vmstate_put_int };
const VMStateInfo vmstate_info_uint32 = { "uint32", vmstate_get_int, vmstate_put_int };
const VMStateInfo vmstate_info_uint64 = { "uint64", vmstate_get_int, vmstate_put_int };
const VMStateInfo vmstate_info_buffer = { "buffer", vmstate_get_buffer, vmstate_put_buffer };
