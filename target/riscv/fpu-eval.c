/* fpu_eval: the decoder and the executor's compute path on a scratch hart
 * state, so it cannot drift from what the hart runs. */
#include <string.h>

#include "target/riscv/fpu-eval.h"
#include "target/riscv/fpu.h"

/* Fixed, distinct registers so that operands never alias. */
enum { EVAL_RS1 = 1, EVAL_RS2 = 2, EVAL_RD = 3, EVAL_RS3 = 4 };

bool fpu_eval(uint32_t insn, uint64_t rs1, uint64_t rs2, uint64_t rs3, unsigned frm,
              FPUEval *out)
{
    DecodedInsn d;
    CPURISCVState env;

    memset(out, 0, sizeof(*out));
    if ((insn & 3) != 3) {
        return false;
    }
    memset(&d, 0, sizeof(d));
    d.op = OP_ILLEGAL;
    translate_decode_fp(insn, &d);
    unsigned fop = FP_AUX_FOP(d.fp);
    if (d.op != OP_FP || fop == FOP_LOAD || fop == FOP_STORE) {
        return false;
    }
    uint32_t aux = (d.fp & ~FP_AUX(0, 0, 0, 0, 0, 31)) | FP_AUX(0, 0, 0, 0, 0, EVAL_RS3);
    memset(&env, 0, sizeof(env));
    env.mstatus = MSTATUS_FS;
    env.fcsr = (frm & 7) << FCSR_FRM_SHIFT;
    env.fpr[EVAL_RS1] = rs1;
    env.fpr[EVAL_RS2] = rs2;
    env.fpr[EVAL_RS3] = rs3;
    env.gpr[EVAL_RS1] = rs1;
    if (exec_fp_compute(&env, aux, EVAL_RD, EVAL_RS1, EVAL_RS2) != EXCP_NONE) {
        return false;
    }
    out->to_x = fop == FOP_CMP || fop == FOP_CVT_IF || fop == FOP_MV_XF || fop == FOP_CLASS;
    out->value = out->to_x ? env.gpr[EVAL_RD] : env.fpr[EVAL_RD];
    out->fflags = env.fcsr & FCSR_FFLAGS_MASK;
    return true;
}
