package io.k8sci.rollout;

/** Go's zero values for the optional numbers of the fabric8 model. */
final class Numbers {

  private Numbers() {}

  static long of(Long value) {
    return value == null ? 0L : value;
  }

  static int of(Integer value) {
    return value == null ? 0 : value;
  }

  static int of(Integer value, int defaultValue) {
    return value == null ? defaultValue : value;
  }
}
