/**
 * The operator CLI: {@code conveyor tasks list|show|retry|cancel} and {@code conveyor stats},
 * which talk to an ingress node's status API over HTTP ({@code docs/status-api.md}) and turn
 * its answers into tables, and its failures into exit codes scripts can rely on
 * ({@link dev.conveyor.ops.cli.ExitCodes}); and {@code conveyor dlq list|replay}, which read the
 * dead-letter topic straight from Kafka and produce chosen records again to their original topic.
 */
package dev.conveyor.ops.cli;
