----------------------------- MODULE ZapRetryR5 -----------------------------
(***************************************************************************)
(* R5 on x86 under KVM_X86_QUIRK_SLOT_ZAP_ALL (SlotZap = "all"): a fault   *)
(* that started on the new slot passes the bitmap check (gfn 0 not yet     *)
(* marked) and sleeps in userfaultfd across the commit of the enable; the  *)
(* zap obsoletes its root. The VMM then marks gfn 0 and resolves the uffd  *)
(* fault. The woken fault must retry (is_page_fault_stale) and, faulting   *)
(* again inside KVM_RUN (Refault, in the same step), exit on the bit set   *)
(* meanwhile. NoRetryOnObsoleteRoot installs the SPTE instead:             *)
(* ArmedNotMapped fails at step 10.                                        *)
(***************************************************************************)
EXTENDS KvmUserfault

CONSTANTS v1            \* the one vCPU (a model value of Vcpus)
VARIABLE step           \* how many steps of the schedule have been taken

LastStep == 12

ScenarioInit == Init /\ step = 0

ScenarioNext ==
    /\ \/ step = 0  /\ SetBit(1)
       \/ step = 1  /\ EnableUserfault
       \/ step = 2  /\ Access(v1, 0)
       \/ step = 3  /\ CheckBitmap(v1)
       \/ step = 4  /\ Lookup(v1)
       \/ step = 5  /\ CommitMemslot
       \/ step = 6  /\ SetBit(0)
       \/ step = 7  /\ UffdRead(0)
       \/ step = 8  /\ UffdInstall(0)
       \/ step = 9  /\ Lookup(v1)
       \/ step = 10 /\ InstallSpte(v1)
       \/ step = 11 /\ CheckBitmap(v1)
    /\ step' = step + 1

ScenarioSpec == ScenarioInit /\ [][ScenarioNext]_<<vars, step>>

\* Non-vacuity: TLC reports this invariant violated exactly when the schedule's last step was
\* taken and ended where the race ends (the retried fault exits on the bit set meanwhile).
NotReached == ~(step = LastStep /\ pc[v1] = "exited")
=============================================================================
