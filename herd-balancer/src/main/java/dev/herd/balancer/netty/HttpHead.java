package dev.herd.balancer.netty;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Locale;

import io.netty.buffer.ByteBuf;

/**
 * One HTTP/1.x message head (start line and field lines, up to and including the empty line) as
 * the raw bytes that arrived, with the position of each field line: the proxy reads the few fields
 * that decide framing and routing, and forwards the others as they came, copying byte ranges
 * instead of building header objects (HAProxy's approach; Netty's codec cost a few KB of garbage
 * per request).
 *
 * <p>{@link #parse} accepts only well-formed field lines (RFC 9112 section 5, RFC 9110 section
 * 5.5): CRLF line endings, a token name directly followed by a colon, no obs-fold, no control
 * bytes but HTAB in values. The start line is the caller's to check.
 */
final class HttpHead {

    /** A head that breaks the grammar; carries no stack (it is an answer, not a bug). */
    static final class MalformedException extends Exception {
        MalformedException(String message) {
            super(message, null, false, false);
        }
    }

    static final byte[] CONNECTION = ascii("connection");
    static final byte[] CONTENT_LENGTH = ascii("content-length");
    static final byte[] TRANSFER_ENCODING = ascii("transfer-encoding");
    static final byte[] HOST = ascii("host");
    static final byte[] KEEP_ALIVE = ascii("keep-alive");
    static final byte[] PROXY_CONNECTION = ascii("proxy-connection");
    static final byte[] TE = ascii("te");
    static final byte[] TRAILER = ascii("trailer");
    static final byte[] UPGRADE = ascii("upgrade");
    static final byte[] CLOSE = ascii("close");

    private static final String[] NONE = new String[0];

    private final byte[] bytes;
    private final int startLineEnd;
    /** Per field line: start of its name, its colon, the CR ending it. */
    private final int[] fields;
    private final int count;

    private HttpHead(byte[] bytes, int startLineEnd, int[] fields, int count) {
        this.bytes = bytes;
        this.startLineEnd = startLineEnd;
        this.fields = fields;
        this.count = count;
    }

    /**
     * Splits a complete head ({@code bytes} ends with CRLF CRLF) into its lines and checks the
     * field lines.
     */
    static HttpHead parse(byte[] bytes) throws MalformedException {
        int startLineEnd = lineEnd(bytes, 0);
        int[] fields = new int[24];
        int count = 0;
        int pos = startLineEnd + 2;
        while (true) {
            int eol = lineEnd(bytes, pos);
            if (eol == pos) {
                if (eol + 2 != bytes.length) {
                    throw new MalformedException("bytes after the head's end");
                }
                break;
            }
            int colon = checkField(bytes, pos, eol);
            if (count * 3 == fields.length) {
                fields = Arrays.copyOf(fields, fields.length * 2);
            }
            fields[count * 3] = pos;
            fields[count * 3 + 1] = colon;
            fields[count * 3 + 2] = eol;
            count++;
            pos = eol + 2;
        }
        return new HttpHead(bytes, startLineEnd, fields, count);
    }

    /** The index of the CR of the CRLF ending the line at {@code from}; rejects a bare CR or LF. */
    private static int lineEnd(byte[] b, int from) throws MalformedException {
        for (int i = from; i < b.length; i++) {
            byte c = b[i];
            if (c == '\n') {
                throw new MalformedException("bare LF");
            }
            if (c == '\r') {
                if (i + 1 >= b.length || b[i + 1] != '\n') {
                    throw new MalformedException("bare CR");
                }
                return i;
            }
        }
        throw new MalformedException("unterminated line");
    }

    /**
     * The index of the CR of the CRLF ending the line at {@code buf}'s reader index, or -1 while
     * the line is incomplete; rejects a bare CR or LF and a line longer than {@code limit}. For
     * the lines after a head: chunk sizes and trailers, both ways.
     */
    static int lineEnd(ByteBuf buf, int limit) throws MalformedException {
        int start = buf.readerIndex();
        int end = buf.writerIndex();
        for (int i = start; i < end; i++) {
            byte b = buf.getByte(i);
            if (b == '\n') {
                throw new MalformedException("bare LF");
            }
            if (b == '\r') {
                if (i + 1 == end) {
                    return -1;
                }
                if (buf.getByte(i + 1) != '\n') {
                    throw new MalformedException("bare CR");
                }
                return i;
            }
            if (i - start >= limit) {
                throw new MalformedException("line longer than " + limit + " bytes");
            }
        }
        return -1;
    }

