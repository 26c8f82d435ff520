------------------------- MODULE NoUffdForKvmAccessR16 -------------------------
(***************************************************************************)
(* R16: KVM's own accesses are not checked against the bitmap, so only     *)
(* userfaultfd catches them. The VMM marks gfn 0 and enables USERFAULT;    *)
(* KVM reads gfn 0 for v1 (emulation): it passes no bitmap check, sleeps   *)
(* in userfaultfd, the uffd reader installs the page and wakes it, and it  *)
(* reads the fetched content. NoUffdForKvmAccess leaves KVM's accesses     *)
(* outside userfaultfd: the read at step 4 sees a zero page                *)
(* (NoUnfetchedKvmRead fails).                                             *)
(***************************************************************************)
EXTENDS KvmUserfault

CONSTANTS v1            \* the one vCPU (a model value of Vcpus)
VARIABLE step           \* how many steps of the schedule have been taken

LastStep == 8

ScenarioInit == Init /\ step = 0

ScenarioNext ==
    /\ \/ step = 0 /\ SetBit(0)
       \/ step = 1 /\ EnableUserfault
       \/ step = 2 /\ CommitMemslot
       \/ step = 3 /\ KvmAccess(v1, 0)
       \/ step = 4 /\ Lookup(v1)          \* no bitmap check: sleeps in userfaultfd (the mutant: reads)
       \/ step = 5 /\ UffdRead(0)
       \/ step = 6 /\ UffdInstall(0)      \* UFFDIO_COPY wakes the waiter
       \/ step = 7 /\ Lookup(v1)          \* the access re-runs and completes
    /\ step' = step + 1

ScenarioSpec == ScenarioInit /\ [][ScenarioNext]_<<vars, step>>

\* Non-vacuity: the last step was taken and KVM's read saw the fetched page.
NotReached == ~(step = LastStep /\ pc[v1] = "idle" /\ lastKvmRead[v1] = "fetched")
=============================================================================
