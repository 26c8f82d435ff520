---------------------------- MODULE FastPathDirty ----------------------------
(***************************************************************************)
(* Writes under dirty logging on x86 (no review number). Dirty logging is  *)
(* turned on; v1 reads gfn 0, so its fault maps a write-protected SPTE in  *)
(* the dirty-logged slot. v1 then writes gfn 0: fast_page_fault() makes    *)
(* the SPTE writable (no bitmap check) and must mark gfn 0 in the dirty    *)
(* bitmap, or later writes through the writable SPTE are never logged.    *)
(* FastPathSkipsDirty makes it writable without the mark: DirtyLogComplete *)
(* fails at step 10.                                                       *)
(***************************************************************************)
EXTENDS KvmUserfault

CONSTANTS v1            \* the one vCPU (a model value of Vcpus)
VARIABLE step           \* how many steps of the schedule have been taken

LastStep == 10

ScenarioInit == Init /\ step = 0

ScenarioNext ==
    /\ \/ step = 0  /\ EnableDirtyLog
       \/ step = 1  /\ CommitMemslot
       \/ step = 2  /\ Access(v1, 0)
       \/ step = 3  /\ CheckBitmap(v1)
       \/ step = 4  /\ Lookup(v1)
       \/ step = 5  /\ UffdRead(0)
       \/ step = 6  /\ UffdInstall(0)
       \/ step = 7  /\ Lookup(v1)
       \/ step = 8  /\ InstallSpte(v1)
       \/ step = 9  /\ AccessWrite(v1, 0)
    /\ step' = step + 1

ScenarioSpec == ScenarioInit /\ [][ScenarioNext]_<<vars, step>>

\* Non-vacuity: TLC reports this invariant violated exactly when the schedule's last step was
\* taken and ended where the race ends (the write went through the fast path: gfn 0 is mapped
\* writable and marked dirty, and v1 completed both accesses).
NotReached == ~(step = LastStep /\ spte[0] = "small" /\ ~spteWp[0] /\ dirtyBitmap[0] /\ budget[v1] = 0)
=============================================================================
