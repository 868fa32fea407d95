package io.parley.node.testing;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A throwaway PKCS12 keystore for 127.0.0.1 (made with the JDK's keytool) and its certificate in
 * PEM.
 */
public record TestTls(Path keystore, String password, Path certificatePem) {

  public static TestTls create() {
    try {
      Path dir = Files.createTempDirectory("parley-tls-");
      Path keystore = dir.resolve("node.p12");
      Path pem = dir.resolve("node.pem");
      String password = "parley-test";
      String keytool = Path.of(System.getProperty("java.home"), "bin", "keytool").toString();
      run(
          List.of(
              keytool,
              "-genkeypair",
              "-alias",
              "parley",
              "-keyalg",
              "RSA",
              "-keysize",
              "2048",
              "-storetype",
              "PKCS12",
              "-keystore",
              keystore.toString(),
              "-storepass",
              password,
              "-keypass",
              password,
              "-dname",
              "CN=127.0.0.1",
              "-ext",
              "SAN=ip:127.0.0.1,dns:localhost",
              "-validity",
              "2"));
      run(
          List.of(
              keytool,
              "-exportcert",
              "-rfc",
              "-alias",
              "parley",
              "-keystore",
              keystore.toString(),
              "-storepass",
              password,
              "-file",
              pem.toString()));
      return new TestTls(keystore, password, pem);
    } catch (Exception e) {
      throw new IllegalStateException("cannot create a test keystore: " + e.getMessage(), e);
    }
  }

  /**
   * A PKCS12 truststore holding only this certificate (what a client of the keystore's owner
   * trusts), made once next to the keystore.
   */
  public synchronized Path truststore() {
    Path truststore = keystore.resolveSibling("trust.p12");
    if (!Files.exists(truststore)) {
      try {
        run(
            List.of(
                Path.of(System.getProperty("java.home"), "bin", "keytool").toString(),
                "-importcert",
                "-noprompt",
                "-alias",
                "parley-ca",
                "-file",
                certificatePem.toString(),
                "-storetype",
                "PKCS12",
                "-keystore",
                truststore.toString(),
                "-storepass",
                password));
      } catch (Exception e) {
        throw new IllegalStateException("cannot create a test truststore: " + e.getMessage(), e);
      }
    }
    return truststore;
  }

  /** Config that turns TLS on for a node. */
  public String nodeConfig() {
    return "parley.gateway.tls.keystore = \""
        + keystore
        + "\"\n"
        + "parley.gateway.tls.keystore-password = \""
        + password
        + "\"\n";
  }

  private static void run(List<String> command) throws Exception {
    Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
    String output = new String(process.getInputStream().readAllBytes());
    if (!process.waitFor(60, TimeUnit.SECONDS) || process.exitValue() != 0) {
      throw new IllegalStateException(command.get(1) + " failed: " + output);
    }
  }
}
