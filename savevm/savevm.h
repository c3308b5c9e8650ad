/* The section engine: a registry of state handlers and the writer/reader of
 * complete QEMU v3 streams (ref-stream-format.md §1.8):
 *
 *   magic, version 3, configuration (machine type),
 *   START per live section (RAM), [PART ...], END per live section,
 *   FULL per VMState device (needed() true), globalstate among them,
 *   every section followed by its footer, EOF, then the JSON vmdesc.
 *
 * Load safety: savevm_load() first saves every VMState device's current
 * state to memory; if the load fails anywhere (bad header, truncation, a
 * refused value, an unknown section) it loads those copies back, so device
 * state is as before the call. Live sections (RAM) are written in place and
 * are NOT rolled back: after a failed load guest RAM is partly overwritten,
 * so the caller must not resume the guest (keep it stopped, report, and
 * load another stream or reset). After a successful load the caller drops
 * TLBs and translated code, which the RAM loader does not touch. */
#ifndef SAVEVM_SAVEVM_H
#define SAVEVM_SAVEVM_H

#include <stdbool.h>
#include <stdint.h>

#include "util/error.h"
#include "savevm/qemu-file.h"
#include "savevm/vmstate.h"

/* A machine's registry of sections and the state of a stream being saved
 * or loaded: one per machine, so machines in one process do not share it. */
typedef struct SaveVMState SaveVMState;
SaveVMState *savevm_state_new(void);
void savevm_state_free(SaveVMState *s);

#define QEMU_VM_FILE_MAGIC          0x5145564d
#define QEMU_VM_FILE_VERSION_COMPAT 0x00000002
#define QEMU_VM_FILE_VERSION        0x00000003

#define QEMU_VM_EOF             0x00
#define QEMU_VM_SECTION_START   0x01
#define QEMU_VM_SECTION_PART    0x02
#define QEMU_VM_SECTION_END     0x03
#define QEMU_VM_SECTION_FULL    0x04
#define QEMU_VM_SUBSECTION      0x05
#define QEMU_VM_VMDESCRIPTION   0x06
#define QEMU_VM_CONFIGURATION   0x07
#define QEMU_VM_COMMAND         0x08
#define QEMU_VM_SECTION_FOOTER  0x7e

#define VMSTATE_INSTANCE_ID_ANY UINT32_MAX
/* The target page size the vmdesc announces (analyze-migration.py uses it
 * to parse RAM records). */
#define SAVEVM_PAGE_SIZE 4096

/* An iterative section (RAM). Payload callbacks write or read what follows
 * the section header; the engine writes headers and footers. */
typedef struct SaveLiveOps {
    int (*save_setup)(QEMUFile *f, void *opaque, Error *err);           /* START */
    /* Begins a pass: takes up what changed since the last one (guest not
     * running). Optional. */
    void (*save_sync)(void *opaque);
    /* One PART: 1 when the pass is sent, 0 when more of it remains. */
    int (*save_iterate)(QEMUFile *f, void *opaque, Error *err);
    int (*save_complete)(QEMUFile *f, void *opaque, Error *err);        /* END */
    uint64_t (*save_pending)(void *opaque);   /* bytes still to send */
    void (*save_cleanup)(void *opaque);       /* after complete or abort */
    void (*load_setup)(void *opaque);         /* before a load starts */
    /* section_type is QEMU_VM_SECTION_START/PART/END/FULL. */
    int (*load_state)(QEMUFile *f, void *opaque, int version_id, int section_type, Error *err);
    void (*release)(void *opaque);            /* at unregistration */
} SaveLiveOps;

/* idstr is copied (1..127 bytes: analyze-migration.py reads the length as
 * signed). instance_id VMSTATE_INSTANCE_ID_ANY takes the next free one.
 * Section ids come from registration order. Returns 0 or -EEXIST/-EINVAL. */
int savevm_register(SaveVMState *s, const char *idstr, uint32_t instance_id, const VMStateDescription *vmsd,
                    void *opaque);
/* A record of the stream rather than device state (globalstate): saved and
 * loaded like a device section, but not rolled back after a failed load;
 * hooks tell it when a save ended and when a load begins (again after a
 * failed one). */
