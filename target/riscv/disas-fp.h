/* The disassembler's F and D part (disas.c calls it for what it does not
 * know). */
#ifndef TARGET_RISCV_DISAS_FP_H
#define TARGET_RISCV_DISAS_FP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* insn is a 32-bit instruction, or a halfword when its low bits are not 3.
 * Writes "mnemonic operands" (objdump -M no-aliases style; a static rounding
 * mode other than dyn is shown last) and returns true for an FP instruction. */
bool disas_fp(uint32_t insn, char *out, size_t outlen);

#endif
