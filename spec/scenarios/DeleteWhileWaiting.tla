-------------------------- MODULE DeleteWhileWaiting --------------------------
(***************************************************************************)
(* A memslot DELETE while a vCPU sleeps in userfaultfd. v1 faults on gfn 0 *)
(* and sleeps in handle_userfault() holding kvm->srcu; the VMM deletes the *)
(* slot. The delete's zap waits for synchronize_srcu(), so the uffd reader *)
(* must resolve (or wake) the sleeper first: it does, v1's fault installs  *)
(* its SPTE into the old slot, the guest's re-executed read completes on   *)
(* it, and the commit then zaps it. v1's next access finds no slot and     *)
(* exits as MMIO. DeleteBeforeSrcuWait zaps at the start, before the SRCU  *)
(* wait: the woken fault's SPTE survives the deletion                      *)
(* (NoMappingWithoutSlot fails at step 10).                                *)
(***************************************************************************)
EXTENDS KvmUserfault

CONSTANTS v1            \* the one vCPU (a model value of Vcpus)
VARIABLE step           \* how many steps of the schedule have been taken
VARIABLE reentryRead    \* what v1's read saw when the guest re-entered on the old slot (step 8)

LastStep == 11

ScenarioInit == Init /\ step = 0 /\ reentryRead = "none"

ScenarioNext ==
    /\ \/ step = 0 /\ Access(v1, 0)
       \/ step = 1 /\ CheckBitmap(v1)     \* USERFAULT is off: passes
       \/ step = 2 /\ Lookup(v1)          \* missing: sleeps in userfaultfd, holding kvm->srcu
       \/ step = 3 /\ DeleteSlot          \* KVM_SET_USER_MEMORY_REGION2, memory_size 0
       \/ step = 4 /\ UffdRead(0)
       \/ step = 5 /\ UffdInstall(0)      \* UFFDIO_COPY wakes the sleeper
       \/ step = 6 /\ Lookup(v1)
       \/ step = 7 /\ InstallSpte(v1)     \* maps gfn 0 of the old slot (spte_installed: the DELETE waits)
       \/ step = 8 /\ ReenterGuest(v1)    \* the guest re-executes the read on that mapping: it completes
       \/ step = 9 /\ CommitSlotChange    \* after synchronize_srcu(): the zap, the slot is gone
       \/ step = 10 /\ MmioAccess(v1, 0)  \* no slot: KVM_EXIT_MMIO
    /\ step' = step + 1
    /\ reentryRead' = IF step = 8 THEN lastRead'[v1] ELSE reentryRead

ScenarioSpec == ScenarioInit /\ [][ScenarioNext]_<<vars, step, reentryRead>>

\* Non-vacuity: the re-executed read completed on the fetched page, the delete completed with
\* nothing mapped and the next access was an MMIO access (it read no page).
NotReached == ~(step = LastStep /\ SlotGone /\ budget[v1] = 0 /\ reentryRead = "fetched" /\ lastRead[v1] = "none"
                /\ \A g \in Gfns : spte[g] = "none")
=============================================================================
