---------------------------- MODULE AbortRearmR5 ----------------------------
(***************************************************************************)
(* R5's documented fix: a mark set on a page already mapped has no effect  *)
(* until USERFAULT is disabled and enabled again. Gfn 0 is fetched through *)
(* userfaultfd and mapped while only gfn 1 is marked; the VMM then marks   *)
(* gfn 0, disables USERFAULT with both bits still set (the abort that the  *)
(* re-arm goes through) and enables it again. The re-enable's commit zaps  *)
(* the slot, so the next access to gfn 0 exits. NoZapOnReenable zaps only  *)
(* on the first enable: ArmedNotMapped fails at step 14.                   *)
(***************************************************************************)
EXTENDS KvmUserfault

CONSTANTS v1            \* the one vCPU (a model value of Vcpus)
VARIABLE step           \* how many steps of the schedule have been taken

LastStep == 17

ScenarioInit == Init /\ step = 0

ScenarioNext ==
    /\ \/ step = 0  /\ SetBit(1)
       \/ step = 1  /\ EnableUserfault
       \/ step = 2  /\ CommitMemslot
       \/ step = 3  /\ Access(v1, 0)
       \/ step = 4  /\ CheckBitmap(v1)
       \/ step = 5  /\ Lookup(v1)
       \/ step = 6  /\ UffdRead(0)
       \/ step = 7  /\ UffdInstall(0)
       \/ step = 8  /\ Lookup(v1)
       \/ step = 9  /\ InstallSpte(v1)
       \/ step = 10 /\ SetBit(0)
       \/ step = 11 /\ DisableUserfault
       \/ step = 12 /\ CommitMemslot
       \/ step = 13 /\ EnableUserfault
       \/ step = 14 /\ CommitMemslot
       \/ step = 15 /\ Access(v1, 0)
       \/ step = 16 /\ CheckBitmap(v1)
    /\ step' = step + 1

ScenarioSpec == ScenarioInit /\ [][ScenarioNext]_<<vars, step>>

\* Non-vacuity: TLC reports this invariant violated exactly when the schedule's last step was
\* taken and ended where the race ends (the access to the re-marked gfn exits).
NotReached == ~(step = LastStep /\ pc[v1] = "exited")
=============================================================================
