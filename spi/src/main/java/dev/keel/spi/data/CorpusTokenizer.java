package dev.keel.spi.data;

import static org.apiguardian.api.API.Status.EXPERIMENTAL;

import dev.keel.api.InvalidInputException;
import dev.keel.api.KeelException;
import dev.keel.api.data.TextCorpus;
import dev.keel.api.tokenize.Tokenizer;
import dev.keel.spi.KeelCache;
import dev.keel.spi.checkpoint.AtomicFiles;
import dev.keel.spi.tokenize.CharTokenizer;
import dev.keel.spi.tokenize.Tokenizers;
import java.io.IOException;
import java.io.InputStream;
import java.io.Reader;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.CharBuffer;
import java.nio.IntBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.apiguardian.api.API;

/**
 * Reads a text corpus (a UTF-8 file, or a folder of them in name order) and turns it into a
 * {@link TokenArray}, cached on disk under the corpus fingerprint and the tokenizer, so later runs
 * map the cached tokens instead of tokenizing again. Large files are streamed in chunks.
 */
@API(status = EXPERIMENTAL, since = "0.1")
public final class CorpusTokenizer {
    private static final int CHUNK_CHARS = 1 << 20;

    private CorpusTokenizer() { }

    /** The corpus's regular files, in name order; fails clearly when there are none. */
    public static List<Path> files(TextCorpus corpus) {
        Path src = corpus.requireExists().source();
        if (Files.isRegularFile(src)) {
            return List.of(src);
        }
        try (Stream<Path> s = Files.list(src)) {
            List<Path> files = s.filter(Files::isRegularFile)
                    .filter(p -> !p.getFileName().toString().startsWith("."))
                    .sorted().toList();
            if (files.isEmpty()) {
                throw new InvalidInputException("corpus folder " + src + " holds no text files");
            }
            return files;
        } catch (IOException e) {
            throw new InvalidInputException("cannot list corpus folder " + src + ": " + e.getMessage(), e);
        }
    }

