package io.parley.node.deploy;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The files of the parley-remoting-tls Secret (deploy/kubernetes/secret.example.yaml), made with
 * the JDK's keytool: ca.crt (a root CA), tls.crt (a node certificate it issued, named
 * parley.parley.svc and 127.0.0.1) and tls.key (its private key, unencrypted PKCS#8 PEM), as
 * cert-manager writes them.
 */
final class RemotingCertificates {

  private static final String PASSWORD = "parley-it";

  private RemotingCertificates() {}

  static Path create(Path dir) throws Exception {
    Files.createDirectories(dir);
    Path ca = dir.resolve("ca.p12");
    Path node = dir.resolve("node.p12");
    Path request = dir.resolve("node.csr");
    keytool(
        "-genkeypair",
        "-alias",
        "ca",
        "-keyalg",
        "RSA",
        "-keysize",
        "2048",
        "-storetype",
        "PKCS12",
        "-keystore",
        ca.toString(),
        "-storepass",
        PASSWORD,
        "-keypass",
        PASSWORD,
        "-dname",
        "CN=parley-it-ca",
        "-ext",
        "bc:c",
        "-validity",
        "2");
    keytool(
        "-exportcert",
        "-rfc",
        "-alias",
        "ca",
        "-keystore",
        ca.toString(),
        "-storepass",
        PASSWORD,
        "-file",
        dir.resolve("ca.crt").toString());
    keytool(
        "-genkeypair",
        "-alias",
        "node",
        "-keyalg",
        "RSA",
        "-keysize",
        "2048",
        "-storetype",
        "PKCS12",
        "-keystore",
        node.toString(),
        "-storepass",
        PASSWORD,
        "-keypass",
        PASSWORD,
        "-dname",
        "CN=parley.parley.svc",
        "-validity",
        "2");
    keytool(
        "-certreq",
        "-alias",
        "node",
        "-keystore",
        node.toString(),
        "-storepass",
        PASSWORD,
        "-file",
        request.toString());
    keytool(
        "-gencert",
        "-rfc",
        "-alias",
        "ca",
        "-keystore",
        ca.toString(),
        "-storepass",
        PASSWORD,
        "-infile",
        request.toString(),
        "-outfile",
        dir.resolve("tls.crt").toString(),
        "-ext",
        "SAN=dns:parley.parley.svc,ip:127.0.0.1",
        "-validity",
        "2");
    KeyStore store = KeyStore.getInstance("PKCS12");
    try (InputStream in = Files.newInputStream(node)) {
      store.load(in, PASSWORD.toCharArray());
    }
    PrivateKey key = (PrivateKey) store.getKey("node", PASSWORD.toCharArray());
    String pem =
        "-----BEGIN PRIVATE KEY-----\n"
            + Base64.getMimeEncoder(64, "\n".getBytes()).encodeToString(key.getEncoded())
            + "\n-----END PRIVATE KEY-----\n";
    Files.writeString(dir.resolve("tls.key"), pem);
    return dir;
  }

  private static void keytool(String... arguments) throws Exception {
    List<String> command = new java.util.ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "keytool").toString());
    command.addAll(List.of(arguments));
    Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
    String output = new String(process.getInputStream().readAllBytes());
    if (!process.waitFor(60, TimeUnit.SECONDS) || process.exitValue() != 0) {
      throw new IllegalStateException("keytool " + arguments[0] + " failed: " + output);
    }
  }
}
