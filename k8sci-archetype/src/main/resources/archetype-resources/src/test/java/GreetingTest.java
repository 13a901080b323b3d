package ${package};

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class GreetingTest {

  @ParameterizedTest
  @CsvSource(
      nullValues = "null",
      value = {
        "Ada,      'Hello, Ada!'",
        "'  Ada ', 'Hello, Ada!'",
        "'',       'Hello, world!'",
        "null,     'Hello, world!'"
      })
  void greetsByNameOrTheWorld(String name, String expected) {
    assertThat(Greeting.of(name).message()).isEqualTo(expected);
  }
}
