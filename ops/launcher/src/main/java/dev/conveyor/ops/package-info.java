/**
 * The {@code conveyor} launcher: one composition root per process that wires every part with
 * plain constructors (ingress, worker, scheduler, the {@code dev} all-in-one mode, the CLI).
 */
package dev.conveyor.ops;
