package io.parley.node.gateway;

import java.net.InetSocketAddress;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;

/** The gateway's bound listener, whichever edge serves it. */
public record GatewayBinding(
    InetSocketAddress localAddress, Supplier<CompletionStage<?>> unbinder) {

  /** Stops accepting connections; open ones stay. */
  public CompletionStage<?> unbind() {
    return unbinder.get();
  }
}
