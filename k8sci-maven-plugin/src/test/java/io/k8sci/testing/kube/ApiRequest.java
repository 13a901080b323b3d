package io.k8sci.testing.kube;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One request the {@link TestApiServer} received, described both as HTTP (method, path, query) and
 * as the Kubernetes authorizer sees it (verb on group/resource[/subresource] in a namespace), so
 * tests can assert "no cluster-scoped call" and an RBAC generator can prove a Role covers exactly
 * the calls made.
 *
 * @param method HTTP method
 * @param path path without query
 * @param query raw query string ("" when none)
 * @param verb RBAC verb: get, list, watch, create, update, patch, delete, deletecollection; or the
 *     lower-case HTTP method for non-resource URLs
 * @param group API group, "" for the core group
 * @param resource plural resource name, null for non-resource URLs such as {@code /version}
 * @param subresource e.g. {@code status} or {@code log}, or null
 * @param namespace the namespace of a namespaced request, null for cluster-scoped ones
 * @param name the object name, null for collection requests
 * @param userAgent the client's User-Agent (tells the code under test from test-side clients)
 * @param contentType the request's Content-Type, or null
 */
public record ApiRequest(
    String method,
    String path,
    String query,
    String verb,
    String group,
    String resource,
    String subresource,
    String namespace,
    String name,
    String userAgent,
    String contentType) {

  /** True for a resource request outside any namespace (includes namespaces themselves). */
  public boolean clusterScoped() {
    return resource != null && namespace == null;
  }

  public boolean nonResource() {
    return resource == null;
  }

  /** {@code deployments.apps}, {@code pods} (core group), {@code pods/log}. */
  public String groupResource() {
    if (resource == null) {
      return null;
    }
    String r = group.isEmpty() ? resource : resource + "." + group;
    return subresource == null ? r : r + "/" + subresource;
  }

  /** Decoded query parameters. */
  public Map<String, String> queryParameters() {
    Map<String, String> params = new LinkedHashMap<>();
    if (query.isEmpty()) {
      return params;
    }
    for (String pair : query.split("&")) {
      int eq = pair.indexOf('=');
      String k = eq < 0 ? pair : pair.substring(0, eq);
      String v = eq < 0 ? "" : pair.substring(eq + 1);
      params.put(
          URLDecoder.decode(k, StandardCharsets.UTF_8),
          URLDecoder.decode(v, StandardCharsets.UTF_8));
    }
    return params;
  }

  /** Short form for failure messages: {@code patch deployments.apps "web" in team-a}. */
  @Override
  public String toString() {
    if (resource == null) {
      return method + " " + path;
    }
    return verb
        + " "
        + groupResource()
        + (name == null ? "" : " \"" + name + "\"")
        + (namespace == null ? " (cluster-scoped)" : " in " + namespace)
        + (query.isEmpty() ? "" : " ?" + query);
  }

  /** Parses an HTTP request line the way the API server's request-info resolver does. */
  static ApiRequest parse(String method, String rawPath, String userAgent, String contentType) {
    String path = rawPath;
    String query = "";
    int q = rawPath.indexOf('?');
    if (q >= 0) {
      path = rawPath.substring(0, q);
      query = rawPath.substring(q + 1);
    }
    String[] parts = path.replaceAll("^/+", "").replaceAll("/+$", "").split("/");
    String group;
    int restStart;
    if (parts.length >= 2 && parts[0].equals("api")) {
      group = "";
      restStart = 2;
    } else if (parts.length >= 3 && parts[0].equals("apis")) {
      group = parts[1];
      restStart = 3;
    } else {
      return new ApiRequest(
          method,
          path,
          query,
          method.toLowerCase(),
          null,
          null,
          null,
          null,
          null,
          userAgent,
          contentType);
    }
    int n = parts.length - restStart;
    if (n <= 0) {
      return new ApiRequest(
          method,
          path,
          query,
          method.toLowerCase(),
          null,
          null,
          null,
          null,
          null,
          userAgent,
          contentType);
    }
    String namespace = null;
    String resource;
    String name = null;
    String sub = null;
    if (parts[restStart].equals("namespaces") && n >= 3) {
      namespace = parts[restStart + 1];
      resource = parts[restStart + 2];
      name = n >= 4 ? parts[restStart + 3] : null;
      sub = n >= 5 ? parts[restStart + 4] : null;
    } else {
      resource = parts[restStart];
      name = n >= 2 ? parts[restStart + 1] : null;
      sub = n >= 3 ? parts[restStart + 2] : null;
    }
    boolean watch = query.contains("watch=true") || query.contains("watch=1");
    String verb =
        switch (method.toUpperCase()) {
          case "GET" -> watch ? "watch" : name == null ? "list" : "get";
          case "POST" -> "create";
          case "PUT" -> "update";
          case "PATCH" -> "patch";
          case "DELETE" -> name == null ? "deletecollection" : "delete";
          default -> method.toLowerCase();
        };
    return new ApiRequest(
        method, path, query, verb, group, resource, sub, namespace, name, userAgent, contentType);
  }
}