typedef struct SaveVMStreamHooks {
    void (*save_done)(void *opaque);
    void (*load_begin)(void *opaque);
    void (*release)(void *opaque);   /* at unregistration: the record's memory */
} SaveVMStreamHooks;
int savevm_register_record(SaveVMState *s, const char *idstr, uint32_t instance_id,
                           const VMStateDescription *vmsd, const SaveVMStreamHooks *hooks,
                           void *opaque);
int savevm_register_live(SaveVMState *s, const char *idstr, uint32_t instance_id, int version_id,
                         const SaveLiveOps *ops, void *opaque);
void savevm_unregister(SaveVMState *s, const char *idstr, uint32_t instance_id);
void savevm_unregister_all(SaveVMState *s);
/* The opaque a section was registered with, or NULL. */
void *savevm_find_opaque(SaveVMState *s, const char *idstr, uint32_t instance_id);

/* The machine type sent in and checked against the configuration section
 * (default "virt"). The string must outlive its use. */
void savevm_set_machine_type(SaveVMState *s, const char *name);

/* What the machine adds to the configuration section (QEMU's
 * "configuration/..." subsections): vmsd has no fields, only subsections,
 * written after the machine type. On load, load_begin(opaque) first resets
 * what a stream without them means, then vmsd's post_load checks the
 * result, before any other section is read, so a stream for another shape
 * of machine is refused before it changes anything. */
/* Reads a stream's header and configuration section (machine type, the
 * machine's configuration subsections) and checks them, changing nothing:
 * a caller about to make a load irreversible (loadvm reverting the disks)
 * asks first. 0, or a negative errno with err set. */
int savevm_check_header(SaveVMState *s, QEMUFile *f, Error *err);

void savevm_set_configuration(SaveVMState *s, const VMStateDescription *vmsd, void *opaque,
                              void (*load_begin)(void *opaque));

/* A check the layer above adds to savevm_check_blocked() (the machine's
 * migration blockers), called with opaque; NULL for none. */
void savevm_set_blocker_check(SaveVMState *s, int (*fn)(void *opaque, Error *err),
                              void *opaque);
/* Fails with what the blocker check says, or with "State blocked by non-migratable device '<idstr>'" if any. */
int savevm_check_blocked(SaveVMState *s, Error *err);

/* A whole stream with the guest stopped (snapshot, file migration). */
int savevm_save(SaveVMState *s, QEMUFile *f, Error *err);

/* The same stream in steps, for live migration: begin writes the header,
 * configuration and START sections; sync begins a pass (the guest must not
 * run during it); iterate writes one PART per live section (1 when all
 * report their pass sent; it may run on a sender thread while the guest
 * runs, as long as nothing else uses the stream); complete writes the END sections, the device
 * sections, EOF and the vmdesc, then cleans up. On any error call
 * savevm_save_cleanup() (complete does it itself). */
int savevm_save_begin(SaveVMState *s, QEMUFile *f, Error *err);
void savevm_save_sync(SaveVMState *s);
int savevm_save_iterate(SaveVMState *s, QEMUFile *f, Error *err);
uint64_t savevm_save_pending(SaveVMState *s);
int savevm_save_complete(SaveVMState *s, QEMUFile *f, Error *err);
void savevm_save_cleanup(SaveVMState *s);

/* Device-only state: magic, version, configuration, the FULL sections, EOF
 * and the vmdesc; no live (RAM) sections. */
int savevm_save_devices_state(SaveVMState *s, QEMUFile *f, Error *err);

/* Reads a whole stream into the registered handlers (see the load safety
 * note above). Returns 0 or a negative errno with err describing the
 * failure: section, field, value and stream offset. */
int savevm_load(SaveVMState *s, QEMUFile *f, Error *err);
/* The same for device-only state: live sections are refused, and the
 * configuration section may be absent (QEMU's xen-save-devices-state). */
int savevm_load_devices_state(SaveVMState *s, QEMUFile *f, Error *err);
/* True when the last load wrote into a live section (guest RAM), which a
 * failed load does not roll back. */
bool savevm_load_touched_live(SaveVMState *s);

/* Describes every registered section's table (not its values) as a JSON
 * array element per section, for -dump-vmstate. */
void savevm_describe_sections(SaveVMState *s, VMDescWriter *w);

#endif
