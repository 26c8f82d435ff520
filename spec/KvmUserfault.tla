---------------------------- MODULE KvmUserfault ----------------------------
(***************************************************************************)
(* KVM Userfault: one memslot, its userfault bitmap, the stage-2 mappings  *)
(* KVM builds for it, the vCPU fault path split into the steps that races  *)
(* depend on, KVM's own accesses, userfaultfd, flags-only memslot updates  *)
(* (slot swap, SRCU wait, zap on enable, huge-page recovery on disable),   *)
(* dirty logging, MADV_DONTNEED-style invalidation through the mmu         *)
(* notifier, and kernel async page faults as a mode.                       *)
(*                                                                         *)
(* Userspace is a VMM that follows the resolution protocol of the series:  *)
(* on a USERFAULT exit it installs the page (UFFDIO_COPY/CONTINUE with     *)
(* DONTWAKE, or a plain write for guest_memfd), clears the bit, and        *)
(* re-enters KVM_RUN; its uffd reader resolves uffd events and issues      *)
(* UFFDIO_WAKE when the copy fails with EEXIST.                            *)
(*                                                                         *)
(* Guest writes (the constant Writes): write protection under dirty       *)
(* logging, x86's fast path and arm64's permission faults, the dirty       *)
(* bitmap. Not modelled: page contents beyond a value class (fetched |     *)
(* zero | stale), more than one memslot (one DELETE or MOVE of it is       *)
(* modelled: SlotChanges),                                                 *)
(* private/shared conversion, the memory ordering of the bitmap load (R6   *)
(* is modelled by its effect, ClearBeforeInstall), THP collapse (a frame   *)
(* may be mapped huge once all of its gfns are present).                   *)
(*                                                                         *)
(* Every known race or design mistake is a switchable deviation named in   *)
(* the constant Mutants; spec/mutants.tsv says which property each breaks. *)
(***************************************************************************)
EXTENDS Naturals, FiniteSets

CONSTANTS
    Vcpus,          \* the vCPUs (symmetric model values)
    NumGfns,        \* gfns of the memslot are 0 .. NumGfns-1
    HugeSpan,       \* gfns per huge frame (a 2M frame, scaled down)
    SlotKind,       \* "anon" | "shmem" | "gmem" | "gmem-private": what backs the memslot
    Arch,           \* "x86" | "arm64": what disabling USERFAULT does to mappings
    UffdMode,       \* "none" | "missing" | "minor": userfaultfd registration of the backing
    UserfaultUse,   \* "none" | "start" (enabled, all bits set, at Init) | "late" (marked and enabled during the run)
    AsyncPf,        \* "off" | "kernel": kernel async page faults
    DirtyLog,       \* BOOLEAN: userspace may turn dirty logging on (and off) once
    KvmAccesses,    \* BOOLEAN: vCPUs may make KVM's own accesses (emulation, PV clock)
    Accesses,       \* completed accesses per vCPU (bounds the run)
    MaxInvalidate,  \* MADV_DONTNEED / punch-hole events (bounds mmu_invalidate_seq)
    Writes,         \* BOOLEAN: the guest also writes (AccessWrite): write protection, the dirty bitmap
    SlotZap,        \* "memslot" | "all": what the zap on enable does to a fault in flight (see CommitMemslot)
    BackgroundFetch, \* BOOLEAN: the VMM's migration stream installs marked pages and clears their bits
    SlotChanges,    \* "none" | "delete" | "move": the VMM deletes or moves the memslot once during the run
    RemoteAccessor, \* "none" | "uffd" | "unregistered": another process's (vhost-user, a device backend) reads
    Mutants         \* set of mutant ids switched on (see spec/mutants.tsv)

\* The slot kinds backed by a guest_memfd (KVM_MEM_GUEST_MEMFD): no userfaultfd, no dirty logging, no MOVE.
GuestMemfdKinds == {"gmem", "gmem-private"}

ASSUME /\ NumGfns \in Nat \ {0}
       /\ HugeSpan \in Nat \ {0}
       /\ NumGfns % HugeSpan = 0
       /\ SlotKind \in {"anon", "shmem", "gmem", "gmem-private"}
       /\ Arch \in {"x86", "arm64"}
       /\ UffdMode \in {"none", "missing", "minor"}
       /\ (SlotKind \in GuestMemfdKinds => UffdMode = "none")
       /\ (UffdMode = "minor" => SlotKind = "shmem")
       /\ (SlotKind \in GuestMemfdKinds => ~DirtyLog)
       \* Private memory (a KVM_X86_SW_PROTECTED_VM whose slot gfns carry KVM_MEMORY_ATTRIBUTE_PRIVATE): x86 only;
       \* KVM's own accesses and other processes reach guest memory through the VMM's mapping, which is the
       \* shared half of the slot, never the private guest_memfd pages.
       /\ (SlotKind = "gmem-private" => Arch = "x86" /\ ~KvmAccesses /\ RemoteAccessor = "none")
       /\ UserfaultUse \in {"none", "start", "late"}
       /\ AsyncPf \in {"off", "kernel"}
       /\ DirtyLog \in BOOLEAN
       /\ KvmAccesses \in BOOLEAN
       /\ Accesses \in Nat
       /\ MaxInvalidate \in Nat
       /\ Writes \in BOOLEAN
       /\ (Writes => AsyncPf = "off")
       /\ SlotZap \in {"memslot", "all"}
       /\ (SlotZap = "all" => Arch = "x86")
       /\ BackgroundFetch \in BOOLEAN
       /\ SlotChanges \in {"none", "delete", "move"}
       /\ (SlotChanges = "move" => SlotKind \notin GuestMemfdKinds)  \* guest_memfd slots cannot MOVE (R15)
       /\ RemoteAccessor \in {"none", "uffd", "unregistered"}
       /\ (RemoteAccessor = "uffd" => UffdMode # "none")
       /\ (RemoteAccessor = "unregistered" => SlotKind \in {"shmem", "gmem"})  \* shared memory only

MutantIds == {"HugeWhileUserfault", "NoZapOnEnable", "ClearBeforeInstall",
              "NoWakeOnEexist", "RecoverWithDirtyLog", "NoUffdForKvmAccess",
              "ZapBeforeSrcuWait", "NoSeqRetry", "AsyncPfBypassesBitmap",
              "WrongExitFlags", "NoRetryOnObsoleteRoot", "BackgroundClearBeforeInstall",
              "NoZapOnReenable", "DeleteBeforeSrcuWait", "FastPathSkipsDirty",
              "NoPrivateFlag"}
ASSUME Mutants \subseteq MutantIds

Mutant(id) == id \in Mutants

\* memory_fault.flags of a USERFAULT exit: every gfn of a "gmem-private" slot is private.
UserfaultExitFlags == IF SlotKind = "gmem-private" THEN {"USERFAULT", "PRIVATE"} ELSE {"USERFAULT"}

-----------------------------------------------------------------------------
(* Vocabulary *)

Gfns == 0 .. (NumGfns - 1)
Frame(g) == {h \in Gfns : h \div HugeSpan = g \div HugeSpan}
Flags == {"USERFAULT", "DIRTY_LOG"}
SpteKinds == {"none", "small", "huge"}
Values == {"none", "fetched", "zero", "stale"}

\* Where a vCPU is. Every pc names the condition the vCPU is in after its last step (never
\* the step it takes next), so no pc shares a name with an action:
\*   idle           running guest code, no access in flight
\*   faulted        a stage-2 fault was taken: mmu_invalidate_seq and the memslot are snapshotted
\*   checked        past the bitmap check (KVM's own access has none): GUP / guest_memfd lookup
\*   uffd_waiting   asleep in handle_userfault() until a uffd COPY/CONTINUE or WAKE
\*   pfn_ready      the lookup returned a pfn: mmu_lock, the retry check and the SPTE install
\*   spte_installed the fault installed its SPTE while a USERFAULT enable, a DELETE or a MOVE waits to
\*                  commit; SRCU is released and KVM re-enters the guest, whose access has not
\*                  re-executed yet
\*   apf_pending    an async page fault is pending; the guest runs other work
\*   exited         KVM_RUN returned a USERFAULT exit; the VMM's handler has done nothing yet
\*   bit_cleared    the handler cleared the bit, the page is not installed (ClearBeforeInstall)
\*   page_installed the handler installed the page, the bit is still set
\*   resolved       the handler installed the page and cleared the bit; KVM_RUN is re-entered
Pcs == {"idle", "faulted", "checked", "uffd_waiting", "pfn_ready", "spte_installed",
        "apf_pending", "exited", "bit_cleared", "page_installed", "resolved"}
ExitStages == {"exited", "bit_cleared", "page_installed", "resolved"}
\* Stages that hold kvm->srcu: a flags-only memslot update waits for them (synchronize_srcu).
SrcuStages == {"faulted", "checked", "uffd_waiting", "pfn_ready"}
MemslotOps == {"idle", "enable", "disable", "dirtyOn", "dirtyOff", "delete", "move"}
\* A DELETE or MOVE in progress: the INVALID copy of the slot is active (kvm_invalidate_memslot()).
SlotChangeOps == {"delete", "move"}

-----------------------------------------------------------------------------
(* Variables *)

VARIABLE flags          \* flags of the active memslot
VARIABLE slotGen        \* generation of the active memslot (0/1: one update at a time)
VARIABLE memslotOp      \* flags-only update swapped in, waiting for SRCU readers and commit
VARIABLE rearm          \* USERFAULT was disabled since it was on: an enable now re-arms the slot (R5's fix)
memslotVars == <<flags, slotGen, memslotOp, rearm>>

VARIABLE bitmap         \* bitmap[g]: the userfault bit of gfn g
VARIABLE fetched        \* fetched[g]: the backing holds the content from the migration source
VARIABLE present        \* present[g]: a backing page exists where GUP / guest_memfd finds it
VARIABLE spte           \* spte[g]: stage-2 mapping of g: none | small | huge (covers Frame(g))
VARIABLE mmuSeq         \* mmu_invalidate_seq, bumped by every invalidation
memVars == <<bitmap, fetched, present, spte, mmuSeq>>

VARIABLE pc             \* pc[v]: where vCPU v is (Pcs)
VARIABLE vgfn           \* vgfn[v]: the gfn of v's current access
VARIABLE vkind          \* vkind[v]: "vcpu" (stage-2 fault) | "kvm" (KVM's own access)
VARIABLE vseq           \* vseq[v]: mmu_invalidate_seq snapshot taken at fault start
VARIABLE vgen           \* vgen[v]: memslot generation the in-flight access uses
VARIABLE budget         \* budget[v]: accesses v has still to complete
VARIABLE exitFlags      \* exitFlags[v]: memory_fault.flags of v's USERFAULT exit
VARIABLE vstale         \* vstale[v]: the zap on enable obsoleted the root v's fault uses (SlotZap = "all")
vcpuVars == <<pc, vgfn, vkind, vseq, vgen, budget, exitFlags, vstale>>

VARIABLE uffdQueue      \* gfns with a fault message that the uffd reader has not read yet
VARIABLE uffdHandling   \* uffdHandling[g]: the reader's state for g: none | read | wake
uffdVars == <<uffdQueue, uffdHandling>>

VARIABLE dirtyDone      \* dirty logging has been turned on and off (once is enough)
VARIABLE armed          \* armed[g]: g was marked where no fault could map it any more
VARIABLE lastRead       \* lastRead[v]: value class v's last guest read saw ("none": no page, an MMIO access)
VARIABLE lastKvmRead    \* lastKvmRead[v]: value class v's last KVM-internal read saw
historyVars == <<dirtyDone, armed, lastRead, lastKvmRead>>

VARIABLE bgGfn          \* the gfn the VMM's background fetch is resolving (0 while idle)
VARIABLE bgStage        \* "idle" | "installed" (page in, bit still set) | "cleared" (bit clear, page not in)
fetchVars == <<bgGfn, bgStage>>

VARIABLE apfWork        \* apfWork[v]: v's guest ran other work while an async PF of v waited for its page
apfVars == <<apfWork>>

VARIABLE remotePc       \* the remote accessor: "idle" | "uffd_waiting" | "woken" | "done" (one read per run)
VARIABLE remoteGfn      \* the gfn of its read (0 while idle or done)
VARIABLE lastRemoteRead \* the value class its read saw
remoteVars == <<remotePc, remoteGfn, lastRemoteRead>>

VARIABLE slotChanged    \* the VMM has issued its one DELETE or MOVE (SlotChanges)
slotVars == <<slotChanged>>

\* The invalidation window (InvalidateBegin .. InvalidateEnd) and the page a fault's lookup returned.
VARIABLE mmuInProgress  \* an invalidation has begun and not ended (mmu_invalidate_in_progress > 0)
VARIABLE mmuRangeGfn    \* the gfn of the invalidation in progress (mmu_invalidate_range_start; 0 while none)
VARIABLE vfreed         \* vfreed[v]: the page v's lookup returned was freed by an invalidation since
VARIABLE staleSpte      \* staleSpte[g]: g's mapping points at a page that was freed (a fault that skipped the retry)
invalVars == <<mmuInProgress, mmuRangeGfn, vfreed, staleSpte>>

\* Writes (the constant Writes): the mode of a fault, write protection, the dirty bitmap. Without
\* Writes the guest only reads, every fault is a read and nothing is write-protected.
VARIABLE vwrite         \* vwrite[v]: v's access in flight is a write
VARIABLE spteWp         \* spteWp[g]: g's mapping is write-protected (dirty logging), so a write faults
VARIABLE dirtyBitmap    \* dirtyBitmap[g]: g is set in the memslot's dirty bitmap (KVM_GET_DIRTY_LOG's view)
writeVars == <<vwrite, spteWp, dirtyBitmap>>

vars == <<memslotVars, memVars, vcpuVars, uffdVars, historyVars, fetchVars, apfVars, remoteVars, slotVars,
         invalVars, writeVars>>

-----------------------------------------------------------------------------
(* Helpers *)

\* The flags of the memslot an in-flight access of v uses: the active one, or the one the
\* pending update replaced (SRCU readers of the old slot finish before the commit).
OldFlags ==
    CASE memslotOp = "enable"   -> flags \ {"USERFAULT"}
      [] memslotOp = "disable"  -> flags \cup {"USERFAULT"}
      [] memslotOp = "dirtyOn"  -> flags \ {"DIRTY_LOG"}
      [] memslotOp = "dirtyOff" -> flags \cup {"DIRTY_LOG"}
      [] OTHER                  -> flags
SnapFlags(v) == IF vgen[v] = slotGen THEN flags ELSE OldFlags

\* The VMM's DELETE has completed: the memslot is gone.
SlotGone == SlotChanges = "delete" /\ slotChanged /\ memslotOp # "delete"
\* v's fault started on the INVALID copy a DELETE or MOVE swapped in: KVM retries it
\* (RET_PF_RETRY for a KVM_MEMSLOT_INVALID slot in kvm_mmu_faultin_pfn()) until the change is done.
OnInvalidSlot(v) == memslotOp \in SlotChangeOps /\ vgen[v] = slotGen

ValueOf(g, pres, fet) ==
    IF ~pres[g] THEN "stale" ELSE IF fet[g] THEN "fetched" ELSE "zero"

\* A stage-2 fault of v that passed the bitmap check and may still map its gfn.
PastCheck(v) == pc[v] \in {"checked", "uffd_waiting", "pfn_ready"} /\ vkind[v] = "vcpu"
\* A fault on an obsolete root cannot map any more: it retries and re-checks the bitmap.
MayStillMapWith(g, stale) == \E v \in Vcpus : PastCheck(v) /\ vgfn[v] = g /\ ~stale[v]
MayStillMap(g) == MayStillMapWith(g, vstale)

\* Userspace installs the content of g: UFFDIO_COPY (MISSING), a write to the page cache
\* then UFFDIO_CONTINUE (MINOR), or a plain write (guest_memfd, or no userfaultfd).
Eexist(g) == UffdMode # "none" /\ present[g]
InstallPage(g) ==
    /\ fetched' = [fetched EXCEPT ![g] = IF UffdMode = "missing" /\ present[g] THEN @ ELSE TRUE]
    /\ present' = [present EXCEPT ![g] = TRUE]

\* Waking every waiter on g removes its unread message too (userfaultfd_wake_function).
WokenPc(v, g) ==
    IF vgfn[v] = g /\ pc[v] = "uffd_waiting" THEN "checked"
    ELSE IF vgfn[v] = g /\ pc[v] = "apf_pending" THEN "idle"
    ELSE pc[v]
WakeWaiters(g) ==
    /\ pc' = [v \in Vcpus |-> WokenPc(v, g)]
    /\ uffdQueue' = uffdQueue \ {g}
    /\ remotePc' = IF remotePc = "uffd_waiting" /\ remoteGfn = g THEN "woken" ELSE remotePc

\* The mapping a page-ready async PF installs under AsyncPfBypassesBitmap.
ApfBypassSpte(g) ==
    IF Mutant("AsyncPfBypassesBitmap") /\ \E v \in Vcpus : pc[v] = "apf_pending" /\ vgfn[v] = g
    THEN [spte EXCEPT ![g] = IF @ = "none" THEN "small" ELSE @]
    ELSE spte

\* x86 kvm_mmu_recover_huge_pages(): every frame with a small mapping whose gfns are all
\* present becomes one huge mapping.
Recovered ==
    [g \in Gfns |->
        IF /\ \E h \in Frame(g) : spte[h] = "small"
           /\ \A h \in Frame(g) : present[h]
        THEN "huge" ELSE spte[g]]

Split == [g \in Gfns |-> IF spte[g] = "huge" THEN "small" ELSE spte[g]]

NoSpte == [g \in Gfns |-> "none"]

\* A huge mapping is allowed when the fault's memslot has neither USERFAULT nor DIRTY_LOG,
\* every gfn of the frame is present, and no 4K table already sits under the frame.
HugeOk(v, g) ==
    /\ "USERFAULT" \notin SnapFlags(v) \/ Mutant("HugeWhileUserfault")
    /\ "DIRTY_LOG" \notin SnapFlags(v)
    /\ \A h \in Frame(g) : present[h] /\ spte[h] # "small"

MapFault(v, g) ==
    IF HugeOk(v, g)
    THEN [h \in Gfns |-> IF h \in Frame(g) THEN "huge" ELSE spte[h]]
    ELSE [spte EXCEPT ![g] = "small"]

\* x86 fast_page_fault() on a write to a write-protected SPTE: the SPTE becomes writable and g is
\* marked in the dirty bitmap while dirty logging is on (FastPathSkipsDirty: not marked).
FastFix(g) ==
    /\ spteWp' = [spteWp EXCEPT ![g] = FALSE]
    /\ dirtyBitmap' = [dirtyBitmap EXCEPT ![g] =
                          @ \/ ("DIRTY_LOG" \in flags /\ ~Mutant("FastPathSkipsDirty"))]

\* The write protection after v's fault maps g: a huge mapping is never write-protected (dirty
\* logging forces 4K); a 4K one is when a read fault maps it in a dirty-logged slot (x86 may
\* also map a read writable and mark g at once; the model defers the mark to the first write).
WpAfterMap(v, g) ==
    IF HugeOk(v, g)
    THEN [h \in Gfns |-> IF h \in Frame(g) THEN FALSE ELSE spteWp[h]]
    ELSE [spteWp EXCEPT ![g] = Writes /\ ~vwrite[v] /\ "DIRTY_LOG" \in SnapFlags(v)]

\* v goes back to running guest code; per-access fields return to defaults so that
\* equal situations are equal states.
ResetVcpu(v) ==
    /\ vgfn' = [vgfn EXCEPT ![v] = 0]
    /\ vkind' = [vkind EXCEPT ![v] = "vcpu"]
    /\ vseq' = [vseq EXCEPT ![v] = 0]
    /\ vgen' = [vgen EXCEPT ![v] = 0]
    /\ vstale' = [vstale EXCEPT ![v] = FALSE]

-----------------------------------------------------------------------------
(* Initial state *)

InitMemslotVars ==
    /\ flags = IF UserfaultUse = "start" THEN {"USERFAULT"} ELSE {}
    /\ slotGen = 0
    /\ memslotOp = "idle"
    /\ rearm = FALSE

InitMemVars ==
    /\ bitmap = [g \in Gfns |-> UserfaultUse = "start"]
    /\ fetched = [g \in Gfns |-> FALSE]
    \* guest_memfd is preallocated (zero-filled) on the destination; anon and shmem start
    \* without a host mapping (MISSING faults for anon, MINOR faults for shmem page cache).
    /\ present = [g \in Gfns |-> SlotKind \in GuestMemfdKinds]
    /\ spte = NoSpte
    /\ mmuSeq = 0

InitVcpuVars ==
    /\ pc = [v \in Vcpus |-> "idle"]
    /\ vgfn = [v \in Vcpus |-> 0]
    /\ vkind = [v \in Vcpus |-> "vcpu"]
    /\ vseq = [v \in Vcpus |-> 0]
    /\ vgen = [v \in Vcpus |-> 0]
    /\ budget = [v \in Vcpus |-> Accesses]
    /\ exitFlags = [v \in Vcpus |-> {}]
    /\ vstale = [v \in Vcpus |-> FALSE]

InitUffdVars ==
    /\ uffdQueue = {}
    /\ uffdHandling = [g \in Gfns |-> "none"]

InitHistoryVars ==
    /\ dirtyDone = FALSE
    /\ armed = [g \in Gfns |-> UserfaultUse = "start"]
    /\ lastRead = [v \in Vcpus |-> "none"]
    /\ lastKvmRead = [v \in Vcpus |-> "none"]

InitFetchVars ==
    /\ bgGfn = 0
    /\ bgStage = "idle"

InitModelBVars ==
    /\ apfWork = [v \in Vcpus |-> FALSE]
    /\ remotePc = "idle"
    /\ remoteGfn = 0
    /\ lastRemoteRead = "none"
    /\ slotChanged = FALSE
InitInvalVars ==
    /\ mmuInProgress = FALSE
    /\ mmuRangeGfn = 0
    /\ vfreed = [v \in Vcpus |-> FALSE]
    /\ staleSpte = [g \in Gfns |-> FALSE]

InitWriteVars ==
    /\ vwrite = [v \in Vcpus |-> FALSE]
    /\ spteWp = [g \in Gfns |-> FALSE]
    /\ dirtyBitmap = [g \in Gfns |-> FALSE]
Init == InitMemslotVars /\ InitMemVars /\ InitVcpuVars /\ InitUffdVars /\ InitHistoryVars
        /\ InitFetchVars /\ InitModelBVars /\ InitInvalVars /\ InitWriteVars

-----------------------------------------------------------------------------
(* vCPU actions *)

\* vCPU v's guest touches gfn g. Mapped: the read completes. Unmapped: a stage-2 fault
\* starts: kvm_mmu_faultin_pfn() snapshots mmu_invalidate_seq, under the SRCU-protected slot.
Access(v, g) ==
    /\ pc[v] = "idle"
    /\ budget[v] > 0
    /\ ~SlotGone                       \* no memslot: MmioAccess
    \* While a DELETE or MOVE runs, KVM retries a new fault on the INVALID slot until the change is
    \* done: the access takes effect after it (a fault already in flight is handled at CheckBitmap).
    /\ memslotOp \notin SlotChangeOps
    /\ IF spte[g] # "none"
       THEN /\ lastRead' = [lastRead EXCEPT ![v] = ValueOf(g, present, fetched)]
            /\ budget' = [budget EXCEPT ![v] = @ - 1]
            /\ UNCHANGED <<pc, vgfn, vkind, vseq, vgen, vstale>>
       ELSE /\ pc' = [pc EXCEPT ![v] = "faulted"]
            /\ vgfn' = [vgfn EXCEPT ![v] = g]
            /\ vkind' = [vkind EXCEPT ![v] = "vcpu"]
            /\ vseq' = [vseq EXCEPT ![v] = mmuSeq]
            /\ vgen' = [vgen EXCEPT ![v] = slotGen]
            /\ UNCHANGED <<budget, lastRead, vstale>>
    /\ UNCHANGED <<memslotVars, memVars, exitFlags, uffdVars, dirtyDone, armed, lastKvmRead>>
    /\ UNCHANGED fetchVars
    /\ UNCHANGED <<apfVars, remoteVars, slotVars>>
    /\ UNCHANGED invalVars
    /\ UNCHANGED writeVars

\* KVM itself reads gfn g for v (emulation, PV clock, steal time): through the HVA, with
\* no bitmap check (PUCK 2024-08-07: left to userfaultfd).
KvmAccess(v, g) ==
    /\ KvmAccesses
    /\ pc[v] = "idle"
    /\ memslotOp \notin SlotChangeOps /\ ~SlotGone   \* gfn_to_hva() of an INVALID or no slot: not modelled
    /\ budget[v] > 0
    /\ pc' = [pc EXCEPT ![v] = "checked"]
    /\ vgfn' = [vgfn EXCEPT ![v] = g]
    /\ vkind' = [vkind EXCEPT ![v] = "kvm"]
    /\ vgen' = [vgen EXCEPT ![v] = slotGen]
    /\ UNCHANGED <<memslotVars, memVars, vseq, budget, exitFlags, vstale, uffdVars, historyVars>>
    /\ UNCHANGED fetchVars
    /\ UNCHANGED <<apfVars, remoteVars, slotVars>>
    /\ UNCHANGED invalVars
    /\ UNCHANGED writeVars

\* kvm_do_userfault(): a set bit in a USERFAULT slot ends KVM_RUN with -EFAULT and a
\* KVM_EXIT_MEMORY_FAULT (gpa = gfn << PAGE_SHIFT, size = PAGE_SIZE, flags = USERFAULT, | PRIVATE for a
\* private gfn: kvm_prepare_memory_fault_exit() sets it from fault->is_private).
CheckBitmap(v) ==
    LET g == vgfn[v] IN
    /\ pc[v] = "faulted"
    /\ ~OnInvalidSlot(v) /\ ~SlotGone   \* retried until a DELETE/MOVE is done (SlotChange), MmioExit
    /\ IF /\ Mutant("AsyncPfBypassesBitmap")
          /\ AsyncPf = "kernel" /\ UffdMode # "none" /\ ~present[g]
       THEN /\ pc' = [pc EXCEPT ![v] = "apf_pending"]
            /\ uffdQueue' = uffdQueue \cup {g}
            /\ vstale' = [vstale EXCEPT ![v] = FALSE]
            /\ UNCHANGED exitFlags
       ELSE IF "USERFAULT" \in SnapFlags(v) /\ bitmap[g]
       THEN /\ pc' = [pc EXCEPT ![v] = "exited"]
            /\ exitFlags' = [exitFlags EXCEPT ![v] =
                                IF Mutant("WrongExitFlags") THEN {}
                                ELSE IF Mutant("NoPrivateFlag") THEN {"USERFAULT"}
                                ELSE UserfaultExitFlags]
            /\ vstale' = [vstale EXCEPT ![v] = FALSE]
            /\ UNCHANGED uffdQueue
       ELSE /\ pc' = [pc EXCEPT ![v] = "checked"]
            /\ UNCHANGED <<exitFlags, uffdQueue, vstale>>
    /\ UNCHANGED <<memslotVars, memVars, vgfn, vkind, vseq, vgen, budget, uffdHandling, historyVars>>
    /\ UNCHANGED fetchVars
    /\ UNCHANGED <<apfVars, remoteVars, slotVars>>
    /\ UNCHANGED invalVars
    /\ UNCHANGED writeVars

\* GUP through the HVA, or the guest_memfd lookup. A missing page: guest_memfd and plain
\* memory allocate a zero page; a userfaultfd-registered range queues a fault message and
\* sleeps, or, with kernel async PF, hands the wait to a work item and lets the guest run.
\* KVM's own access completes here.
Lookup(v) ==
    LET g == vgfn[v]
        uffdCatches == /\ UffdMode # "none" /\ SlotKind \notin GuestMemfdKinds
                       /\ ~(vkind[v] = "kvm" /\ Mutant("NoUffdForKvmAccess"))
    IN
    /\ pc[v] = "checked"
    /\ IF ~present[g] /\ uffdCatches
       THEN /\ pc' = [pc EXCEPT ![v] =
                        IF vkind[v] = "vcpu" /\ AsyncPf = "kernel" THEN "apf_pending" ELSE "uffd_waiting"]
            /\ uffdQueue' = uffdQueue \cup {g}
            \* an async PF retries the access on a new root once the page is ready
            /\ vstale' = [vstale EXCEPT ![v] = IF pc'[v] = "apf_pending" THEN FALSE ELSE @]
            /\ UNCHANGED <<present, vgfn, vkind, vseq, vgen, budget, lastKvmRead>>
       ELSE /\ present' = [present EXCEPT ![g] = TRUE]
            /\ IF vkind[v] = "kvm"
               THEN /\ lastKvmRead' = [lastKvmRead EXCEPT ![v] = ValueOf(g, present', fetched)]
                    /\ budget' = [budget EXCEPT ![v] = @ - 1]
                    /\ pc' = [pc EXCEPT ![v] = "idle"]
                    /\ ResetVcpu(v)
               ELSE /\ pc' = [pc EXCEPT ![v] = "pfn_ready"]
                    /\ UNCHANGED <<vgfn, vkind, vseq, vgen, budget, lastKvmRead, vstale>>
            /\ UNCHANGED uffdQueue
    /\ UNCHANGED <<memslotVars, bitmap, fetched, spte, mmuSeq, exitFlags, uffdHandling,
                   dirtyDone, armed, lastRead>>
    /\ UNCHANGED fetchVars
    /\ UNCHANGED <<apfVars, remoteVars, slotVars>>
    /\ UNCHANGED invalVars
    /\ UNCHANGED writeVars

