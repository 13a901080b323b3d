package io.k8sci.manifest;

import io.k8sci.K8sciException;
import java.util.List;

/**
 * All problems found in the manifests at once, so that a user fixes them in one round instead of
 * one failed pipeline per mistake. Thrown before anything is applied: one bad document means
 * nothing is applied.
 */
public class ManifestException extends K8sciException {

  private final transient List<ManifestProblem> problems;

  public ManifestException(String headline, List<ManifestProblem> problems, String hint) {
    super(format(headline, problems, hint));
    this.problems = List.copyOf(problems);
  }

  /** The problems, in file order. */
  public List<ManifestProblem> problems() {
    return problems;
  }

  private static String format(String headline, List<ManifestProblem> problems, String hint) {
    StringBuilder message = new StringBuilder(headline);
    message
        .append(" (")
        .append(problems.size())
        .append(problems.size() == 1 ? " problem" : " problems");
    message.append("; nothing was applied):");
    for (ManifestProblem problem : problems) {
      message.append(System.lineSeparator()).append("  ").append(problem);
    }
    if (hint != null && !hint.isEmpty()) {
      message.append(System.lineSeparator()).append(hint);
    }
    return message.toString();
  }
}
