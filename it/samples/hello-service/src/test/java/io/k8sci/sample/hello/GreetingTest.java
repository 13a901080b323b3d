package io.k8sci.sample.hello;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class GreetingTest {

  @Test
  void greetsByName() {
    assertThat(Greeting.of("k8sci")).isEqualTo("Hello, k8sci!");
  }
}
