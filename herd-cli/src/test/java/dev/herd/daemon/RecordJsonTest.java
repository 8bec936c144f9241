package dev.herd.daemon;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.lang.reflect.Constructor;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.RecordComponent;
import java.lang.reflect.Type;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.core.type.TypeReference;

/**
 * RecordJson against databind, on values made from the records' components by reflection: a
 * field added to {@link InstanceView} is covered without a change here.
 */
class RecordJsonTest {

    private static final TypeReference<List<InstanceView>> VIEWS = new TypeReference<>() {
    };

    /** A value of every component, different from one component to the next; null objects when {@code nulls}. */
    private static Object sample(Type type, int seed, boolean nulls) throws ReflectiveOperationException {
        if (type instanceof ParameterizedType p) {
            Type[] args = p.getActualTypeArguments();
            if (nulls) {
                return null;
            }
            if (p.getRawType() == Map.class) {
                Map<String, Object> map = new LinkedHashMap<>();
                map.put("k" + seed, sample(args[1], seed + 1, false));
                map.put("a" + seed, sample(args[1], seed + 2, false));
                return map;
            }
            List<Object> list = new ArrayList<>();
            list.add(sample(args[0], seed + 1, false));
            list.add(sample(args[0], seed + 2, false));
            return list;
        }
        Class<?> c = (Class<?>) type;
        if (c == int.class || c == Integer.class) {
            return c.isPrimitive() || !nulls ? seed : null;
        }
        if (c == long.class || c == Long.class) {
            return c.isPrimitive() || !nulls ? 1_700_000_000_000L + seed : null;
        }
        if (c == double.class || c == Double.class) {
            return c.isPrimitive() || !nulls ? seed + 0.25 : null;
        }
        if (c == boolean.class || c == Boolean.class) {
            return c.isPrimitive() || !nulls ? seed % 2 == 1 : null;
        }
        if (nulls) {
            return null;
        }
        if (c == String.class) {
            return "text \"" + seed + "\" é\n";
        }
        if (c.isEnum()) {
            Object[] constants = c.getEnumConstants();
            return constants[seed % constants.length];
        }
        if (c.isRecord()) {
            RecordComponent[] components = c.getRecordComponents();
            Object[] args = new Object[components.length];
            Class<?>[] types = new Class<?>[components.length];
            for (int i = 0; i < components.length; i++) {
                args[i] = sample(components[i].getGenericType(), seed * 7 + i, false);
                types[i] = components[i].getType();
            }
            Constructor<?> ctor = c.getDeclaredConstructor(types);
            ctor.setAccessible(true);
            return ctor.newInstance(args);
        }
        throw new IllegalArgumentException("no sample for " + c);
    }

    private static List<InstanceView> views() throws ReflectiveOperationException {
        RecordComponent[] components = InstanceView.class.getRecordComponents();
        Object[] sparse = new Object[components.length];
        Class<?>[] types = new Class<?>[components.length];
        for (int i = 0; i < components.length; i++) {
            sparse[i] = sample(components[i].getGenericType(), i, true);
            types[i] = components[i].getType();
        }
        InstanceView withNulls = InstanceView.class.getDeclaredConstructor(types).newInstance(sparse);
        return List.of((InstanceView) sample(InstanceView.class, 3, false), withNulls,
                (InstanceView) sample(InstanceView.class, 11, false));
    }

    @Test
    void instanceViewIsWithinTheTypesItHandles() {
        assertThat(RecordJson.supports(InstanceView.class)).isTrue();
        assertThat(RecordJson.supports(VIEWS.getType())).isTrue();
    }

    @Test
    void writesWhatDatabindWrites() throws Exception {
        List<InstanceView> views = views();

        assertThat(RecordJson.pretty(views)).isEqualTo(Protocol.json().writerWithDefaultPrettyPrinter().writeValueAsString(views));
        assertThat(new String(RecordJson.bytes(views), java.nio.charset.StandardCharsets.UTF_8))
                .isEqualTo(Protocol.json().writeValueAsString(views));
        assertThat(RecordJson.pretty(List.of())).isEqualTo(Protocol.json().writerWithDefaultPrettyPrinter().writeValueAsString(List.of()));
    }

    @Test
    void readsWhatDatabindReads() throws Exception {
        List<InstanceView> views = views();
        byte[] json = Protocol.json().writeValueAsBytes(views);

        assertThat(RecordJson.read(json, VIEWS.getType())).isEqualTo(views).isEqualTo(Protocol.json().readValue(json, VIEWS));
    }

    record Pair(int count, String name, List<Long> values, Map<String, Boolean> flags) {
    }

    @Test
    void skipsUnknownFieldsAndGivesMissingOnesTheirDefaults() throws IOException {
        byte[] json = "{\"later\":{\"a\":[1,{\"b\":null}]},\"name\":\"x\",\"flags\":{\"on\":true},\"count\":null}".getBytes();

        assertThat(RecordJson.read(json, Pair.class)).isEqualTo(new Pair(0, "x", null, Map.of("on", true)));
    }

    @Test
    void aValueOfTheWrongShapeIsAnError() {
        assertThatThrownBy(() -> RecordJson.read("{\"count\":\"many\"}".getBytes(), Pair.class))
                .isInstanceOf(IOException.class).hasMessageContaining("expected a number");
        assertThatThrownBy(() -> RecordJson.read("{\"values\":{}}".getBytes(), Pair.class))
                .isInstanceOf(IOException.class).hasMessageContaining("START_ARRAY");
        assertThatThrownBy(() -> RecordJson.read("{\"signal\":\"SIGNOPE\"}".getBytes(), dev.herd.supervisor.ExitRecord.class))
                .isInstanceOf(IOException.class).hasMessageContaining("'SIGNOPE' is not a Signal");
    }

    record WithInstant(java.time.Instant at) {
    }

    record WithArray(int[] numbers) {
    }

    @Test
    void typesOutsideTheHandledOnesAreNotSupported() {
        assertThat(RecordJson.supports(WithInstant.class)).isFalse();
        assertThat(RecordJson.supports(WithArray.class)).isFalse();
        assertThat(RecordJson.supports(new TypeReference<Map<Integer, String>>() {
        }.getType())).isFalse();
        assertThat(RecordJson.supports(Object.class)).isFalse();
    }
}