    /**
     * A Content-Length value: digits only (no sign, list or space, which lenient parsers disagree
     * on), at most 18 of them so it fits a long.
     */
    static long contentLength(String value) throws MalformedException {
        if (value.isEmpty() || value.length() > 18) {
            throw new MalformedException("bad Content-Length");
        }
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c < '0' || c > '9') {
                throw new MalformedException("bad Content-Length");
            }
        }
        return Long.parseLong(value);
    }

    /**
     * The end of the chunk size at {@code buf}'s reader index, on a chunk line ending at
     * {@code eol}: one to fifteen hex digits (more would overflow a long).
     */
    static int chunkSizeEnd(ByteBuf buf, int eol) throws MalformedException {
        int start = buf.readerIndex();
        int i = start;
        while (i < eol && Character.digit(buf.getByte(i), 16) >= 0) {
            if (i - start >= 15) {
                throw new MalformedException("chunk size too large");
            }
            i++;
        }
        if (i == start) {
            throw new MalformedException("no chunk size");
        }
        return i;
    }

    /** The value of the hex digits {@code [from, to)} (checked by {@link #chunkSizeEnd}). */
    static long chunkSize(ByteBuf buf, int from, int to) {
        long size = 0;
        for (int i = from; i < to; i++) {
            size = size * 16 + Character.digit(buf.getByte(i), 16);
        }
        return size;
    }

    /** Checks one field line {@code [pos, eol)}; returns the colon's index. */
    static int checkField(byte[] h, int pos, int eol) throws MalformedException {
        if (h[pos] == ' ' || h[pos] == '\t') {
            throw new MalformedException("obs-fold");
        }
        int colon = -1;
        for (int i = pos; i < eol; i++) {
            byte c = h[i];
            if (c == ':') {
                colon = i;
                break;
            }
            if (!isTchar(c)) {
                // Includes whitespace before the colon, a smuggling classic.
                throw new MalformedException("bad byte in a field name");
            }
        }
        if (colon <= pos) {
            throw new MalformedException("field line without a name and colon");
        }
        for (int i = colon + 1; i < eol; i++) {
            if (!isFieldByte(h[i])) {
                throw new MalformedException("control byte in a field value");
            }
        }
        return colon;
    }

    byte[] bytes() {
        return bytes;
    }

    int length() {
        return bytes.length;
    }

    /** The index of the CR ending the start line. */
    int startLineEnd() {
        return startLineEnd;
    }

    int fieldCount() {
        return count;
    }

    /** Whether field {@code i}'s name is {@code lowerName} (given in lower case), ignoring case. */
    boolean nameIs(int i, byte[] lowerName) {
        int start = fields[i * 3];
        int len = fields[i * 3 + 1] - start;
        if (len != lowerName.length) {
            return false;
        }
        for (int k = 0; k < len; k++) {
            if (toLower(bytes[start + k]) != lowerName[k]) {
                return false;
            }
        }
        return true;
    }

    /** Whether field {@code i}'s name equals {@code name} ignoring ASCII case. */
    boolean nameIs(int i, String name) {
        int start = fields[i * 3];
        int len = fields[i * 3 + 1] - start;
        if (len != name.length()) {
            return false;
        }
        for (int k = 0; k < len; k++) {
            if (toLower(bytes[start + k]) != toLower((byte) name.charAt(k))) {
                return false;
            }
        }
        return true;
    }

    String name(int i) {
        int start = fields[i * 3];
        return new String(bytes, start, fields[i * 3 + 1] - start, StandardCharsets.ISO_8859_1);
    }

    /** Field {@code i}'s value exactly as sent, whitespace around it included. */
    String rawValue(int i) {
        int from = fields[i * 3 + 1] + 1;
        return new String(bytes, from, fields[i * 3 + 2] - from, StandardCharsets.ISO_8859_1);
    }

    /** Field {@code i}'s value without the optional whitespace around it. */
    String value(int i) {
        int from = skipOws(fields[i * 3 + 1] + 1, fields[i * 3 + 2]);
        int to = trimOws(from, fields[i * 3 + 2]);
        return new String(bytes, from, to - from, StandardCharsets.ISO_8859_1);
    }

    /** The index of the first field named {@code lowerName}, or -1. */
    int indexOf(byte[] lowerName) {
        for (int i = 0; i < count; i++) {
            if (nameIs(i, lowerName)) {
                return i;
            }
        }
        return -1;
    }

    /**
     * Whether any field named {@code lowerName} lists {@code lowerToken} among its comma-separated
     * elements, ignoring case (as {@code Connection: keep-alive, Upgrade}).
     */
    boolean hasToken(byte[] lowerName, byte[] lowerToken) {
        for (int i = 0; i < count; i++) {
            if (nameIs(i, lowerName) && listContains(i, lowerToken)) {
                return true;
            }
        }
        return false;
    }

    private boolean listContains(int i, byte[] lowerToken) {
        int pos = fields[i * 3 + 1] + 1;
        int end = fields[i * 3 + 2];
        while (pos <= end) {
            int comma = indexOfComma(pos, end);
            int from = skipOws(pos, comma);
            int to = trimOws(from, comma);
            if (rangeIs(from, to, lowerToken)) {
                return true;
            }
            pos = comma + 1;
        }
        return false;
    }

    /**
     * The names listed by every {@code Connection} field, in lower case, apart from
     * {@code close}, {@code keep-alive} and {@code upgrade}, which the caller handles itself:
     * usually none, and then nothing is allocated.
     */
    String[] connectionOptions() {
        String[] found = NONE;
        for (int i = 0; i < count; i++) {
            if (!nameIs(i, CONNECTION)) {
                continue;
            }
            int pos = fields[i * 3 + 1] + 1;
            int end = fields[i * 3 + 2];
            while (pos <= end) {
                int comma = indexOfComma(pos, end);
                int from = skipOws(pos, comma);
                int to = trimOws(from, comma);
                if (to > from && !rangeIs(from, to, CLOSE) && !rangeIs(from, to, KEEP_ALIVE) && !rangeIs(from, to, UPGRADE)) {
                    found = Arrays.copyOf(found, found.length + 1);
                    found[found.length - 1] = new String(bytes, from, to - from, StandardCharsets.ISO_8859_1)
                            .toLowerCase(Locale.ROOT);
                }
                pos = comma + 1;
            }
        }
        return found;
    }

    private int indexOfComma(int from, int end) {
        int i = from;
        while (i < end && bytes[i] != ',') {
            i++;
        }
        return i;
    }

    private int skipOws(int from, int to) {
        while (from < to && (bytes[from] == ' ' || bytes[from] == '\t')) {
            from++;
        }
        return from;
    }

    private int trimOws(int from, int to) {
        while (to > from && (bytes[to - 1] == ' ' || bytes[to - 1] == '\t')) {
            to--;
        }
        return to;
    }

    /** Whether bytes {@code [from, to)} are {@code lowerToken}, ignoring ASCII case. */
    private boolean rangeIs(int from, int to, byte[] lowerToken) {
        if (to - from != lowerToken.length) {
            return false;
        }
        for (int k = 0; k < lowerToken.length; k++) {
            if (toLower(bytes[from + k]) != lowerToken[k]) {
                return false;
            }
        }
        return true;
    }

    /** Whether field {@code i} is named by one of {@code options} (from {@link #connectionOptions}). */
    boolean nameIn(int i, String[] options) {
        for (String o : options) {
            if (nameIs(i, o)) {
                return true;
            }
        }
        return false;
    }

    /** Writes field line {@code i} as it arrived, with its CRLF. */
    void writeField(int i, ByteBuf out) {
        int start = fields[i * 3];
        out.writeBytes(bytes, start, fields[i * 3 + 2] + 2 - start);
    }

    /** Writes field {@code i}'s value without the optional whitespace around it. */
    void writeValue(int i, ByteBuf out) {
        int from = skipOws(fields[i * 3 + 1] + 1, fields[i * 3 + 2]);
        int to = trimOws(from, fields[i * 3 + 2]);
        out.writeBytes(bytes, from, to - from);
    }

    /** Writes bytes {@code [from, to)} of the head. */
    void writeRange(int from, int to, ByteBuf out) {
        out.writeBytes(bytes, from, to - from);
    }

    // ---- byte classes ----

    static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    private static int toLower(byte b) {
        return b >= 'A' && b <= 'Z' ? b + 32 : b;
    }

    static boolean isTchar(byte b) {
        return TCHAR[b & 0xff];
    }

    /** field-vchar, SP, HTAB or obs-text: no CTL but HTAB, no DEL. */
    static boolean isFieldByte(byte b) {
        return b == '\t' || (b >= 0x20 && b != 0x7f) || b < 0;
    }

    private static final boolean[] TCHAR = new boolean[256];

    static {
        for (int c = '0'; c <= '9'; c++) {
            TCHAR[c] = true;
        }
        for (int c = 'a'; c <= 'z'; c++) {
            TCHAR[c] = true;
            TCHAR[c - 32] = true;
        }
        for (char c : "!#$%&'*+-.^_`|~".toCharArray()) {
            TCHAR[c] = true;
        }
    }
}
