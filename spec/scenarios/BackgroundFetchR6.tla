-------------------------- MODULE BackgroundFetchR6 --------------------------
(***************************************************************************)
(* R6 on the background-fetch path (BackgroundFetch, guest_memfd): a vCPU  *)
(* faults on gfn 0 between the migration stream's two stores for it. With *)
(* the correct order (install, then clear the bit) the fault finds the bit *)
(* still set and exits; the exit handler resolves it, the guest retries    *)
(* and reads the fetched content. BackgroundClearBeforeInstall clears the  *)
(* bit first: the fault passes the check and maps the zero-filled page     *)
(* (NoUnfetchedGuestRead fails at step 4).                                 *)
(***************************************************************************)
EXTENDS KvmUserfault

CONSTANTS v1            \* the one vCPU (a model value of Vcpus)
VARIABLE step           \* how many steps of the schedule have been taken

LastStep == 11

\* The fetch's first and second store for g, in whichever order the protocol issues them.
FetchStep(g) == FetchInstall(g) \/ FetchClearBit(g)
\* The vCPU's (or its exit handler's) next step: at most one is enabled in any state.
VcpuStep(v) == CheckBitmap(v) \/ Lookup(v) \/ InstallSpte(v) \/ Install(v) \/ ClearBit(v) \/ ResumeVcpu(v)

ScenarioInit == Init /\ step = 0

ScenarioNext ==
    /\ \/ step = 0  /\ FetchStep(0)
       \/ step = 1  /\ Access(v1, 0)
       \/ step = 2  /\ VcpuStep(v1)      \* CheckBitmap: exits (the bit is still set)
       \/ step = 3  /\ VcpuStep(v1)      \* Install (DONTWAKE / write)
       \/ step = 4  /\ VcpuStep(v1)      \* ClearBit
       \/ step = 5  /\ VcpuStep(v1)      \* ResumeVcpu: the guest retries
       \/ step = 6  /\ FetchStep(0)      \* the stream's second store
       \/ step = 7  /\ Access(v1, 0)
       \/ step = 8  /\ VcpuStep(v1)      \* CheckBitmap: passes
       \/ step = 9  /\ VcpuStep(v1)      \* Lookup
       \/ step = 10 /\ VcpuStep(v1)      \* InstallSpte: the read completes
    /\ step' = step + 1

ScenarioSpec == ScenarioInit /\ [][ScenarioNext]_<<vars, step>>

\* Non-vacuity: the last step was taken, the access completed, and it read fetched content.
NotReached == ~(step = LastStep /\ budget[v1] = 0 /\ lastRead[v1] = "fetched")
=============================================================================
