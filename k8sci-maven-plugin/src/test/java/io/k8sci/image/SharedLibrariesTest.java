package io.k8sci.image;

import static org.assertj.core.api.Assertions.assertThat;

import io.k8sci.image.SharedLibraries.Dependency;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class SharedLibrariesTest {

  static Stream<Arguments> lddLines() {
    return Stream.of(
        Arguments.of("\tlinux-vdso.so.1 (0x00007ffd5a1f0000)", List.of()),
        Arguments.of("\tlinux-gate.so.1 =>  (0xb7f0e000)", List.of()),
        Arguments.of(
            "\tlibz.so.1 => /lib/x86_64-linux-gnu/libz.so.1 (0x00007fc24171a000)",
            List.of(new Dependency("libz.so.1", "/lib/x86_64-linux-gnu/libz.so.1", false))),
        Arguments.of(
            "\tlibjli.so => /tmp/rt/bin/../lib/libjli.so (0x00007fc24170a000)",
            List.of(new Dependency("libjli.so", "/tmp/rt/bin/../lib/libjli.so", false))),
        Arguments.of("\tlibjvm.so => not found", List.of(new Dependency("libjvm.so", null, false))),
        Arguments.of(
            "\t/lib64/ld-linux-x86-64.so.2 (0x00007fc241751000)",
            List.of(new Dependency("ld-linux-x86-64.so.2", "/lib64/ld-linux-x86-64.so.2", true))),
        Arguments.of(
            "\t/lib/ld-musl-x86_64.so.1 (0x7f0e4c8a3000)\n"
                + "\tlibc.musl-x86_64.so.1 => /lib/ld-musl-x86_64.so.1 (0x7f0e4c8a3000)",
            List.of(
                new Dependency("ld-musl-x86_64.so.1", "/lib/ld-musl-x86_64.so.1", true),
                new Dependency("libc.musl-x86_64.so.1", "/lib/ld-musl-x86_64.so.1", false))),
        Arguments.of("\tstatically linked", List.of()),
        Arguments.of("\tnot a dynamic executable", List.of()));
  }

  @ParameterizedTest
  @MethodSource("lddLines")
  void parsesLddOutput(String output, List<Dependency> expected) {
    assertThat(SharedLibraries.parseLdd(output)).containsExactlyElementsOf(expected);
  }
}