\* The guest re-executes the access of v that a retried fault returned to (RET_PF_RETRY): KVM
\* re-enters the guest inside the same KVM_RUN and the guest faults again, so nothing returns to
\* userspace and the guest cannot do anything else first. Mapped by now: the read completes;
\* else the fault starts again on gfn g with fresh snapshots of mmu_invalidate_seq and the slot
\* (its root is new, so not obsolete). The same as Access(v, g) from pc idle.
\* A write meets a write-protected mapping: on x86 fast_page_fault() makes it writable (it only
\* fixes present SPTEs, no bitmap check) and marks g dirty; on arm64 it faults again
\* (a permission fault through user_mem_abort(), which checks the bitmap).
Refault(v, g) ==
    IF spte[g] # "none" /\ (~vwrite[v] \/ ~spteWp[g] \/ Arch = "x86")
    THEN /\ lastRead' = [lastRead EXCEPT ![v] = ValueOf(g, present, fetched)]
         /\ budget' = [budget EXCEPT ![v] = @ - 1]
         /\ pc' = [pc EXCEPT ![v] = "idle"]
         /\ ResetVcpu(v)
         /\ vwrite' = [vwrite EXCEPT ![v] = FALSE]
         /\ IF vwrite[v] /\ spteWp[g] THEN FastFix(g) ELSE UNCHANGED <<spteWp, dirtyBitmap>>
    ELSE /\ pc' = [pc EXCEPT ![v] = "faulted"]
         /\ vseq' = [vseq EXCEPT ![v] = mmuSeq]
         /\ vgen' = [vgen EXCEPT ![v] = slotGen]
         /\ vstale' = [vstale EXCEPT ![v] = FALSE]
         /\ UNCHANGED <<vgfn, vkind, budget, lastRead>>
         /\ UNCHANGED writeVars

