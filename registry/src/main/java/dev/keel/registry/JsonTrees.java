package dev.keel.registry;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonPrimitive;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * JSON trees to plain Java values keeping whole numbers whole: Gson's default maps read every number as a
 * double, which would turn {@code "max_steps": 300} into {@code 300.0} in lineage and model cards.
 */
final class JsonTrees {
    private JsonTrees() { }

    static Object toJava(JsonElement e) {
        if (e == null || e.isJsonNull()) {
            return null;
        }
        if (e.isJsonObject()) {
            return toMap(e.getAsJsonObject());
        }
        if (e.isJsonArray()) {
            List<Object> out = new ArrayList<>();
            for (JsonElement item : (JsonArray) e) {
                out.add(toJava(item));
            }
            return out;
        }
        JsonPrimitive p = e.getAsJsonPrimitive();
        if (p.isBoolean()) {
            return p.getAsBoolean();
        }
        if (p.isNumber()) {
            BigDecimal d = p.getAsBigDecimal();
            try {
                return d.stripTrailingZeros().scale() <= 0 ? (Object) d.longValueExact() : (Object) d.doubleValue();
            } catch (ArithmeticException tooBig) {
                return d.doubleValue();
            }
        }
        return p.getAsString();
    }

    static Map<String, Object> toMap(JsonObject o) {
        Map<String, Object> out = new LinkedHashMap<>();
        if (o != null) {
            o.entrySet().forEach(en -> out.put(en.getKey(), toJava(en.getValue())));
        }
        return out;
    }

    static String string(JsonObject o, String key) {
        JsonElement e = o == null ? null : o.get(key);
        return e == null || e.isJsonNull() ? null : e.isJsonPrimitive() ? e.getAsString() : e.toString();
    }

    static Map<String, String> strings(JsonObject o, String key) {
        Map<String, String> out = new LinkedHashMap<>();
        if (o != null && o.get(key) instanceof JsonObject m) {
            m.entrySet().forEach(en -> out.put(en.getKey(), en.getValue().isJsonPrimitive()
                    ? en.getValue().getAsString() : en.getValue().toString()));
        }
        return out;
    }

    static Map<String, Double> numbers(JsonObject o, String key) {
        Map<String, Double> out = new LinkedHashMap<>();
        if (o != null && o.get(key) instanceof JsonObject m) {
            m.entrySet().forEach(en -> {
                if (en.getValue().isJsonPrimitive() && en.getValue().getAsJsonPrimitive().isNumber()) {
                    out.put(en.getKey(), en.getValue().getAsDouble());
                }
            });
        }
        return out;
    }

    static List<String> stringList(JsonObject o, String key) {
        List<String> out = new ArrayList<>();
        if (o != null && o.get(key) instanceof JsonArray a) {
            a.forEach(e -> out.add(e.isJsonPrimitive() ? e.getAsString() : e.toString()));
        }
        return out;
    }
}
