package io.k8sci.image;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class HttpCredentialsPermissionTest {

  @Test
  void propertyIsSetWhileHeldAndRestoredAfterTheLastHolder() {
    String property = HttpCredentialsPermission.PROPERTY;
    assertThat(System.getProperty(property)).isNull();

    try (HttpCredentialsPermission notWanted = HttpCredentialsPermission.acquire(false)) {
      assertThat(System.getProperty(property)).isNull();
    }
    HttpCredentialsPermission first = HttpCredentialsPermission.acquire(true);
    HttpCredentialsPermission second = HttpCredentialsPermission.acquire(true);
    assertThat(System.getProperty(property)).isEqualTo("true");
    first.close();
    assertThat(System.getProperty(property)).isEqualTo("true");
    second.close();
    assertThat(System.getProperty(property)).isNull();
  }
}
