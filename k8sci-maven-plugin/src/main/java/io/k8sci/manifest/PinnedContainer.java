package io.k8sci.manifest;

/**
 * A container whose image was pinned to the pushed digest.
 *
 * @param object the workload, e.g. {@code deployment/web}
 * @param container the container's name
 * @param initContainer true for an init container
 * @param before the image as rendered from the manifest
 * @param after the pinned image, {@code repository:tag@sha256:...}
 */
public record PinnedContainer(
    String object, String container, boolean initContainer, String before, String after) {}
