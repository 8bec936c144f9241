package dev.herd.daemon;

import java.io.IOException;
import java.io.StringWriter;
import java.lang.reflect.Constructor;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.RecordComponent;
import java.lang.reflect.Type;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;

/**
 * Records to and from JSON with jackson-core's streaming parser and generator alone, for the
 * client's hot path: a command as short as {@code list} spent about a third of its time setting
 * up Jackson databind. It reads any record generically, by its components, so a field added to
 * a record such as {@link InstanceView} needs nothing here; and it writes the text that
 * {@link Protocol#json()} writes for the same values (components in declaration order, nulls
 * written, enums by name), so {@code list --json} prints what it always did.
 *
 * <p>Types it handles: records of these, {@code List} and {@code Collection}, {@code Map} with
 * {@code String} keys, {@code String}, enums, the primitives and their boxes. {@link #supports}
 * says whether a type stays within them; callers fall back to databind when it does not.
 * Reading follows {@link Protocol#json()}'s rules: unknown fields are skipped, and a missing or
 * null one is null, or zero or false for a primitive.
 *
 * <p>Thread-safe.
 */
public final class RecordJson {

    private static final JsonFactory FACTORY = new JsonFactory();
    private static final ClassValue<Shape> SHAPES = new ClassValue<>() {
        @Override
        protected Shape computeValue(Class<?> type) {
            return Shape.of(type);
        }
    };

    private RecordJson() {
    }

    /** A record's components, by name, and its canonical constructor. */
    private record Shape(RecordComponent[] components, Map<String, Integer> index, Constructor<?> constructor) {
        static Shape of(Class<?> type) {
            RecordComponent[] components = type.getRecordComponents();
            Map<String, Integer> index = new HashMap<>();
            Class<?>[] types = new Class<?>[components.length];
            for (int i = 0; i < components.length; i++) {
                index.put(components[i].getName(), i);
                types[i] = components[i].getType();
            }
            try {
                Constructor<?> constructor = type.getDeclaredConstructor(types);
                constructor.setAccessible(true);
                return new Shape(components, index, constructor);
            } catch (NoSuchMethodException e) {
                throw new IllegalStateException("record " + type.getName() + " has no canonical constructor", e);
            }
        }
    }

    /** Whether every value of this type, down to its records' components, is one this class reads and writes. */
    public static boolean supports(Type type) {
        return supports(type, new HashSet<>());
    }

    private static boolean supports(Type type, Set<Class<?>> seen) {
        if (type instanceof ParameterizedType p && p.getRawType() instanceof Class<?> raw) {
            Type[] args = p.getActualTypeArguments();
            if (raw == List.class || raw == Collection.class) {
                return supports(args[0], seen);
            }
            return raw == Map.class && args[0] == String.class && supports(args[1], seen);
        }
        if (!(type instanceof Class<?> c)) {
            return false;
        }
        if (scalar(c) || c.isEnum()) {
            return true;
        }
        if (!c.isRecord()) {
            return false;
        }
        if (!seen.add(c)) {
            return true;
        }
        for (RecordComponent rc : c.getRecordComponents()) {
            if (!supports(rc.getGenericType(), seen)) {
                return false;
            }
        }
        return true;
    }

    private static boolean scalar(Class<?> c) {
        return c.isPrimitive() && c != void.class && c != char.class
                || c == String.class || c == Integer.class || c == Long.class || c == Double.class || c == Float.class
                || c == Short.class || c == Byte.class || c == Boolean.class;
    }

    /**
     * Reads one JSON document as a value of {@code type}.
     *
     * @throws IOException for malformed JSON, or a value that does not fit the type
     */
    public static Object read(byte[] json, Type type) throws IOException {
        try (JsonParser p = FACTORY.createParser(json)) {
            p.nextToken();
            return read(p, type);
        }
    }

    /** Reads the value at the parser's current token, leaving the parser on its last token. */
    private static Object read(JsonParser p, Type type) throws IOException {
        JsonToken t = p.currentToken();
        if (t == null) {
            throw new IOException("no JSON value where a " + type.getTypeName() + " was expected");
        }
        if (type instanceof ParameterizedType pt) {
            if (t == JsonToken.VALUE_NULL) {
                return null;
            }
            Type[] args = pt.getActualTypeArguments();
            if (pt.getRawType() == Map.class) {
                expect(p, JsonToken.START_OBJECT, type);
                Map<String, Object> map = new LinkedHashMap<>();
                while (p.nextToken() == JsonToken.FIELD_NAME) {
                    String key = p.currentName();
                    p.nextToken();
                    map.put(key, read(p, args[1]));
                }
                return map;
            }
            expect(p, JsonToken.START_ARRAY, type);
            List<Object> list = new ArrayList<>();
            while (p.nextToken() != JsonToken.END_ARRAY) {
                list.add(read(p, args[0]));
            }
            return list;
        }
        Class<?> c = (Class<?>) type;
        if (t == JsonToken.VALUE_NULL) {
            return c.isPrimitive() ? zero(c) : null;
        }
        if (c.isRecord()) {
            return readRecord(p, c);
        }
        if (c.isEnum()) {
            String name = p.getValueAsString();
            for (Object constant : c.getEnumConstants()) {
                if (((Enum<?>) constant).name().equals(name)) {
                    return constant;
                }
            }
            throw new IOException("'" + name + "' is not a " + c.getSimpleName());
        }
        if (c == String.class) {
            if (!t.isScalarValue()) {
                throw new IOException("expected a string, found " + t);
            }
            return p.getValueAsString();
        }
        if (c == boolean.class || c == Boolean.class) {
            return p.getValueAsBoolean();
        }
        if (!t.isNumeric()) {
            throw new IOException("expected a number, found " + t);
        }
        if (c == int.class || c == Integer.class) {
            return p.getValueAsInt();
        }
        if (c == long.class || c == Long.class) {
            return p.getValueAsLong();
        }
        if (c == double.class || c == Double.class) {
            return p.getValueAsDouble();
        }
        if (c == float.class || c == Float.class) {
            return (float) p.getValueAsDouble();
        }
        if (c == short.class || c == Short.class) {
            return (short) p.getValueAsInt();
        }
        if (c == byte.class || c == Byte.class) {
            return (byte) p.getValueAsInt();
        }
        throw new IOException("cannot read a " + c.getName());
    }

