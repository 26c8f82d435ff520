package kvmuf.vm;

import java.io.PrintStream;

/** Progress lines for long work (download, image build, boot): on stderr, silent when quiet. */
public record Progress(PrintStream err, boolean quiet) {
  public static Progress stderr(boolean quiet) {
    return new Progress(System.err, quiet);
  }

  public void say(String message) {
    if (!quiet) {
      err.println("kvmuf: " + message);
      err.flush();
    }
  }
}
