------------------------ MODULE RecoverWithDirtyLogR10 ------------------------
(***************************************************************************)
(* R10: USERFAULT turned off while dirty logging is on must not recover    *)
(* huge pages. v1 fetches gfn 0 through an exit and maps it (PAGE_SIZE),   *)
(* then fetches gfn 1, so the whole frame is present and nothing is        *)
(* marked; the VMM turns dirty logging on and USERFAULT off. The disable's *)
(* commit leaves the 4K mapping as it is. RecoverWithDirtyLog recovers the *)
(* frame huge at step 16 (NoRecoverWhileDirtyLog fails).                   *)
(***************************************************************************)
EXTENDS KvmUserfault

CONSTANTS v1            \* the one vCPU (a model value of Vcpus)
VARIABLE step           \* how many steps of the schedule have been taken

LastStep == 17

ScenarioInit == Init /\ step = 0

ScenarioNext ==
    /\ \/ step = 0  /\ Access(v1, 0)
       \/ step = 1  /\ CheckBitmap(v1)    \* exits
       \/ step = 2  /\ Install(v1)        \* UFFDIO_COPY with DONTWAKE
       \/ step = 3  /\ ClearBit(v1)
       \/ step = 4  /\ ResumeVcpu(v1)
       \/ step = 5  /\ Access(v1, 0)
       \/ step = 6  /\ CheckBitmap(v1)
       \/ step = 7  /\ Lookup(v1)
       \/ step = 8  /\ InstallSpte(v1)    \* a 4K mapping of gfn 0
       \/ step = 9  /\ Access(v1, 1)
       \/ step = 10 /\ CheckBitmap(v1)    \* exits
       \/ step = 11 /\ Install(v1)        \* gfn 1 is in: the frame is present
       \/ step = 12 /\ ClearBit(v1)       \* nothing is marked any more
       \/ step = 13 /\ EnableDirtyLog
       \/ step = 14 /\ CommitMemslot
       \/ step = 15 /\ DisableUserfault
       \/ step = 16 /\ CommitMemslot      \* x86: no recovery while dirty logging is on
    /\ step' = step + 1

ScenarioSpec == ScenarioInit /\ [][ScenarioNext]_<<vars, step>>

\* Non-vacuity: USERFAULT's disable committed with dirty logging on and gfn 0 still mapped 4K.
NotReached == ~(/\ step = LastStep /\ memslotOp = "idle" /\ flags = {"DIRTY_LOG"}
                /\ spte[0] = "small")
=============================================================================
