package io.parley.node.serialization;

/**
 * Marker for every message, event and state that crosses nodes or reaches the journal: bound to
 * Jackson CBOR in serialization.conf. Anything sent across nodes without it fails loudly.
 */
public interface CborSerializable {}
