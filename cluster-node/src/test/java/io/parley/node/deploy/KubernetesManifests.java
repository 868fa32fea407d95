package io.parley.node.deploy;

import com.fasterxml.jackson.databind.BeanDescription;
import com.fasterxml.jackson.databind.DeserializationConfig;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.deser.BeanDeserializerBuilder;
import com.fasterxml.jackson.databind.deser.BeanDeserializerModifier;
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.KubernetesResource;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * The manifests of deploy/kubernetes as fabric8's typed Kubernetes model objects, read strictly: a
 * field the Kubernetes API does not define (a misspelling, a field at the wrong level), a value of
 * the wrong type, or a kind/apiVersion the model does not know fails the read with the file and the
 * field path.
 *
 * <p>fabric8's model classes keep unknown fields in an {@code additionalProperties} map (a Jackson
 * any-setter) instead of failing; the strict mapper here removes that any-setter from every model
 * class and turns on {@link DeserializationFeature#FAIL_ON_UNKNOWN_PROPERTIES}, so an unknown field
 * is an error, as it is for {@code kubectl apply --validate=strict}.
 */
public final class KubernetesManifests {

  public static final Path DIRECTORY =
      Path.of(System.getProperty("user.dir")).getParent().resolve("deploy/kubernetes");

  private static final KubernetesSerialization KINDS = new KubernetesSerialization();

  /** One document of one manifest file. */
  public record Manifest(Path file, int document, HasMetadata resource) {
    @Override
    public String toString() {
      return DIRECTORY.relativize(file)
          + "#"
          + document
          + " "
          + resource.getKind()
          + "/"
          + resource.getMetadata().getName();
    }
  }

  private KubernetesManifests() {}

  /** A Jackson mapper for fabric8's model that fails on any field the model does not declare. */
  public static ObjectMapper strictMapper() {
    SimpleModule strict = new SimpleModule("strict-kubernetes-model");
    strict.setDeserializerModifier(
        new BeanDeserializerModifier() {
          @Override
          public BeanDeserializerBuilder updateBuilder(
              DeserializationConfig config, BeanDescription bean, BeanDeserializerBuilder builder) {
            if (KubernetesResource.class.isAssignableFrom(bean.getBeanClass())
                || bean.getBeanClass().getName().startsWith("io.fabric8.kubernetes.api.model")) {
              builder.setAnySetter(null);
              builder.setIgnoreUnknownProperties(false);
            }
            return builder;
          }
        });
    return YAMLMapper.builder()
        .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
        .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
        .enable(DeserializationFeature.FAIL_ON_NUMBERS_FOR_ENUMS)
        .enable(DeserializationFeature.FAIL_ON_READING_DUP_TREE_KEY)
        .addModule(strict)
        .build();
  }

  /**
   * Every document of {@code yaml}, read strictly into the model class of its apiVersion and kind.
   */
  public static List<HasMetadata> parse(String yaml) throws IOException {
    ObjectMapper strict = strictMapper();
    List<HasMetadata> resources = new ArrayList<>();
    try (var documents = strict.readerFor(JsonNode.class).readValues(yaml)) {
      while (documents.hasNext()) {
        JsonNode document = (JsonNode) documents.next();
        if (document == null || document.isNull() || document.isMissingNode()) {
          continue; // an empty document, e.g. after a trailing ---
        }
        String apiVersion = document.path("apiVersion").asText();
        String kind = document.path("kind").asText();
        Class<? extends KubernetesResource> type =
            KINDS.getRegisteredKubernetesResource(apiVersion, kind);
        if (type == null || !HasMetadata.class.isAssignableFrom(type)) {
          throw new IllegalArgumentException(
              "unknown kind " + kind + " in apiVersion " + apiVersion);
        }
        resources.add((HasMetadata) strict.treeToValue(document, type));
      }
    }
    return resources;
  }

  /** Every manifest under deploy/kubernetes. */
  public static List<Manifest> all() {
    List<Manifest> manifests = new ArrayList<>();
    try (Stream<Path> files = Files.list(DIRECTORY)) {
      for (Path file :
          files
              .filter(f -> f.toString().endsWith(".yaml") || f.toString().endsWith(".yml"))
              .sorted()
              .toList()) {
        int document = 0;
        try {
          for (HasMetadata resource : parse(Files.readString(file))) {
            manifests.add(new Manifest(file, document++, resource));
          }
        } catch (IOException | IllegalArgumentException e) {
          throw new AssertionError(
              DIRECTORY.relativize(file) + " is not valid Kubernetes: " + e.getMessage(), e);
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return manifests;
  }

  /** The one resource of this type and name. */
  public static <T extends HasMetadata> T one(
      List<Manifest> manifests, Class<T> type, String name) {
    List<T> found =
        manifests.stream()
            .map(Manifest::resource)
            .filter(type::isInstance)
            .map(type::cast)
            .filter(r -> r.getMetadata().getName().equals(name))
            .toList();
    if (found.size() != 1) {
      throw new AssertionError(
          found.size() + " " + type.getSimpleName() + " named " + name + " in deploy/kubernetes");
    }
    return found.get(0);
  }

  public static <T extends HasMetadata> List<T> all(List<Manifest> manifests, Class<T> type) {
    return manifests.stream()
        .map(Manifest::resource)
        .filter(type::isInstance)
        .map(type::cast)
        .toList();
  }
}
