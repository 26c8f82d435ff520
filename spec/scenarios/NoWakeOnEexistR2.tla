--------------------------- MODULE NoWakeOnEexistR2 ---------------------------
(***************************************************************************)
(* R2: a vCPU's USERFAULT exit and a userfaultfd fault on the same page at *)
(* once. v1 exits on gfn 0; KVM's own access for v2 sleeps in userfaultfd  *)
(* on the same page. The exit handler installs the page with DONTWAKE      *)
(* first, so the uffd reader's UFFDIO_COPY fails with EEXIST and the       *)
(* reader must issue UFFDIO_WAKE; v2 then reads the fetched page.          *)
(* NoWakeOnEexist drops the wake: nothing can wake v2 any more, the        *)
(* schedule cannot take step 7 and TLC reports the deadlock.               *)
(***************************************************************************)
EXTENDS KvmUserfault

CONSTANTS v1, v2        \* the two vCPUs (model values of Vcpus)
VARIABLE step           \* how many steps of the schedule have been taken

LastStep == 9

ScenarioInit == Init /\ step = 0

ScenarioNext ==
    /\ \/ step = 0 /\ Access(v1, 0)
       \/ step = 1 /\ CheckBitmap(v1)     \* the bit is set: v1 exits
       \/ step = 2 /\ KvmAccess(v2, 0)
       \/ step = 3 /\ Lookup(v2)          \* the page is missing: v2 sleeps in userfaultfd
       \/ step = 4 /\ UffdRead(0)
       \/ step = 5 /\ Install(v1)         \* UFFDIO_COPY with DONTWAKE: the page is in, nobody woken
       \/ step = 6 /\ UffdInstall(0)      \* EEXIST
       \/ step = 7 /\ UffdWake(0)         \* the reader's UFFDIO_WAKE
       \/ step = 8 /\ Lookup(v2)          \* v2's access re-runs and completes
    /\ step' = step + 1

ScenarioSpec == ScenarioInit /\ [][ScenarioNext]_<<vars, step>>

\* Non-vacuity: the last step was taken and the woken access read the fetched page.
NotReached == ~(step = LastStep /\ pc[v2] = "idle" /\ lastKvmRead[v2] = "fetched")
=============================================================================
