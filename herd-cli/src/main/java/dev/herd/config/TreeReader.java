package dev.herd.config;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.yaml.snakeyaml.error.Mark;
import org.yaml.snakeyaml.error.MarkedYAMLException;

/**
 * Reads YAML or JSON text into a {@link Node} tree that remembers where each key and value was
 * written, by walking Jackson's streaming parser (its tree model keeps no locations).
 *
 * <p>JSON is read leniently, like the JSON5 PM2 accepts in practice: comments, trailing commas,
 * single quotes and unquoted keys are allowed.
 */
final class TreeReader {

    /** The two syntaxes an ecosystem file can use. */
    enum Syntax {
        YAML(new YAMLFactory()),
        JSON(JsonFactory.builder()
                .enable(JsonReadFeature.ALLOW_JAVA_COMMENTS, JsonReadFeature.ALLOW_YAML_COMMENTS,
                        JsonReadFeature.ALLOW_TRAILING_COMMA, JsonReadFeature.ALLOW_SINGLE_QUOTES,
                        JsonReadFeature.ALLOW_UNQUOTED_FIELD_NAMES)
                .build());

        private final JsonFactory factory;

        Syntax(JsonFactory factory) {
            this.factory = factory;
        }
    }

    private final Path file;
    private final boolean positions;

    /**
     * @param file      named in errors
     * @param positions whether token locations mean anything (not for JSON printed by node)
     */
    TreeReader(Path file, boolean positions) {
        this.file = file;
        this.positions = positions;
    }

    /** The single top-level value of {@code text}, or {@code null} when there is none. */
    Node read(String text, Syntax syntax) throws ConfigException {
        try (JsonParser parser = syntax.factory.createParser(text)) {
            if (parser.nextToken() == null) {
                return null;
            }
            Node root = value(parser, "");
            if (parser.nextToken() != null) {
                throw ConfigException.at(file, position(parser.currentTokenLocation()), "",
                        syntax == Syntax.YAML
                                ? "a second YAML document; an ecosystem file holds one"
                                : "more content after the top-level value");
            }
            return root;
        } catch (JsonProcessingException e) {
            throw ConfigException.at(file, positions ? position(e.getLocation()) : null, "",
                    "invalid " + syntax + ": " + reason(e));
        } catch (IOException e) {
            // Reading from a String fails only through the parser, handled above.
            throw ConfigException.at(file, null, "", "cannot parse: " + e.getMessage());
        }
    }

    private Node value(JsonParser parser, String path) throws IOException, ConfigException {
        Node.Position at = position(parser.currentTokenLocation());
        JsonToken token = parser.currentToken();
        switch (token) {
            case START_OBJECT:
                Map<String, Node.Entry> entries = new LinkedHashMap<>();
                while (parser.nextToken() == JsonToken.FIELD_NAME) {
                    String key = parser.currentName();
                    Node.Position keyAt = position(parser.currentTokenLocation());
                    String child = FieldPath.key(path, key);
                    Node.Entry first = entries.get(key);
                    if (first != null) {
                        throw ConfigException.at(file, keyAt, child, "set twice"
                                + (first.keyAt() == null ? "" : " (first at line " + first.keyAt().line() + ")"));
                    }
                    parser.nextToken();
                    entries.put(key, new Node.Entry(key, keyAt, value(parser, child)));
                }
                return new Node.Mapping(entries, at);
            case START_ARRAY:
                List<Node> items = new ArrayList<>();
                while (parser.nextToken() != JsonToken.END_ARRAY) {
                    items.add(value(parser, FieldPath.index(path, items.size())));
                }
                return new Node.Sequence(items, at);
            case VALUE_STRING:
                return new Node.Text(parser.getText(), at);
            case VALUE_NUMBER_INT:
                return new Node.Int(parser.getBigIntegerValue(), parser.getText(), at);
            case VALUE_NUMBER_FLOAT:
                return new Node.Decimal(parser.getText(), at);
            case VALUE_TRUE:
            case VALUE_FALSE:
                return new Node.Bool(token == JsonToken.VALUE_TRUE, parser.getText(), at);
            case VALUE_NULL:
                return new Node.Null(at);
            default:
                throw ConfigException.at(file, at, path, "unsupported value '" + parser.getText() + "'");
        }
    }

    private Node.Position position(JsonLocation location) {
        if (!positions || location == null || location.getLineNr() < 1) {
            return null;
        }
        return new Node.Position(location.getLineNr(), Math.max(1, location.getColumnNr()));
    }

    /** Jackson's reason without the source excerpt SnakeYAML adds. */
    private static String reason(JsonProcessingException e) {
        if (e.getCause() instanceof MarkedYAMLException yaml && yaml.getProblem() != null) {
            String problem = yaml.getProblem();
            Mark context = yaml.getContextMark();
            if (yaml.getContext() == null) {
                return problem;
            }
            return problem + " " + yaml.getContext()
                    + (context == null ? "" : " started at line " + (context.getLine() + 1)
                            + ", column " + (context.getColumn() + 1));
        }
        String original = e.getOriginalMessage();
        int newline = original.indexOf('\n');
        return newline < 0 ? original : original.substring(0, newline);
    }
}
