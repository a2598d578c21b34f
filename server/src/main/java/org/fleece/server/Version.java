package org.fleece.server;

/** Fleece's own version, from the jar's manifest (the build's project version). */
final class Version {
    static final String FLEECE = detect();

    private Version() {
    }

    private static String detect() {
        String v = Version.class.getPackage().getImplementationVersion();
        return v != null ? v : "0.1.0";
    }
}
