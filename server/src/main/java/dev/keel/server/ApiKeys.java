package dev.keel.server;

import dev.keel.api.InvalidInputException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The API keys a server accepts. Keys are kept as SHA-256 digests and a presented key is compared with every
 * one in constant time ({@link MessageDigest#isEqual} on equal-length digests, all keys checked), so neither
 * the comparison's time nor an early exit tells an attacker how much of a key was right.
 */
public final class ApiKeys {
    /** The environment variable of comma-separated keys, read when no key file is given. */
    public static final String ENV = "KEEL_API_KEYS";

    private final List<byte[]> digests;

    private ApiKeys(List<String> keys) {
        List<byte[]> d = new ArrayList<>();
        for (String k : keys) {
            String key = k.strip();
            if (!key.isEmpty()) {
                d.add(digest(key));
            }
        }
        this.digests = List.copyOf(d);
    }

    /** No authentication: every request is allowed. */
    public static ApiKeys none() {
        return new ApiKeys(List.of());
    }

    public static ApiKeys of(List<String> keys) {
        ApiKeys k = new ApiKeys(keys);
        if (k.digests.isEmpty()) {
            throw new InvalidInputException("no API keys given; give at least one non-blank key, or none() for no "
                    + "authentication");
        }
        return k;
    }

    /** Keys from a file, one per line; blank lines and lines starting with '#' are skipped. */
    public static ApiKeys fromFile(Path file) {
        try {
            List<String> keys = new ArrayList<>();
            for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
                if (!line.isBlank() && !line.strip().startsWith("#")) {
                    keys.add(line);
                }
            }
            if (keys.isEmpty()) {
                throw new InvalidInputException("the API key file " + file + " holds no key; put one key per line");
            }
            return of(keys);
        } catch (IOException e) {
            throw new InvalidInputException("cannot read the API key file " + file + ": " + e.getMessage()
                    + "; give a readable file with one key per line", e);
        }
    }

    /** Keys from {@value #ENV} (comma-separated), or none when it is unset or blank. */
    public static ApiKeys fromEnvironment() {
        String v = System.getenv(ENV);
        return v == null || v.isBlank() ? none() : of(Arrays.asList(v.split(",")));
    }

    public boolean required() {
        return !digests.isEmpty();
    }

    /** Whether {@code key} is one of the keys (always true when none are required). */
    public boolean accepts(String key) {
        if (digests.isEmpty()) {
            return true;
        }
        byte[] presented = digest(key == null ? "" : key);
        boolean ok = false;
        for (byte[] d : digests) {
            ok |= MessageDigest.isEqual(d, presented);
        }
        return ok;
    }

    private static byte[] digest(String key) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(key.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }
}