\* mmu_invalidate_retry_gfn(): an invalidation ended since the fault's snapshot of
\* mmu_invalidate_seq, or one is in progress on the fault's gfn (its seq bump is still to come).
InvalidateRetry(v, g) == vseq[v] # mmuSeq \/ (mmuInProgress /\ mmuRangeGfn = g)

\* Under mmu_lock, is_page_fault_stale() (x86; arm64's mmu_invalidate_retry() in
\* user_mem_abort() alike): retry if an invalidation ran since the snapshot or the root is
\* obsolete, else install the SPTE (4K only while USERFAULT or DIRTY_LOG is on) and the guest's
\* read completes. Both retries are RET_PF_RETRY (arm64: -EAGAIN) and stay inside KVM_RUN: the
\* guest faults again at once (Refault), in the same hidden step. While a memslot update whose
\* commit zaps waits (a USERFAULT enable, a DELETE, a MOVE), the guest's read is not part of the
\* install: KVM drops SRCU before it re-enters the guest, so the commit's zap may come first
\* (spte_installed, then ReenterGuest; after a DELETE's zap the re-executed access exits as MMIO).
ZapPending == memslotOp \in {"enable"} \cup SlotChangeOps
InstallSpte(v) ==
    LET g == vgfn[v] IN
    /\ pc[v] = "pfn_ready"
    /\ IF \/ InvalidateRetry(v, g) /\ ~Mutant("NoSeqRetry")
          \/ vstale[v] /\ ~Mutant("NoRetryOnObsoleteRoot")
       THEN /\ Refault(v, g)
            /\ UNCHANGED <<spte, staleSpte>>
       ELSE /\ spte' = MapFault(v, g)
            \* the mapping points at the page the lookup returned: freed since, it is stale
            /\ staleSpte' = [staleSpte EXCEPT ![g] = vfreed[v]]
            /\ spteWp' = WpAfterMap(v, g)
            \* make_spte(): a writable SPTE in a dirty-logged slot marks g (mark_page_dirty_in_slot())
            /\ dirtyBitmap' = [dirtyBitmap EXCEPT ![g] = @ \/ (vwrite[v] /\ "DIRTY_LOG" \in SnapFlags(v))]
            /\ vwrite' = IF ZapPending THEN vwrite ELSE [vwrite EXCEPT ![v] = FALSE]
            /\ IF ZapPending
               THEN /\ pc' = [pc EXCEPT ![v] = "spte_installed"]
                    /\ vseq' = [vseq EXCEPT ![v] = 0]
                    /\ vgen' = [vgen EXCEPT ![v] = 0]
                    /\ vstale' = [vstale EXCEPT ![v] = FALSE]
                    /\ UNCHANGED <<vgfn, vkind, budget, lastRead>>
               ELSE /\ lastRead' = [lastRead EXCEPT ![v] = ValueOf(g, present, fetched)]
                    /\ budget' = [budget EXCEPT ![v] = @ - 1]
                    /\ pc' = [pc EXCEPT ![v] = "idle"]
                    /\ ResetVcpu(v)
    /\ UNCHANGED <<memslotVars, bitmap, fetched, present, mmuSeq, exitFlags, uffdVars,
                   dirtyDone, armed, lastKvmRead>>
    /\ UNCHANGED fetchVars
    /\ UNCHANGED <<apfVars, remoteVars, slotVars>>
    /\ vfreed' = [vfreed EXCEPT ![v] = FALSE]
    /\ UNCHANGED <<mmuInProgress, mmuRangeGfn>>

\* VM-entry after a fault installed its SPTE: the guest re-executes the access. Still mapped:
\* the read completes; zapped meanwhile (the enable's commit, kvm_arch_flush_shadow_memslot()):
\* the guest faults again on the new slot and may exit on its bit (Refault).
ReenterGuest(v) ==
    /\ pc[v] = "spte_installed"
    /\ Refault(v, vgfn[v])
    /\ UNCHANGED <<memslotVars, memVars, exitFlags, uffdVars, dirtyDone, armed, lastKvmRead>>
    /\ UNCHANGED fetchVars
    /\ UNCHANGED <<apfVars, remoteVars, slotVars>>
    /\ UNCHANGED invalVars

\* vCPU v's guest writes gfn g (Writes). A writable mapping: the write completes. A
\* write-protected one (dirty logging): x86's fast_page_fault() fixes it, marks g dirty and the
\* write completes; arm64 takes a permission fault through user_mem_abort(), which checks the
\* bitmap like any fault. Unmapped: a write fault starts. lastRead records the page the write
\* lands on (a write to a page that has not been fetched is lost as much as a read is wrong).
AccessWrite(v, g) ==
    /\ Writes
    /\ pc[v] = "idle"
    /\ budget[v] > 0
    /\ ~SlotGone                       \* no memslot: MmioAccess (a read or a write alike)
    /\ memslotOp \notin SlotChangeOps  \* as Access: takes effect after a DELETE or MOVE
    /\ IF spte[g] # "none" /\ (~spteWp[g] \/ Arch = "x86")
       THEN /\ lastRead' = [lastRead EXCEPT ![v] = ValueOf(g, present, fetched)]
            /\ budget' = [budget EXCEPT ![v] = @ - 1]
            /\ IF spteWp[g] THEN FastFix(g) ELSE UNCHANGED <<spteWp, dirtyBitmap>>
            /\ UNCHANGED <<pc, vgfn, vkind, vseq, vgen, vstale, vwrite>>
       ELSE /\ pc' = [pc EXCEPT ![v] = "faulted"]
            /\ vgfn' = [vgfn EXCEPT ![v] = g]
            /\ vkind' = [vkind EXCEPT ![v] = "vcpu"]
            /\ vseq' = [vseq EXCEPT ![v] = mmuSeq]
            /\ vgen' = [vgen EXCEPT ![v] = slotGen]
            /\ vwrite' = [vwrite EXCEPT ![v] = TRUE]
            /\ UNCHANGED <<budget, lastRead, vstale, spteWp, dirtyBitmap>>
    /\ UNCHANGED <<memslotVars, memVars, exitFlags, uffdVars, dirtyDone, armed, lastKvmRead>>
    /\ UNCHANGED <<fetchVars, invalVars>>
    /\ UNCHANGED <<apfVars, remoteVars, slotVars>>

-----------------------------------------------------------------------------
(* The VMM's USERFAULT exit handler for vCPU v *)

\* Install the page: UFFDIO_COPY / UFFDIO_CONTINUE with DONTWAKE (EEXIST is ignored),
\* or a plain write. ClearBeforeInstall does this after clearing the bit.
Install(v) ==
    LET g == vgfn[v] IN
    /\ \/ pc[v] = "exited" /\ ~Mutant("ClearBeforeInstall")
          /\ pc' = [pc EXCEPT ![v] = "page_installed"]
       \/ pc[v] = "bit_cleared"
          /\ pc' = [pc EXCEPT ![v] = "resolved"]
    /\ InstallPage(g)
    /\ UNCHANGED <<memslotVars, bitmap, spte, mmuSeq, vgfn, vkind, vseq, vgen, budget,
                   exitFlags, vstale, uffdVars, historyVars>>
    /\ UNCHANGED fetchVars
    /\ UNCHANGED <<apfVars, remoteVars, slotVars>>
    /\ UNCHANGED invalVars
    /\ UNCHANGED writeVars

\* Clear the bit with a store-release (after the install, unless ClearBeforeInstall).
ClearBit(v) ==
    LET g == vgfn[v] IN
    /\ \/ pc[v] = "page_installed"
          /\ pc' = [pc EXCEPT ![v] = "resolved"]
       \/ pc[v] = "exited" /\ Mutant("ClearBeforeInstall")
          /\ pc' = [pc EXCEPT ![v] = "bit_cleared"]
    /\ bitmap' = [bitmap EXCEPT ![g] = FALSE]
    /\ armed' = [armed EXCEPT ![g] = FALSE]
    /\ UNCHANGED <<memslotVars, fetched, present, spte, mmuSeq, vgfn, vkind, vseq, vgen,
                   budget, exitFlags, vstale, uffdVars, dirtyDone, lastRead, lastKvmRead>>
    /\ UNCHANGED fetchVars
    /\ UNCHANGED <<apfVars, remoteVars, slotVars>>
    /\ UNCHANGED invalVars
    /\ UNCHANGED writeVars

\* Re-enter KVM_RUN; the guest retries the access.
ResumeVcpu(v) ==
    /\ pc[v] = "resolved"
    /\ pc' = [pc EXCEPT ![v] = "idle"]
    /\ ResetVcpu(v)
    /\ exitFlags' = [exitFlags EXCEPT ![v] = {}]
    /\ UNCHANGED <<memslotVars, memVars, budget, uffdVars, historyVars>>
    /\ UNCHANGED fetchVars
    /\ UNCHANGED <<apfVars, remoteVars, slotVars>>
    /\ UNCHANGED invalVars
    /\ vwrite' = [vwrite EXCEPT ![v] = FALSE]
    /\ UNCHANGED <<spteWp, dirtyBitmap>>

-----------------------------------------------------------------------------
(* The VMM's userfaultfd reader *)

\* read(uffd) returns the fault message for g.
UffdRead(g) ==
    /\ g \in uffdQueue
    /\ uffdHandling[g] = "none"
    /\ uffdQueue' = uffdQueue \ {g}
    /\ uffdHandling' = [uffdHandling EXCEPT ![g] = "read"]
    /\ UNCHANGED <<memslotVars, memVars, vcpuVars, historyVars>>
    /\ UNCHANGED fetchVars
    /\ UNCHANGED <<apfVars, remoteVars, slotVars>>
    /\ UNCHANGED invalVars
    /\ UNCHANGED writeVars

\* UFFDIO_COPY / UFFDIO_CONTINUE with wake. It fails with EEXIST when the page is already
\* there (the exit handler won the race, R2); then the reader must issue UFFDIO_WAKE.
UffdInstall(g) ==
    /\ uffdHandling[g] = "read"
    /\ InstallPage(g)
    /\ IF Eexist(g)
       THEN /\ uffdHandling' = [uffdHandling EXCEPT ![g] =
                                   IF Mutant("NoWakeOnEexist") THEN "none" ELSE "wake"]
            /\ UNCHANGED <<pc, uffdQueue, spte, remotePc>>
       ELSE /\ uffdHandling' = [uffdHandling EXCEPT ![g] = "none"]
            /\ WakeWaiters(g)
            /\ spte' = ApfBypassSpte(g)
    /\ UNCHANGED <<memslotVars, bitmap, mmuSeq, vgfn, vkind, vseq, vgen, budget, exitFlags,
                   vstale, historyVars>>
    /\ UNCHANGED fetchVars
    /\ UNCHANGED <<apfVars, remoteGfn, lastRemoteRead, slotVars>>
    /\ UNCHANGED invalVars
    /\ UNCHANGED writeVars

\* UFFDIO_WAKE after EEXIST.
UffdWake(g) ==
    /\ uffdHandling[g] = "wake"
    /\ uffdHandling' = [uffdHandling EXCEPT ![g] = "none"]
    /\ WakeWaiters(g)
    /\ spte' = ApfBypassSpte(g)
    /\ UNCHANGED <<memslotVars, bitmap, fetched, present, mmuSeq, vgfn, vkind, vseq, vgen,
                   budget, exitFlags, vstale, historyVars>>
    /\ UNCHANGED fetchVars
    /\ UNCHANGED <<apfVars, remoteGfn, lastRemoteRead, slotVars>>
    /\ UNCHANGED invalVars
    /\ UNCHANGED writeVars

-----------------------------------------------------------------------------
(* The VMM's other requests *)

\* Userspace marks g (a bitmap store). It only affects faults that start afterwards; a
\* mark on a mapped gfn has no effect until USERFAULT is disabled and enabled again.
SetBit(g) ==
    /\ UserfaultUse = "late"
    /\ ~bitmap[g]
    /\ bitmap' = [bitmap EXCEPT ![g] = TRUE]
    /\ armed' = [armed EXCEPT ![g] = spte[g] = "none" /\ ~MayStillMap(g)]
    /\ UNCHANGED <<memslotVars, fetched, present, spte, mmuSeq, vcpuVars, uffdVars,
                   dirtyDone, lastRead, lastKvmRead>>
    /\ UNCHANGED fetchVars
    /\ UNCHANGED <<apfVars, remoteVars, slotVars>>
    /\ UNCHANGED invalVars
    /\ UNCHANGED writeVars

\* KVM_SET_USER_MEMORY_REGION2, flags-only, USERFAULT 0 -> 1: the new slot is swapped in.
\* The zap waits for SRCU readers of the old slot (CommitMemslot); ZapBeforeSrcuWait zaps now.
EnableUserfault ==
    /\ UserfaultUse = "late"
    /\ ~SlotGone
    /\ memslotOp = "idle"
    /\ "USERFAULT" \notin flags
    /\ \E g \in Gfns : bitmap[g]
    /\ flags' = flags \cup {"USERFAULT"}
    /\ slotGen' = 1 - slotGen
    /\ memslotOp' = "enable"
    /\ spte' = IF Mutant("ZapBeforeSrcuWait") THEN NoSpte ELSE spte
    /\ UNCHANGED <<rearm, bitmap, fetched, present, mmuSeq, vcpuVars, uffdVars, historyVars>>
    /\ UNCHANGED fetchVars
    /\ UNCHANGED <<apfVars, remoteVars, slotVars>>
    /\ UNCHANGED invalVars
    /\ spteWp' = [h \in Gfns |-> spteWp[h] /\ spte'[h] # "none"]
    /\ UNCHANGED <<vwrite, dirtyBitmap>>

\* USERFAULT 1 -> 0: post-copy is over (nothing marked), or aborted with bits still set (the
\* kernel has no rule against it: marked gfns are simply no longer trapped). Marks set on mapped
\* gfns take effect once USERFAULT is enabled again (R5's documented fix: disable, re-enable).
\* With bits set only where userfaultfd catches the marked gfns meanwhile: on guest_memfd
\* without it the guest would read unfetched pages until the re-enable commits.
DisableUserfault ==
    /\ UserfaultUse # "none"
    /\ memslotOp = "idle"
    /\ "USERFAULT" \in flags
    /\ UffdMode # "none" \/ \A g \in Gfns : ~bitmap[g]
    /\ flags' = flags \ {"USERFAULT"}
    /\ slotGen' = 1 - slotGen
    /\ memslotOp' = "disable"
    /\ rearm' = TRUE
    /\ UNCHANGED <<memVars, vcpuVars, uffdVars, historyVars>>
    /\ UNCHANGED fetchVars
    /\ UNCHANGED <<apfVars, remoteVars, slotVars>>
    /\ UNCHANGED invalVars
    /\ UNCHANGED writeVars

\* KVM_MEM_LOG_DIRTY_PAGES 0 -> 1.
EnableDirtyLog ==
    /\ DirtyLog
    /\ ~SlotGone
    /\ ~dirtyDone
    /\ memslotOp = "idle"
    /\ "DIRTY_LOG" \notin flags
    /\ flags' = flags \cup {"DIRTY_LOG"}
    /\ slotGen' = 1 - slotGen
    /\ memslotOp' = "dirtyOn"
    /\ UNCHANGED <<rearm, memVars, vcpuVars, uffdVars, historyVars>>
    /\ UNCHANGED fetchVars
    /\ UNCHANGED <<apfVars, remoteVars, slotVars>>
    /\ UNCHANGED invalVars
    /\ UNCHANGED writeVars

\* KVM_MEM_LOG_DIRTY_PAGES 1 -> 0.
DisableDirtyLog ==
    /\ memslotOp = "idle"
    /\ "DIRTY_LOG" \in flags
    /\ flags' = flags \ {"DIRTY_LOG"}
    /\ slotGen' = 1 - slotGen
    /\ memslotOp' = "dirtyOff"
    /\ dirtyDone' = TRUE
    /\ UNCHANGED <<rearm, memVars, vcpuVars, uffdVars, armed, lastRead, lastKvmRead>>
    /\ UNCHANGED fetchVars
    /\ UNCHANGED <<apfVars, remoteVars, slotVars>>
    /\ UNCHANGED invalVars
    /\ UNCHANGED writeVars

\* After synchronize_srcu() (no in-flight access uses the old slot) the arch commit runs:
\* enable (the first or a re-arm): kvm_arch_userfault_enabled() drops every mapping of the slot
\* (NoZapOnReenable: only the first enable does, R5); disable: x86
\* recovers huge pages unless dirty logging is on (R10), arm64 does nothing (R7);
\* dirty logging on: huge mappings split; off: x86 recovers unless USERFAULT is on.
\* SlotZap = "all" (x86 under KVM_X86_QUIRK_SLOT_ZAP_ALL): the zap obsoletes every root, so a
\* fault in flight on the new slot retries at InstallSpte and then meets a bit set meanwhile;
\* "memslot": the fault may still map, and a bit set meanwhile has no effect (R5).
CommitMemslot ==
    /\ memslotOp # "idle"
    /\ memslotOp \notin SlotChangeOps   \* CommitSlotChange
    /\ \A v \in Vcpus : pc[v] \in SrcuStages => vgen[v] = slotGen
    /\ memslotOp' = "idle"
    /\ CASE memslotOp = "enable" ->
              /\ spte' = IF \/ Mutant("NoZapOnEnable") \/ Mutant("ZapBeforeSrcuWait")
                            \/ rearm /\ Mutant("NoZapOnReenable")
                         THEN spte ELSE NoSpte
              /\ vstale' = [v \in Vcpus |->
                              vstale[v] \/ (SlotZap = "all" /\ pc[v] \in SrcuStages /\ vkind[v] = "vcpu")]
              /\ armed' = [g \in Gfns |-> bitmap[g] /\ ~MayStillMapWith(g, vstale')]
         [] memslotOp = "disable" ->
              /\ spte' = IF Arch = "x86" /\ ("DIRTY_LOG" \notin flags \/ Mutant("RecoverWithDirtyLog"))
                         THEN Recovered ELSE spte
              /\ UNCHANGED <<armed, vstale>>
         [] memslotOp = "dirtyOn" ->
              /\ spte' = Split
              /\ UNCHANGED <<armed, vstale>>
         [] memslotOp = "dirtyOff" ->
              /\ spte' = IF Arch = "x86" /\ "USERFAULT" \notin flags THEN Recovered ELSE spte
              /\ UNCHANGED <<armed, vstale>>
    /\ UNCHANGED <<flags, slotGen, rearm, bitmap, fetched, present, mmuSeq, pc, vgfn, vkind, vseq, vgen,
                   budget, exitFlags, uffdVars, dirtyDone, lastRead, lastKvmRead>>
    /\ UNCHANGED fetchVars
    /\ UNCHANGED <<apfVars, remoteVars, slotVars>>
    /\ UNCHANGED invalVars
    \* dirty logging on write-protects every mapping (kvm_mmu_slot_apply_flags()); a zap or a
    \* recovered huge mapping is not write-protected
    /\ spteWp' = [h \in Gfns |-> /\ Writes /\ spte'[h] # "none"
                                  /\ \/ memslotOp = "dirtyOn"
                                     \/ spteWp[h] /\ spte'[h] # "huge"]
    /\ UNCHANGED <<vwrite, dirtyBitmap>>

\* The invalidation window. MADV_DONTNEED (anon, shmem) or a guest_memfd punch hole on g runs
\* the mmu notifier's invalidate_range_start(): kvm_mmu_invalidate_begin() raises
\* mmu_invalidate_in_progress over g's range and the SPTE covering g is zapped; then the page
\* is freed (anon and guest_memfd lose the content; shmem keeps it in the page cache) and a
\* fault that already holds it (pfn_ready) holds a freed page (vfreed). invalidate_range_end():
\* kvm_mmu_invalidate_end() bumps mmu_invalidate_seq and drops in_progress. A fault's lookup
\* may repopulate g inside the window; its install retries (InvalidateRetry). Without
\* userfaultfd nothing else catches the next access, so the VMM discards only a gfn that is
\* marked and that its exit handler is not resolving at the same time. One madvise call is
\* InvalidateBegin; InvalidateEnd is the rest of the same call (hidden in traces).
InvalidateBegin(g) ==
    /\ ~mmuInProgress
    /\ mmuSeq < MaxInvalidate
    /\ \/ UffdMode # "none"
       \/ /\ bitmap[g] /\ ~\E v \in Vcpus : pc[v] \in ExitStages /\ vgfn[v] = g
          /\ ~(bgStage # "idle" /\ bgGfn = g)
    /\ present[g]
    /\ mmuInProgress' = TRUE
    /\ mmuRangeGfn' = g
    /\ spte' = IF spte[g] = "huge"
               THEN [h \in Gfns |-> IF h \in Frame(g) THEN "none" ELSE spte[h]]
               ELSE [spte EXCEPT ![g] = "none"]
    /\ staleSpte' = [h \in Gfns |-> staleSpte[h] /\ spte'[h] # "none"]
    /\ present' = [present EXCEPT ![g] = FALSE]
    /\ fetched' = [fetched EXCEPT ![g] = IF SlotKind = "shmem" THEN @ ELSE FALSE]
    /\ vfreed' = [v \in Vcpus |-> vfreed[v] \/ (pc[v] = "pfn_ready" /\ vgfn[v] = g)]
    /\ spteWp' = [h \in Gfns |-> spteWp[h] /\ spte'[h] # "none"]
    /\ UNCHANGED <<memslotVars, bitmap, mmuSeq, vcpuVars, uffdVars, historyVars>>
    /\ UNCHANGED <<fetchVars, vwrite, dirtyBitmap>>
    /\ UNCHANGED <<apfVars, remoteVars, slotVars>>

InvalidateEnd(g) ==
    /\ mmuInProgress
    /\ mmuRangeGfn = g
    /\ mmuSeq' = mmuSeq + 1
    /\ mmuInProgress' = FALSE
    /\ mmuRangeGfn' = 0
    /\ UNCHANGED <<memslotVars, bitmap, fetched, present, spte, vcpuVars, uffdVars, historyVars>>
    /\ UNCHANGED <<fetchVars, vfreed, staleSpte>>
    /\ UNCHANGED writeVars
    /\ UNCHANGED <<apfVars, remoteVars, slotVars>>

\* The VMM's migration stream (background fetch, BackgroundFetch): it installs the content of a
\* marked gfn that no fault asked for (UFFDIO_COPY with wake, UFFDIO_CONTINUE, or a guest_memfd
\* write; EEXIST when a fault path installed it first), then clears the bit with a
\* store-release, one gfn at a time and with no exit. BackgroundClearBeforeInstall clears the
\* bit first: R6 on this path (a vCPU maps the page before the content lands).
FetchInstall(g) ==
    /\ BackgroundFetch
    /\ \/ /\ bgStage = "idle" /\ ~Mutant("BackgroundClearBeforeInstall")
          /\ bitmap[g] /\ ~fetched[g]
          /\ bgStage' = "installed"
          /\ bgGfn' = g
       \/ /\ bgStage = "cleared" /\ bgGfn = g
          /\ bgStage' = "idle"
          /\ bgGfn' = 0
    /\ InstallPage(g)
    /\ IF Eexist(g)
       THEN UNCHANGED <<pc, uffdQueue, spte, remotePc>>
       ELSE /\ WakeWaiters(g)
            /\ spte' = ApfBypassSpte(g)
    /\ UNCHANGED <<memslotVars, bitmap, mmuSeq, vgfn, vkind, vseq, vgen, budget, exitFlags,
                   vstale, uffdHandling, historyVars>>
    /\ UNCHANGED <<apfVars, remoteGfn, lastRemoteRead, slotVars>>
    /\ UNCHANGED invalVars
    /\ UNCHANGED writeVars

FetchClearBit(g) ==
    /\ BackgroundFetch
    /\ \/ /\ bgStage = "installed" /\ bgGfn = g
          /\ bgStage' = "idle"
          /\ bgGfn' = 0
       \/ /\ bgStage = "idle" /\ Mutant("BackgroundClearBeforeInstall")
          /\ bitmap[g] /\ ~fetched[g]
          /\ bgStage' = "cleared"
          /\ bgGfn' = g
    /\ bitmap' = [bitmap EXCEPT ![g] = FALSE]
    /\ armed' = [armed EXCEPT ![g] = FALSE]
    /\ UNCHANGED <<memslotVars, fetched, present, spte, mmuSeq, vcpuVars, uffdVars,
                   dirtyDone, lastRead, lastKvmRead>>
    /\ UNCHANGED <<apfVars, remoteVars, slotVars>>
    /\ UNCHANGED invalVars
    /\ UNCHANGED writeVars

-----------------------------------------------------------------------------
(* Async page faults: the guest runs other work *)

\* While v's stage-2 fault waits as an async PF (the guest got "page not present" and its
\* scheduler switched tasks), the guest runs other work on v: what async PF is for. Once per
\* wait is enough to show it (apfWork is history).
GuestWork(v) ==
    /\ pc[v] = "apf_pending"
    /\ ~apfWork[v]
    /\ apfWork' = [apfWork EXCEPT ![v] = TRUE]
    /\ UNCHANGED <<memslotVars, memVars, vcpuVars, uffdVars, historyVars, fetchVars, remoteVars, slotVars>>
    /\ UNCHANGED <<invalVars, writeVars>>

-----------------------------------------------------------------------------
(* The remote accessor: another process reads guest memory *)

\* A vhost-user backend or an out-of-process device model (R16, R17) reads gfn g through its
\* own mapping: neither a vCPU stage-2 fault nor KVM's own access, so the userfault bitmap never
\* sees it. RemoteAccessor = "uffd": the mapping is registered with userfaultfd (a missing page
\* queues a fault message and sleeps until the VMM's reader resolves or wakes it; a woken read
\* runs again); "unregistered": the read goes to the backing as it is (shmem page cache or
\* guest_memfd: unfetched content reads as zeroes).
RemoteAccess(g) ==
    /\ RemoteAccessor # "none"
    /\ \/ remotePc = "idle"
       \/ remotePc = "woken" /\ remoteGfn = g
    /\ IF RemoteAccessor = "uffd" /\ ~present[g]
       THEN /\ remotePc' = "uffd_waiting"
            /\ remoteGfn' = g
            /\ uffdQueue' = uffdQueue \cup {g}
            /\ UNCHANGED lastRemoteRead
       ELSE /\ lastRemoteRead' = IF RemoteAccessor = "uffd" THEN ValueOf(g, present, fetched)
                                 ELSE IF fetched[g] THEN "fetched" ELSE "zero"
            /\ remotePc' = "done"
            /\ remoteGfn' = 0
            /\ UNCHANGED uffdQueue
    /\ UNCHANGED <<memslotVars, memVars, vcpuVars, uffdHandling, historyVars, fetchVars, apfVars,
                   slotVars>>
    /\ UNCHANGED <<invalVars, writeVars>>

-----------------------------------------------------------------------------
(* Memslot DELETE and MOVE (SlotChanges) *)

\* KVM_SET_USER_MEMORY_REGION2 with memory_size 0 (DELETE) or a new guest_phys_addr (MOVE):
\* kvm_invalidate_memslot() swaps in an INVALID copy of the slot; new faults on it retry. The
\* zap (kvm_arch_flush_shadow_memslot()) waits for synchronize_srcu(): every access holding the
\* old slot finishes first, vCPUs asleep in userfaultfd included, so the VMM's uffd reader must
\* keep resolving (or waking) them or the ioctl never returns. DeleteBeforeSrcuWait zaps now.
DeleteSlot ==
    /\ SlotChanges = "delete"
    /\ ~slotChanged
    /\ memslotOp = "idle"
    /\ slotGen' = 1 - slotGen
    /\ memslotOp' = "delete"
    /\ slotChanged' = TRUE
    /\ spte' = IF Mutant("DeleteBeforeSrcuWait") THEN NoSpte ELSE spte
    /\ UNCHANGED <<flags, rearm, bitmap, fetched, present, mmuSeq, vcpuVars, uffdVars, historyVars,
                   fetchVars, apfVars, remoteVars>>
    \* a zapped mapping is neither stale nor write-protected any more (as InvalidateBegin's zap)
    /\ staleSpte' = [h \in Gfns |-> staleSpte[h] /\ spte'[h] # "none"]
    /\ spteWp' = [h \in Gfns |-> spteWp[h] /\ spte'[h] # "none"]
    /\ UNCHANGED <<mmuInProgress, mmuRangeGfn, vfreed, vwrite, dirtyBitmap>>

\* MOVE keeps the slot's contents, bitmap and flags (gfns here are relative to the slot, so the
\* moved slot has the same gfns); its old translations are zapped. guest_memfd cannot MOVE (R15).
MoveSlot ==
    /\ SlotChanges = "move"
    /\ ~slotChanged
    /\ memslotOp = "idle"
    /\ slotGen' = 1 - slotGen
    /\ memslotOp' = "move"
    /\ slotChanged' = TRUE
    /\ UNCHANGED <<flags, rearm, memVars, vcpuVars, uffdVars, historyVars, fetchVars, apfVars,
                   remoteVars>>
    /\ UNCHANGED <<invalVars, writeVars>>

\* After synchronize_srcu(): kvm_arch_flush_shadow_memslot() drops every mapping of the old slot,
\* then the final swap removes it (DELETE) or activates it at its new address (MOVE). No fault
\* past the bitmap check remains (they held SRCU) and new ones retried, so after a MOVE every
\* marked gfn is one no fault can map any more.
CommitSlotChange ==
    /\ memslotOp \in SlotChangeOps
    /\ \A v \in Vcpus : pc[v] \in SrcuStages => vgen[v] = slotGen
    /\ memslotOp' = "idle"
    /\ spte' = IF memslotOp = "delete" /\ Mutant("DeleteBeforeSrcuWait") THEN spte ELSE NoSpte
    /\ flags' = IF memslotOp = "delete" THEN {} ELSE flags
    /\ armed' = IF memslotOp = "move" THEN bitmap ELSE armed
    /\ UNCHANGED <<slotGen, rearm, bitmap, fetched, present, mmuSeq, vcpuVars, uffdVars, dirtyDone,
                   lastRead, lastKvmRead, fetchVars, apfVars, remoteVars, slotVars>>
    \* the flush drops the stale and the write-protected mappings with the rest; the dirty bitmap
    \* is not looked at again after a DELETE (no DIRTY_LOG flag) and a MOVE keeps it
    /\ staleSpte' = [h \in Gfns |-> staleSpte[h] /\ spte'[h] # "none"]
    /\ spteWp' = [h \in Gfns |-> spteWp[h] /\ spte'[h] # "none"]
    /\ UNCHANGED <<mmuInProgress, mmuRangeGfn, vfreed, vwrite, dirtyBitmap>>

\* A guest access to a gfn whose memslot is gone: no slot, so kvm_handle_noslot_fault() emulates
\* it as MMIO and KVM_RUN returns KVM_EXIT_MMIO (x86; arm64 io_mem_abort()). The VMM's MMIO
\* handler finds no device and completes the access.
MmioAccess(v, g) ==
    /\ pc[v] = "idle"
    /\ budget[v] > 0
    /\ SlotGone
    /\ budget' = [budget EXCEPT ![v] = @ - 1]
    /\ lastRead' = [lastRead EXCEPT ![v] = "none"]   \* no guest page was read
    /\ UNCHANGED <<memslotVars, memVars, pc, vgfn, vkind, vseq, vgen, exitFlags, vstale, uffdVars,
                   dirtyDone, armed, lastKvmRead, fetchVars, apfVars, remoteVars, slotVars>>
    /\ UNCHANGED <<invalVars, writeVars>>

\* A fault that KVM retried while the DELETE ran re-runs once it is done: no slot, the same
\* KVM_EXIT_MMIO. lastRead "none" says so: the access ended without reading a guest page, which is
\* how a step's observation tells this exit from a completed read (a woken vCPU's mmio_exit).
MmioExit(v) ==
    /\ pc[v] = "faulted"
    /\ SlotGone
    /\ budget' = [budget EXCEPT ![v] = @ - 1]
    /\ lastRead' = [lastRead EXCEPT ![v] = "none"]
    /\ pc' = [pc EXCEPT ![v] = "idle"]
    /\ ResetVcpu(v)
    /\ UNCHANGED <<memslotVars, memVars, exitFlags, uffdVars, dirtyDone, armed, lastKvmRead, fetchVars,
                   apfVars, remoteVars, slotVars>>
    \* a retried write fault ends here too: v's next access starts as a read unless it writes
    /\ vwrite' = [vwrite EXCEPT ![v] = FALSE]
    /\ UNCHANGED <<invalVars, spteWp, dirtyBitmap>>

\* Every vCPU has completed its accesses: the run is over (not a deadlock).
Finished ==
    /\ \A v \in Vcpus : pc[v] = "idle" /\ budget[v] = 0
    /\ remotePc \in {"idle", "done"}
    /\ UNCHANGED vars

-----------------------------------------------------------------------------
(* The next-state relation *)

Next ==
    \/ \E v \in Vcpus, g \in Gfns : Access(v, g) \/ KvmAccess(v, g)
    \/ \E v \in Vcpus : CheckBitmap(v) \/ Lookup(v) \/ InstallSpte(v) \/ ReenterGuest(v)
    \/ \E v \in Vcpus : Install(v) \/ ClearBit(v) \/ ResumeVcpu(v)
    \/ \E g \in Gfns : UffdRead(g) \/ UffdInstall(g) \/ UffdWake(g)
    \/ \E g \in Gfns : SetBit(g)
    \/ \E g \in Gfns : FetchInstall(g) \/ FetchClearBit(g)
    \/ EnableUserfault \/ DisableUserfault \/ EnableDirtyLog \/ DisableDirtyLog
    \/ CommitMemslot
    \/ Finished
    \/ \E v \in Vcpus : GuestWork(v)
    \/ \E g \in Gfns : RemoteAccess(g)
    \/ DeleteSlot \/ MoveSlot \/ CommitSlotChange
    \/ \E v \in Vcpus, g \in Gfns : MmioAccess(v, g)
    \/ \E v \in Vcpus : MmioExit(v)
    \/ \E g \in Gfns : InvalidateBegin(g) \/ InvalidateEnd(g)
    \/ \E v \in Vcpus, g \in Gfns : AccessWrite(v, g)

Spec == Init /\ [][Next]_vars

-----------------------------------------------------------------------------
(* Invariants *)

TypeOK ==
    /\ flags \subseteq Flags
    /\ slotGen \in {0, 1}
    /\ memslotOp \in MemslotOps
    /\ rearm \in BOOLEAN
    /\ bitmap \in [Gfns -> BOOLEAN]
    /\ fetched \in [Gfns -> BOOLEAN]
    /\ present \in [Gfns -> BOOLEAN]
    /\ spte \in [Gfns -> SpteKinds]
    /\ mmuSeq \in 0 .. MaxInvalidate
    /\ pc \in [Vcpus -> Pcs]
    /\ vgfn \in [Vcpus -> Gfns]
    /\ vkind \in [Vcpus -> {"vcpu", "kvm"}]
    /\ vseq \in [Vcpus -> 0 .. MaxInvalidate]
    /\ vgen \in [Vcpus -> {0, 1}]
    /\ budget \in [Vcpus -> 0 .. Accesses]
    /\ exitFlags \in [Vcpus -> SUBSET {"USERFAULT", "PRIVATE"}]
    /\ vstale \in [Vcpus -> BOOLEAN]
    /\ uffdQueue \subseteq Gfns
    /\ uffdHandling \in [Gfns -> {"none", "read", "wake"}]
    /\ dirtyDone \in BOOLEAN
    /\ armed \in [Gfns -> BOOLEAN]
    /\ lastRead \in [Vcpus -> Values]
    /\ lastKvmRead \in [Vcpus -> Values]
    /\ bgGfn \in Gfns
    /\ bgStage \in {"idle", "installed", "cleared"}
    /\ apfWork \in [Vcpus -> BOOLEAN]
    /\ remotePc \in {"idle", "uffd_waiting", "woken", "done"}
    /\ remoteGfn \in Gfns
    /\ lastRemoteRead \in Values
    /\ slotChanged \in BOOLEAN
    /\ mmuInProgress \in BOOLEAN
    /\ mmuRangeGfn \in Gfns
    /\ vfreed \in [Vcpus -> BOOLEAN]
    /\ staleSpte \in [Gfns -> BOOLEAN]
    /\ vwrite \in [Vcpus -> BOOLEAN]
    /\ spteWp \in [Gfns -> BOOLEAN]
    /\ dirtyBitmap \in [Gfns -> BOOLEAN]

\* Dirty logging sees every write: once a dirty-logging update has committed, a gfn the guest
\* can write without a fault (mapped, not write-protected) is in the dirty bitmap.
DirtyLogComplete ==
    (memslotOp = "idle" /\ "DIRTY_LOG" \in flags) =>
        \A g \in Gfns : (Writes /\ spte[g] # "none" /\ ~spteWp[g]) => dirtyBitmap[g]

\* A USERFAULT exit carries exactly USERFAULT, and PRIVATE too when the faulting gfn is private.
ExitWellFormed ==
    \A v \in Vcpus : pc[v] \in ExitStages => exitFlags[v] = UserfaultExitFlags

\* A stage-2 mapping implies a backing page that still exists, and it is the page the mapping
\* points at: not one freed by an invalidation after the fault's lookup (staleSpte), even when
\* g was repopulated since.
NoStaleMapping ==
    \A g \in Gfns : spte[g] # "none" => present[g] /\ ~staleSpte[g]

\* Once a USERFAULT update has committed, every mapping is PAGE_SIZE.
SmallOnlyWhileUserfault ==
    (memslotOp = "idle" /\ "USERFAULT" \in flags) => \A g \in Gfns : spte[g] # "huge"

\* Once a dirty-logging update has committed, no huge mapping exists (recovery must not
\* run while dirty logging is on, R10).
NoRecoverWhileDirtyLog ==
    (memslotOp = "idle" /\ "DIRTY_LOG" \in flags) => \A g \in Gfns : spte[g] # "huge"

\* A gfn marked where no fault could map it any more has no stage-2 mapping while
\* USERFAULT is on.
ArmedNotMapped ==
    (memslotOp = "idle" /\ "USERFAULT" \in flags) =>
        \A g \in Gfns : (bitmap[g] /\ armed[g]) => spte[g] = "none"

\* KVM's own accesses never read content that has not been fetched.
NoUnfetchedKvmRead ==
    \A v \in Vcpus : lastKvmRead[v] \in {"none", "fetched"}

\* The guest never reads content that has not been fetched.
NoUnfetchedGuestRead ==
    \A v \in Vcpus : lastRead[v] \in {"none", "fetched"}

\* Async PF's promise: while a vCPU's stage-2 fault waits for a page to be fetched, the vCPU
\* is not stopped (its guest runs other work: GuestWork). Without async PF the fault sleeps in
\* userfaultfd; with USERFAULT it exits: both stop the vCPU, the latter is how the kit states
\* "KVM Userfault is not compatible with async page faults". KVM's own accesses are synchronous
\* (async PF is for guest faults only), so their sleep in userfaultfd is outside the promise.
AsyncPfGuestProgress ==
    \A v \in Vcpus : pc[v] \notin ExitStages /\ ~(pc[v] = "uffd_waiting" /\ vkind[v] = "vcpu")

\* The non-vacuity witness of AsyncPfGuestProgress: no guest work ever ran while a vCPU's page
\* was fetched. A config lists it to show that it fails (apf-guest-work): the guest really runs.
NoGuestWorkWhileFetching ==
    \A v \in Vcpus : ~apfWork[v]

\* A remote accessor (vhost-user, an out-of-process device) never reads unfetched content.
NoUnfetchedRemoteRead ==
    lastRemoteRead \in {"none", "fetched"}

\* Once a DELETE has completed, nothing maps the deleted slot (no fault installed into it).
NoMappingWithoutSlot ==
    SlotGone => \A g \in Gfns : spte[g] = "none"

=============================================================================
