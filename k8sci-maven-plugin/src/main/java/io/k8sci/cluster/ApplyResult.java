package io.k8sci.cluster;

/** What applying one object did, in kubectl's words. */
public enum ApplyResult {
  /** The object did not exist. */
  CREATED("created"),
  /** The object existed and the server changed it (its resourceVersion moved). */
  CONFIGURED("configured"),
  /** The object existed and the apply changed nothing. */
  UNCHANGED("unchanged");

  private final String word;

  ApplyResult(String word) {
    this.word = word;
  }

  /** kubectl's word: created, configured, unchanged. */
  public String word() {
    return word;
  }
}
