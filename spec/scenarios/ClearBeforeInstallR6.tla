------------------------- MODULE ClearBeforeInstallR6 -------------------------
(***************************************************************************)
(* R6 on the exit-handler path (guest_memfd): v1 exits on gfn 0 and v2     *)
(* faults on gfn 0 between the handler's two stores. With the correct      *)
(* order (install, then clear the bit) v2's fault finds the bit still set  *)
(* and exits too; its own handler resolves it and the retry reads the      *)
(* fetched content. ClearBeforeInstall clears the bit first: v2 passes the *)
(* check and maps the zero-filled page (NoUnfetchedGuestRead fails at      *)
(* step 7).                                                                *)
(***************************************************************************)
EXTENDS KvmUserfault

CONSTANTS v1, v2        \* the two vCPUs (model values of Vcpus)
VARIABLE step           \* how many steps of the schedule have been taken

LastStep == 12

\* The vCPU's (or its exit handler's) next step: at most one is enabled in any state.
VcpuStep(v) == CheckBitmap(v) \/ Lookup(v) \/ InstallSpte(v) \/ Install(v) \/ ClearBit(v) \/ ResumeVcpu(v)

ScenarioInit == Init /\ step = 0

ScenarioNext ==
    /\ \/ step = 0  /\ Access(v1, 0)
       \/ step = 1  /\ VcpuStep(v1)      \* CheckBitmap: v1 exits
       \/ step = 2  /\ VcpuStep(v1)      \* the handler's first store (Install; the mutant: ClearBit)
       \/ step = 3  /\ Access(v2, 0)
       \/ step = 4  /\ VcpuStep(v2)      \* CheckBitmap: exits (bit still set); the mutant: passes
       \/ step = 5  /\ VcpuStep(v2)      \* Install; the mutant: Lookup
       \/ step = 6  /\ VcpuStep(v2)      \* ClearBit; the mutant: InstallSpte reads the zero page
       \/ step = 7  /\ VcpuStep(v2)      \* ResumeVcpu
       \/ step = 8  /\ Access(v2, 0)
       \/ step = 9  /\ VcpuStep(v2)      \* CheckBitmap: passes
       \/ step = 10 /\ VcpuStep(v2)      \* Lookup
       \/ step = 11 /\ VcpuStep(v2)      \* InstallSpte: the read completes
    /\ step' = step + 1

ScenarioSpec == ScenarioInit /\ [][ScenarioNext]_<<vars, step>>

\* Non-vacuity: the last step was taken and v2's access, made inside v1's window, read fetched content.
NotReached == ~(step = LastStep /\ budget[v2] = 0 /\ lastRead[v2] = "fetched")
=============================================================================
