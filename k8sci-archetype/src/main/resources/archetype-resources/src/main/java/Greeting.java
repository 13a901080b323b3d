package ${package};

/** What GET /greetings answers: the business logic of this template, kept free of Spring. */
public record Greeting(String message) {

  /** A greeting for {@code name}; a blank name greets the world. */
  public static Greeting of(String name) {
    String who = name == null || name.isBlank() ? "world" : name.strip();
    return new Greeting("Hello, " + who + "!");
  }
}
