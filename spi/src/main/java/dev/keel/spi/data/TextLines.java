package dev.keel.spi.data;

import static org.apiguardian.api.API.Status.EXPERIMENTAL;

import dev.keel.api.InvalidInputException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import org.apiguardian.api.API;

/**
 * Reads a UTF-8 text file one line at a time, in memory bounded by the longest line kept, whatever the file's
 * size: a line longer than {@code maxBytes} keeps its first {@code maxBytes} bytes (cut at a character
 * boundary) and is marked {@link Line#cut()}, and the rest of it is skipped without being held. Bytes that are
 * not UTF-8 fail with a message naming the line and the byte offset. Lines end at {@code \n}; a {@code \r}
 * before it and a byte-order mark at the start are dropped.
 */
@API(status = EXPERIMENTAL, since = "0.1")
public final class TextLines implements AutoCloseable {
    /** One line: its 1-based number, its text (perhaps cut), and whether it was cut. */
    public record Line(long number, String text, boolean cut) { }

    private final Path file;
    private final InputStream in;
    private final int maxBytes;
    private final byte[] buffer = new byte[1 << 16];
    private int position;
    private int limit;
    /** The current line's kept bytes; grows up to maxBytes and is reused. */
    private byte[] kept = new byte[256];
    private final CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
            .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT);
    private long offset;
    private long number;
    private boolean eof;

    private TextLines(Path file, InputStream in, int maxBytes) {
        this.file = file;
        this.in = in;
        this.maxBytes = maxBytes;
    }

    /**
     * Opens {@code file}; fails with an {@link InvalidInputException} when it is missing or not a file.
     *
     * @param what how the message names the file, e.g. {@code "input"}
     */
    public static TextLines open(Path file, int maxBytes, String what) {
        if (Files.isDirectory(file)) {
            throw new InvalidInputException(what + " " + file + " is a folder; pass a UTF-8 text file");
        }
        try {
            return new TextLines(file, Files.newInputStream(file), maxBytes);
        } catch (NoSuchFileException e) {
            throw new InvalidInputException(what + " " + file + " does not exist; pass a UTF-8 text file");
        } catch (IOException e) {
            throw new InvalidInputException("cannot read " + what + " " + file + ": " + e.getMessage(), e);
        }
    }

    /** The next line, or null at the end of the file. */
    public Line next() {
        if (eof) {
            return null;
        }
        try {
            long start = offset;
            int length = 0;
            boolean cut = false;
            boolean ended = false;
            while (!ended) {
                if (position == limit) {
                    limit = Math.max(0, in.read(buffer));
                    position = 0;
                    if (limit == 0) {
                        eof = true;
                        break;
                    }
                }
                int end = position;
                while (end < limit && buffer[end] != '\n') {
                    end++;
                }
                int take = Math.min(end - position, maxBytes - length);
                if (take > 0) {
                    if (length + take > kept.length) {
                        kept = Arrays.copyOf(kept, (int) Math.min(maxBytes, Math.max(2L * kept.length, length + take)));
                    }
                    System.arraycopy(buffer, position, kept, length, take);
                    length += take;
                }
                cut |= end - position > take;
                offset += end - position;
                ended = end < limit;
                position = ended ? end + 1 : end;
                if (ended) {
                    offset++;
                }
            }
            if (eof && offset == start) {
                return null;
            }
            number++;
            int from = number == 1 && length >= 3 && (kept[0] & 0xff) == 0xEF && (kept[1] & 0xff) == 0xBB
                    && (kept[2] & 0xff) == 0xBF ? 3 : 0;
            int to = length;
            if (cut) {
                to = characterBoundary(kept, from, to);
            } else if (to > from && kept[to - 1] == '\r') {
                to--;
            }
            return new Line(number, decode(kept, from, to, start), cut);
        } catch (IOException e) {
            throw new InvalidInputException("cannot read " + file + ": " + e.getMessage(), e);
        }
    }

    /** Where a cut may fall: not inside a multi-byte character. */
    private static int characterBoundary(byte[] bytes, int from, int to) {
        int i = to;
        while (i > from && (bytes[i - 1] & 0xC0) == 0x80) {
            i--; // continuation bytes
        }
        if (i > from && (bytes[i - 1] & 0x80) != 0) {
            int lead = bytes[i - 1] & 0xff;
            int need = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : 2;
            return to - (i - 1) >= need ? to : i - 1;
        }
        return to;
    }

    private String decode(byte[] bytes, int from, int to, long lineStart) {
        ByteBuffer bb = ByteBuffer.wrap(bytes, from, to - from);
        CharBuffer cb = CharBuffer.allocate(to - from);
        decoder.reset();
        CoderResult r = decoder.decode(bb, cb, true);
        if (r.isError()) {
            int at = bb.position();
            throw notUtf8(file, number, lineStart + at, bytes[at] & 0xff);
        }
        decoder.flush(cb);
        return cb.flip().toString();
    }

    private static InvalidInputException notUtf8(Path file, long line, long byteOffset, int value) {
        return new InvalidInputException(file + " is not UTF-8 text: line " + line + " (byte offset " + byteOffset
                + ") has the byte 0x" + String.format("%02x", value) + ", which UTF-8 does not allow there; convert "
                + "the file with iconv (e.g. iconv -f latin1 -t utf-8) or remove that byte");
    }

    /**
     * The error for a file a reader found not to be UTF-8, naming the first bad byte's line and offset (the
     * file is scanned again to find it, so call this only on that failure).
     */
    public static InvalidInputException notUtf8(Path file) {
        try (TextLines lines = open(file, Integer.MAX_VALUE - 8, "file")) {
            while (lines.next() != null) {
                // scanning for the first bad byte; next() throws it
            }
        } catch (InvalidInputException e) {
            return e;
        }
        return new InvalidInputException(file + " is not UTF-8 text; convert it with iconv -t utf-8");
    }

    @Override
    public void close() {
        try {
            in.close();
        } catch (IOException ignored) {
            // read-only: nothing is lost
        }
    }
}
