/**
 * How work comes into Conveyor: the Java publisher client, the HTTP ingress node, the task status
 * REST API and the dashboard. Everything here encodes tasks with {@code dev.conveyor.schema.kafka}
 * and reads status through the database contract in {@code dev.conveyor.store.db}.
 */
package dev.conveyor.producer;