    private static Object readRecord(JsonParser p, Class<?> c) throws IOException {
        expect(p, JsonToken.START_OBJECT, c);
        Shape shape = SHAPES.get(c);
        Object[] args = new Object[shape.components().length];
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            Integer i = shape.index().get(p.currentName());
            p.nextToken();
            if (i == null) {
                p.skipChildren();
            } else {
                args[i] = read(p, shape.components()[i].getGenericType());
            }
        }
        for (int i = 0; i < args.length; i++) {
            Class<?> type = shape.components()[i].getType();
            if (args[i] == null && type.isPrimitive()) {
                args[i] = zero(type);
            }
        }
        try {
            return shape.constructor().newInstance(args);
        } catch (InvocationTargetException e) {
            throw new IOException("cannot make a " + c.getSimpleName() + ": " + e.getCause().getMessage(), e.getCause());
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("cannot make a " + c.getName(), e);
        }
    }

    private static void expect(JsonParser p, JsonToken token, Type type) throws IOException {
        if (p.currentToken() != token) {
            throw new IOException("expected " + token + " for a " + type.getTypeName() + ", found " + p.currentToken());
        }
    }

    private static Object zero(Class<?> primitive) {
        if (primitive == boolean.class) {
            return false;
        }
        if (primitive == long.class) {
            return 0L;
        }
        if (primitive == double.class) {
            return 0.0;
        }
        if (primitive == float.class) {
            return 0.0f;
        }
        if (primitive == short.class) {
            return (short) 0;
        }
        if (primitive == byte.class) {
            return (byte) 0;
        }
        return 0;
    }

    /** The value as compact JSON, in UTF-8. */
    public static byte[] bytes(Object value) throws IOException {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        try (JsonGenerator g = FACTORY.createGenerator(out)) {
            write(g, value);
        }
        return out.toByteArray();
    }

    /** The value as JSON, indented as {@code Protocol.json().writerWithDefaultPrettyPrinter()} indents it. */
    public static String pretty(Object value) throws IOException {
        StringWriter out = new StringWriter();
        try (JsonGenerator g = FACTORY.createGenerator(out)) {
            g.useDefaultPrettyPrinter();
            write(g, value);
        }
        return out.toString();
    }

    /**
     * Writes one value.
     *
     * @throws IllegalArgumentException for a value of a type outside those listed above
     */
    public static void write(JsonGenerator g, Object value) throws IOException {
        if (value == null) {
            g.writeNull();
        } else if (value instanceof String s) {
            g.writeString(s);
        } else if (value instanceof Integer || value instanceof Short || value instanceof Byte) {
            g.writeNumber(((Number) value).intValue());
        } else if (value instanceof Long l) {
            g.writeNumber(l);
        } else if (value instanceof Double d) {
            g.writeNumber(d);
        } else if (value instanceof Float f) {
            g.writeNumber(f);
        } else if (value instanceof Boolean b) {
            g.writeBoolean(b);
        } else if (value instanceof Enum<?> e) {
            g.writeString(e.name());
        } else if (value instanceof Collection<?> items) {
            g.writeStartArray();
            for (Object item : items) {
                write(g, item);
            }
            g.writeEndArray();
        } else if (value instanceof Map<?, ?> map) {
            g.writeStartObject();
            for (Map.Entry<?, ?> e : map.entrySet()) {
                g.writeFieldName(String.valueOf(e.getKey()));
                write(g, e.getValue());
            }
            g.writeEndObject();
        } else if (value instanceof Record r) {
            g.writeStartObject();
            for (RecordComponent rc : SHAPES.get(r.getClass()).components()) {
                g.writeFieldName(rc.getName());
                write(g, component(r, rc));
            }
            g.writeEndObject();
        } else {
            throw new IllegalArgumentException("cannot write a " + value.getClass().getName() + " as JSON");
        }
    }

    private static Object component(Record r, RecordComponent rc) {
        try {
            var accessor = rc.getAccessor();
            accessor.setAccessible(true);
            return accessor.invoke(r);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("cannot read " + r.getClass().getName() + "." + rc.getName(), e);
        }
    }
}
