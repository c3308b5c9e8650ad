/* HTIF (Berkeley host-target interface) for ISA test programs: an ELF that
 * defines `tohost`/`fromhost` gets a 16-byte MMIO window at tohost. Writes to
 * tohost: device 0 command 0 with bit 0 set = exit with code (value >> 1);
 * device 1 command 1 = console putchar. As in QEMU. */
#ifndef HW_HTIF_H
#define HW_HTIF_H

#include <stdbool.h>
#include <stdint.h>

#include "io/chardev.h"
#include "emu/memory.h"
#include "savevm/vmstate.h"

typedef struct HtifState {
    uint64_t tohost, fromhost;
} HtifState;

typedef struct Htif {
    HtifState st;
    uint64_t tohost_addr, fromhost_addr;
    CharBackend *chr;
    PhysMemory *mem;
    void (*finish)(void *opaque, int code, bool reset);
    void *opaque;
} Htif;

/* fromhost_addr may be 0 when the ELF has no fromhost symbol. */
void htif_init(Htif *s, PhysMemory *mem, uint64_t tohost_addr, uint64_t fromhost_addr,
               CharBackend *chr, void (*finish)(void *opaque, int code, bool reset),
               void *opaque);
/* Clears both mailboxes. */
void htif_reset(Htif *s);

/* Its state table (the section's fields, versions and subsections). */
extern const VMStateDescription vmstate_htif;

#endif
