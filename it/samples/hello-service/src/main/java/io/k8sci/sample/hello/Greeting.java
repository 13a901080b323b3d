package io.k8sci.sample.hello;

/** The one piece of business logic; the benchmark edits this class for its "one-class change". */
final class Greeting {

  private Greeting() {}

  static String of(String name) {
    return "Hello, " + name + "!";
  }
}
