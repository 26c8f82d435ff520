------------------------- MODULE HugeWhileUserfaultR4 -------------------------
(***************************************************************************)
(* R4: a huge mapping must not cover marked gfns. On guest_memfd with      *)
(* every bit set, v1 exits on gfn 0, the handler resolves it and the retry *)
(* maps gfn 0 while gfn 1 (same huge frame, still marked) stays unmapped:  *)
(* the mapping is PAGE_SIZE, so the next access to gfn 1 exits.            *)
(* HugeWhileUserfault maps the whole frame huge at step 9                  *)
(* (SmallOnlyWhileUserfault fails), covering the marked neighbour.         *)
(***************************************************************************)
EXTENDS KvmUserfault

CONSTANTS v1            \* the one vCPU (a model value of Vcpus)
VARIABLE step           \* how many steps of the schedule have been taken

LastStep == 11

ScenarioInit == Init /\ step = 0

ScenarioNext ==
    /\ \/ step = 0  /\ Access(v1, 0)
       \/ step = 1  /\ CheckBitmap(v1)    \* exits
       \/ step = 2  /\ Install(v1)        \* a guest_memfd write
       \/ step = 3  /\ ClearBit(v1)
       \/ step = 4  /\ ResumeVcpu(v1)
       \/ step = 5  /\ Access(v1, 0)
       \/ step = 6  /\ CheckBitmap(v1)    \* the bit is clear
       \/ step = 7  /\ Lookup(v1)
       \/ step = 8  /\ InstallSpte(v1)    \* PAGE_SIZE: USERFAULT is on
       \/ step = 9  /\ Access(v1, 1)
       \/ step = 10 /\ CheckBitmap(v1)    \* gfn 1 is still marked: exits
    /\ step' = step + 1

ScenarioSpec == ScenarioInit /\ [][ScenarioNext]_<<vars, step>>

\* Non-vacuity: the last step was taken and the access to the marked neighbour exited.
NotReached == ~(step = LastStep /\ pc[v1] = "exited" /\ vgfn[v1] = 1)
=============================================================================
