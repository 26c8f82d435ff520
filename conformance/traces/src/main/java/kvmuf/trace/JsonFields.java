package kvmuf.trace;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeType;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;

/** Typed access to one JSON object's fields, with errors naming file, line and field. */
record JsonFields(String file, int line, String prefix, JsonNode n) {
  TraceFormatException error(String field, String msg) {
    return new TraceFormatException(file, line, prefix + field, msg);
  }

  JsonNode node(String field) {
    JsonNode v = n.get(field);
    if (v == null || v.isNull()) {
      throw error(field, "missing field");
    }
    return v;
  }

  String text(String field) {
    JsonNode v = node(field);
    if (!v.isTextual()) {
      throw error(field, "expected a string, got " + v.getNodeType().name().toLowerCase());
    }
    return v.textValue();
  }

  long integer(String field) {
    JsonNode v = node(field);
    if (!v.isIntegralNumber() || !v.canConvertToLong()) {
      throw error(field, "expected an integer, got " + (v.getNodeType() == JsonNodeType.NUMBER ? v.toString() : v.getNodeType().name().toLowerCase()));
    }
    return v.longValue();
  }

  boolean bool(String field) {
    JsonNode v = node(field);
    if (!v.isBoolean()) {
      throw error(field, "expected true or false, got " + v.getNodeType().name().toLowerCase());
    }
    return v.booleanValue();
  }

  JsonNode object(String field) {
    JsonNode v = node(field);
    if (!v.isObject()) {
      throw error(field, "expected an object");
    }
    return v;
  }

  List<String> strings(String field) {
    JsonNode v = node(field);
    if (!v.isArray()) {
      throw error(field, "expected an array of strings");
    }
    List<String> out = new ArrayList<>();
    for (JsonNode x : v) {
      if (!x.isTextual()) {
        throw error(field, "expected an array of strings");
      }
      out.add(x.textValue());
    }
    return out;
  }

  void only(String... allowed) {
    only(List.of(), allowed);
  }

  void only(List<String> extra, String... allowed) {
    List<String> ok = List.of(allowed);
    for (Iterator<String> it = n.fieldNames(); it.hasNext(); ) {
      String k = it.next();
      if (!ok.contains(k) && !extra.contains(k) && !k.startsWith("x_")) {
        throw error(k, "unknown field");
      }
    }
  }
}
