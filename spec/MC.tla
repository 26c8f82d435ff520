--------------------------------- MODULE MC ---------------------------------
(* Model-checking wrapper: what TLC needs beyond the spec (vCPU symmetry).   *)
(* The bounds and model values live in configs/*.cfg.                         *)
EXTENDS KvmUserfault, TLC

VcpuSymmetry == Permutations(Vcpus)
=============================================================================