    /** The sha-256 of the corpus bytes (files concatenated in order). */
    public static String fingerprint(TextCorpus corpus) {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            byte[] buf = new byte[1 << 16];
            for (Path f : files(corpus)) {
                try (InputStream in = new DigestInputStream(Files.newInputStream(f), md)) {
                    while (in.read(buf) >= 0) {
                        // digest only
                    }
                }
            }
            return HexFormat.of().formatHex(md.digest());
        } catch (IOException e) {
            throw new InvalidInputException("cannot read corpus " + corpus.source() + ": " + e.getMessage(), e);
        } catch (NoSuchAlgorithmException e) {
            throw new KeelException("SHA-256 is missing from this JVM", e);
        }
    }

    /** Builds nanoGPT's character vocabulary: every code point of the corpus, sorted. */
    public static CharTokenizer charVocabulary(TextCorpus corpus) {
        TreeSet<Integer> set = new TreeSet<>();
        forEachChunk(corpus, chunk -> chunk.codePoints().forEach(set::add));
        if (set.isEmpty()) {
            throw new InvalidInputException("corpus " + corpus.source() + " is empty; give it some text to learn from");
        }
        return new CharTokenizer(set.stream().mapToInt(Integer::intValue).toArray());
    }

    /**
     * Tokenizes the corpus, using the token cache of {@link KeelCache#fromConfiguration()} when it already holds
     * this corpus and tokenizer.
     */
    public static TokenArray tokenize(TextCorpus corpus, Tokenizer tokenizer) {
        return tokenize(corpus, tokenizer, KeelCache.fromConfiguration());
    }

    /** Tokenizes the corpus, using {@code cache}'s token folder ({@link KeelCache#tokens()}). */
    public static TokenArray tokenize(TextCorpus corpus, Tokenizer tokenizer, KeelCache cache) {
        return tokenize(corpus, tokenizer, cache.tokens());
    }

    /**
     * Tokenizes the corpus with its tokens cached in {@code cacheDir}; the cache file is written atomically, so
     * JVMs tokenizing the same corpus at once each leave a complete, identical file.
     */
    public static TokenArray tokenize(TextCorpus corpus, Tokenizer tokenizer, Path cacheDir) {
        String corpusSha = fingerprint(corpus);
        String key = corpusSha.substring(0, 24) + "-" + tokenizerKey(tokenizer);
        Path cached = cacheDir.resolve(key + ".tokens");
        if (!Files.exists(cached)) {
            List<int[]> parts = new ArrayList<>();
            long[] total = {0};
            forEachChunk(corpus, chunk -> {
                int[] ids = tokenizer.encode(chunk);
                parts.add(ids);
                total[0] += ids.length;
            });
            if (total[0] == 0) {
                throw new InvalidInputException("corpus " + corpus.source() + " is empty; give it some text to learn from");
            }
            if (total[0] > Integer.MAX_VALUE / 4) {
                throw new InvalidInputException("corpus " + corpus.source() + " has " + total[0]
                        + " tokens; Keel's token cache holds at most " + Integer.MAX_VALUE / 4 + " per corpus");
            }
            AtomicFiles.write(cached, ch -> {
                for (int[] ids : parts) {
                    ByteBuffer b = ByteBuffer.allocate(ids.length * 4).order(ByteOrder.LITTLE_ENDIAN);
                    b.asIntBuffer().put(ids);
                    while (b.hasRemaining()) {
                        ch.write(b);
                    }
                }
            });
        }
        try (FileChannel ch = FileChannel.open(cached, StandardOpenOption.READ)) {
            IntBuffer ints = ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size()).order(ByteOrder.LITTLE_ENDIAN)
                    .asIntBuffer();
            return new TokenArray(ints, tokenizer.vocabSize(), corpusSha);
        } catch (IOException e) {
            throw new KeelException("cannot map token cache " + cached + ": " + e.getMessage(), e);
        }
    }

    private static String tokenizerKey(Tokenizer tokenizer) {
        try {
            Path tmp = Files.createTempDirectory("keel-tok");
            try {
                Tokenizers.save(tokenizer, tmp);
                MessageDigest md = MessageDigest.getInstance("SHA-256");
                try (Stream<Path> s = Files.list(tmp)) {
                    for (Path p : s.sorted().toList()) {
                        md.update(Files.readAllBytes(p));
                        Files.delete(p);
                    }
                }
                return tokenizer.kind().label() + "-" + HexFormat.of().formatHex(md.digest()).substring(0, 16);
            } finally {
                Files.deleteIfExists(tmp);
            }
        } catch (IOException | NoSuchAlgorithmException e) {
            throw new KeelException("cannot fingerprint tokenizer: " + e.getMessage(), e);
        }
    }

    /**
     * Streams the corpus as text chunks of about a megabyte, cut at line ends where possible so
     * sub-word tokenizers never see a word split in two. Fails on bytes that are not UTF-8.
     */
    public static void forEachChunk(TextCorpus corpus, java.util.function.Consumer<String> consumer) {
        for (Path f : files(corpus)) {
            CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT);
            try (Reader r = new java.io.InputStreamReader(Files.newInputStream(f), decoder)) {
                CharBuffer buf = CharBuffer.allocate(CHUNK_CHARS);
                StringBuilder carry = new StringBuilder();
                while (r.read(buf) >= 0 || buf.position() > 0) {
                    buf.flip();
                    carry.append(buf);
                    buf.clear();
                    int cut = carry.lastIndexOf("\n");
                    if (carry.length() >= CHUNK_CHARS / 2 && cut >= 0) {
                        consumer.accept(carry.substring(0, cut + 1));
                        carry.delete(0, cut + 1);
                    }
                }
                if (carry.length() > 0) {
                    consumer.accept(carry.toString());
                }
            } catch (CharacterCodingException e) {
                throw TextLines.notUtf8(f);
            } catch (IOException e) {
                throw new InvalidInputException("cannot read corpus file " + f + ": " + e.getMessage(), e);
            }
        }
    }
}
