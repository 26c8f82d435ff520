-------------------------- MODULE InvalidateWindow --------------------------
(***************************************************************************)
(* The invalidation window (no review number: the mmu notifier's retry     *)
(* protocol that KVM Userfault's fault path must keep). v1's fault gets    *)
(* gfn 0 through userfaultfd and its lookup returns the page (pfn_ready).  *)
(* MADV_DONTNEED on gfn 0 begins: in_progress is raised, the page freed.   *)
(* Inside the window v2 faults on gfn 0 and the uffd reader installs a new *)
(* page, so gfn 0 is present again. v1's install, still inside the window  *)
(* (mmu_invalidate_seq not bumped yet), must retry on in_progress          *)
(* (mmu_invalidate_retry_gfn) and fault again. NoSeqRetry installs the     *)
(* freed page instead: NoStaleMapping fails at step 13 although gfn 0 is   *)
(* present (the mapping is to the page the lookup found, staleSpte).       *)
(***************************************************************************)
EXTENDS KvmUserfault

CONSTANTS v1, v2        \* the two vCPUs (model values of Vcpus)
VARIABLE step           \* how many steps of the schedule have been taken

LastStep == 14

ScenarioInit == Init /\ step = 0

ScenarioNext ==
    /\ \/ step = 0  /\ Access(v1, 0)
       \/ step = 1  /\ CheckBitmap(v1)
       \/ step = 2  /\ Lookup(v1)
       \/ step = 3  /\ UffdRead(0)
       \/ step = 4  /\ UffdInstall(0)
       \/ step = 5  /\ Lookup(v1)
       \/ step = 6  /\ InvalidateBegin(0)
       \/ step = 7  /\ Access(v2, 0)
       \/ step = 8  /\ CheckBitmap(v2)
       \/ step = 9  /\ Lookup(v2)
       \/ step = 10 /\ UffdRead(0)
       \/ step = 11 /\ UffdInstall(0)
       \/ step = 12 /\ InstallSpte(v1)
       \/ step = 13 /\ InvalidateEnd(0)
    /\ step' = step + 1

ScenarioSpec == ScenarioInit /\ [][ScenarioNext]_<<vars, step>>

\* Non-vacuity: TLC reports this invariant violated exactly when the schedule's last step was
\* taken and ended where the race ends (v1 retried inside the window and faults again on gfn 0,
\* which is present again, unmapped, and the window has closed).
NotReached == ~(step = LastStep /\ pc[v1] = "faulted" /\ present[0] /\ spte[0] = "none" /\ mmuSeq = 1)
=============================================================================
