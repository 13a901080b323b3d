package io.k8sci.testing.kube;

/** Manifest text as a user writes it, for tests that start from files on disk. */
public final class TestManifests {

  private TestManifests() {}

  /** A Deployment whose labels and selector are {@code app: NAME}, one container "app". */
  public static String deploymentYaml(String name, String image, int replicas) {
    return """
        apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: %s
          labels:
            app: %s
        spec:
          replicas: %d
          selector:
            matchLabels:
              app: %s
          template:
            metadata:
              labels:
                app: %s
            spec:
              containers:
                - name: app
                  image: %s
        """
        .formatted(name, name, replicas, name, name, image);
  }
}
