---------------------------- MODULE ReentryZapR5 ----------------------------
(***************************************************************************)
(* R5 on one vCPU (the reference kernel, conform seed 1 trace 78): a fault  *)
(* on the old slot passes the bitmap check (no USERFAULT yet) and sleeps in *)
(* userfaultfd; the VMM marks gfn 0 and enables USERFAULT, whose commit     *)
(* waits for the sleeper's SRCU read side. The uffd install wakes it; it    *)
(* installs its SPTE and drops SRCU before it re-enters the guest          *)
(* (spte_installed), so the commit's zap lands before the guest re-executes *)
(* the access, which faults again on the new slot and exits on the bit     *)
(* (ReenterGuest, CheckBitmap). NoZapOnEnable leaves the SPTE of a marked  *)
(* gfn in place at the commit: ArmedNotMapped fails at step 9.              *)
(***************************************************************************)
EXTENDS KvmUserfault

CONSTANTS v1            \* the one vCPU (a model value of Vcpus)
VARIABLE step           \* how many steps of the schedule have been taken

LastStep == 12

ScenarioInit == Init /\ step = 0

ScenarioNext ==
    /\ \/ step = 0  /\ Access(v1, 0)
       \/ step = 1  /\ CheckBitmap(v1)
       \/ step = 2  /\ Lookup(v1)
       \/ step = 3  /\ SetBit(0)
       \/ step = 4  /\ EnableUserfault
       \/ step = 5  /\ UffdRead(0)
       \/ step = 6  /\ UffdInstall(0)
       \/ step = 7  /\ Lookup(v1)
       \/ step = 8  /\ InstallSpte(v1)
       \/ step = 9  /\ CommitMemslot
       \/ step = 10 /\ ReenterGuest(v1)
       \/ step = 11 /\ CheckBitmap(v1)
    /\ step' = step + 1

ScenarioSpec == ScenarioInit /\ [][ScenarioNext]_<<vars, step>>

\* Non-vacuity: TLC reports this invariant violated exactly when the schedule's last step was
\* taken and ended where the race ends (the re-executed access exits on the bit set meanwhile).
NotReached == ~(step = LastStep /\ pc[v1] = "exited")
=============================================================================
