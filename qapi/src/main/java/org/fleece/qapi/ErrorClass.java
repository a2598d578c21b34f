package org.fleece.qapi;

/** The error classes QMP clients match on (QEMU's QapiErrorClass). */
public enum ErrorClass {
    GenericError,
    CommandNotFound,
    DeviceNotActive,
    DeviceNotFound,
    KVMMissingCap
}
