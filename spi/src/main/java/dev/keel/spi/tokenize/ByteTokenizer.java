package dev.keel.spi.tokenize;

import static org.apiguardian.api.API.Status.EXPERIMENTAL;

import dev.keel.api.InvalidInputException;
import dev.keel.api.tokenize.Tokenizer;
import dev.keel.api.tokenize.TokenizerKind;
import java.nio.charset.StandardCharsets;
import org.apiguardian.api.API;

/** One token per UTF-8 byte: 256 ids, any text, no training. Decoding replaces broken sequences. */
@API(status = EXPERIMENTAL, since = "0.1")
public final class ByteTokenizer implements Tokenizer {
    @Override
    public TokenizerKind kind() {
        return TokenizerKind.BYTE;
    }

    @Override
    public int vocabSize() {
        return 256;
    }

    @Override
    public int[] encode(String text) {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        int[] ids = new int[bytes.length];
        for (int i = 0; i < bytes.length; i++) {
            ids[i] = bytes[i] & 0xff;
        }
        return ids;
    }

    @Override
    public String decode(int[] ids) {
        byte[] bytes = new byte[ids.length];
        for (int i = 0; i < ids.length; i++) {
            if (ids[i] < 0 || ids[i] > 255) {
                throw new InvalidInputException("token id " + ids[i] + " is not a byte (0..255)");
            }
            bytes[i] = (byte) ids[i];
        }
        return new String(bytes, StandardCharsets.UTF_8);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ByteTokenizer;
    }

    @Override
    public int hashCode() {
        return 256;
    }
}
