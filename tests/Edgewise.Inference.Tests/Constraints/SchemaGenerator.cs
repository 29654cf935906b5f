using System.Text.Json.Nodes;
using FsCheck;
using FsCheck.Fluent;

namespace Edgewise.Inference.Tests.Constraints;

/// <summary>
/// FsCheck generators of random JSON Schemas inside the supported subset, each with an upper bound on the bytes
/// of any value the constraint can produce for it (so a token budget of that many tokens always completes).
/// </summary>
internal static class SchemaGenerator
{
    private static readonly string[] s_names = ["id", "name", "a", "ab", "größe", "日本", "x y", "q\"t", "value", "n"];
    private static readonly string[] s_patterns = [@"^[a-z]{1,4}$", @"^\d{2}-\d{2}$", @"^(yes|no|maybe)$", @"^[A-F0-9]+$", @"^é[^\s]?$"];

    /// <summary>A schema and the most bytes a value of it can take.</summary>
    public sealed record Sample(JsonNode Schema, int MaxBytes)
    {
        public override string ToString() => Schema.ToJsonString();
    }

    /// <summary>Random schemas up to <paramref name="depth"/> levels deep, sometimes wrapped in $defs/$ref.</summary>
    public static Gen<Sample> Schemas(int depth) =>
        from node in Node(depth)
        from wrap in Gen.Choose(0, 4)
        select wrap == 0 ? WrapInDefs(node) : node;

    private static Sample WrapInDefs(Sample sample) => new(
        new JsonObject
        {
            ["$defs"] = new JsonObject { ["inner"] = sample.Schema.DeepClone() },
            ["$ref"] = "#/$defs/inner",
        },
        sample.MaxBytes);

    private static Gen<Sample> Node(int depth) => depth <= 0
        ? Leaf()
        : Gen.Frequency(
            (3, Leaf()),
            (3, ObjectSchema(depth)),
            (2, ArraySchema(depth)),
            (1, AnyOf(depth)),
            (1, OneOf()));

    private static Gen<Sample> Leaf() => Gen.OneOf(StringSchema(), IntegerSchema(), NumberSchema(), Enum(), Const(), Fixed());

    private static Gen<Sample> StringSchema() =>
        from max in Gen.Choose(0, 6)
        from min in Gen.Choose(0, max)
        from kind in Gen.Choose(0, 5)
        from pattern in Gen.Elements(s_patterns)
        select kind switch
        {
            0 => new Sample(new JsonObject { ["type"] = "string", ["pattern"] = pattern, ["maxLength"] = 8 }, 2 + (6 * 8)),
            1 => new Sample(new JsonObject { ["type"] = "string", ["format"] = "date" }, 2 + (6 * 10)),
            2 => new Sample(new JsonObject { ["type"] = "string", ["format"] = "uuid" }, 2 + (6 * 36)),
            _ => new Sample(new JsonObject { ["type"] = "string", ["minLength"] = min, ["maxLength"] = max }, 2 + (6 * max)),
        };

    private static Gen<Sample> IntegerSchema() =>
        from low in Gen.Choose(-1000, 1000)
        from span in Gen.Choose(0, 2000)
        from bounds in Gen.Choose(0, 4)
        select new Sample(Bounded(new JsonObject { ["type"] = "integer" }, low, low + span, bounds), 17);

    private static Gen<Sample> NumberSchema() =>
        from low in Gen.Choose(-5000, 5000)
        from span in Gen.Choose(1, 10000)
        from bounds in Gen.Choose(0, 4)
        select new Sample(Bounded(new JsonObject { ["type"] = "number" }, low / 100m, (low + span) / 100m, bounds), 24);

    private static JsonObject Bounded(JsonObject schema, decimal low, decimal high, int bounds)
    {
        switch (bounds)
        {
            case 1:
                schema["minimum"] = low;
                break;
            case 2:
                schema["minimum"] = low;
                schema["maximum"] = high;
                break;
            case 3:
                schema["exclusiveMinimum"] = low - 1;
                schema["exclusiveMaximum"] = high + 1;
                break;
            case 4:
                schema["maximum"] = high;
                break;
            default:
                break;
        }

        return schema;
    }

    private static Gen<Sample> Enum() =>
        from count in Gen.Choose(1, 4)
        from values in Gen.ArrayOf(Gen.Elements<JsonNode?>("red", "gr\u00fcn", 1, 2.5, true, null, "\"q\"", "ab", "日本語", -3), count)
        select new Sample(new JsonObject { ["enum"] = new JsonArray([.. values.Select(v => v?.DeepClone())]) }, 64);

    private static Gen<Sample> Const() =>
        Gen.Elements(
            new Sample(new JsonObject { ["const"] = "fixed" }, 7),
            new Sample(new JsonObject { ["const"] = JsonNode.Parse("""{"k":[1,null]}""") }, 16));

    private static Gen<Sample> Fixed() =>
        Gen.Elements(
            new Sample(new JsonObject { ["type"] = "boolean" }, 5),
            new Sample(new JsonObject { ["type"] = "null" }, 4),
            new Sample(new JsonObject { ["type"] = new JsonArray("string", "null"), ["maxLength"] = 3 }, 20));

    private static Gen<Sample> ObjectSchema(int depth) =>
        from count in Gen.Choose(0, 3)
        from names in Gen.ArrayOf(Gen.Elements(s_names), count)
        from values in Gen.ArrayOf(Node(depth - 1), count)
        from required in Gen.ArrayOf(Gen.Elements(true, false), count)
        from closed in Gen.Elements(true, false)
        select ObjectOf(names, values, required, closed);

    private static Sample ObjectOf(string[] names, Sample[] values, bool[] required, bool closed)
    {
        var properties = new JsonObject();
        var requiredList = new JsonArray();
        var bytes = 3;
        for (var i = 0; i < names.Length; i++)
        {
            if (properties.ContainsKey(names[i]))
            {
                continue;
            }

            properties[names[i]] = values[i].Schema.DeepClone();
            if (required[i])
            {
                requiredList.Add(names[i]);
            }

            bytes += names[i].Length * 6 + 8 + values[i].MaxBytes;
        }

        var schema = new JsonObject { ["type"] = "object", ["properties"] = properties, ["required"] = requiredList };
        if (closed)
        {
            schema["additionalProperties"] = false;
        }

        return new Sample(schema, bytes);
    }

    private static Gen<Sample> ArraySchema(int depth) =>
        from item in Node(depth - 1)
        from max in Gen.Choose(0, 3)
        from min in Gen.Choose(0, max)
        select new Sample(new JsonObject { ["type"] = "array", ["items"] = item.Schema.DeepClone(), ["minItems"] = min, ["maxItems"] = max }, 3 + (max * (item.MaxBytes + 3)));

    private static Gen<Sample> AnyOf(int depth) =>
        from a in Node(depth - 1)
        from b in Node(depth - 1)
        select new Sample(new JsonObject { ["anyOf"] = new JsonArray(a.Schema.DeepClone(), b.Schema.DeepClone()) }, Math.Max(a.MaxBytes, b.MaxBytes));

    private static Gen<Sample> OneOf() =>
        from s in StringSchema()
        from i in IntegerSchema()
        select new Sample(new JsonObject { ["oneOf"] = new JsonArray(s.Schema.DeepClone(), new JsonObject { ["type"] = "boolean" }, i.Schema.DeepClone()) }, Math.Max(s.MaxBytes, 17));
}
