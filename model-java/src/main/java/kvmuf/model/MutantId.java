package kvmuf.model;

/** The spec's MutantIds, by the same names (spec/mutants.tsv describes each). */
public enum MutantId {
  HugeWhileUserfault,
  NoZapOnEnable,
  ClearBeforeInstall,
  NoWakeOnEexist,
  RecoverWithDirtyLog,
  NoUffdForKvmAccess,
  ZapBeforeSrcuWait,
  NoSeqRetry,
  AsyncPfBypassesBitmap,
  WrongExitFlags,
  NoRetryOnObsoleteRoot,
  BackgroundClearBeforeInstall,
  NoZapOnReenable,
  DeleteBeforeSrcuWait,
  FastPathSkipsDirty,
  NoPrivateFlag
}
