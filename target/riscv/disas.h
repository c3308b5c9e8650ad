/* The RISC-V disassembler: the monitor's x/i and the -d in_asm log. */
#ifndef TARGET_RISCV_DISAS_H
#define TARGET_RISCV_DISAS_H

#include <stddef.h>
#include <stdint.h>

/* Disassembles the instruction at buf (2 or 4 bytes available as avail);
 * writes "mnemonic operands" into out and returns its length in bytes (2 or
 * 4). pc is used for branch targets. Unknown encodings give "illegal". */
int disas_riscv(uint64_t pc, const uint8_t *buf, size_t avail, char *out, size_t outlen);

/* One line as x/i and in_asm print it (QEMU's layout, no newline):
 * "0x0000000080000000:  00000297          auipc   t0,0x0". Returns the
 * instruction's length (2 or 4). */
int disas_line(uint64_t pc, const uint8_t *buf, size_t avail, char *out, size_t outlen);

#endif
