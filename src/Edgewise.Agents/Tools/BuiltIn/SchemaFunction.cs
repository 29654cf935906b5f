using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.AI;

namespace Edgewise.Agents.Tools.BuiltIn;

/// <summary>An <see cref="AIFunction"/> with a hand-written JSON schema and a body over the raw arguments.</summary>
internal sealed class SchemaFunction(string name, string description, JsonElement schema, Func<AIFunctionArguments, CancellationToken, ValueTask<object?>> body) : AIFunction
{
    public override string Name => name;

    public override string Description => description;

    public override JsonElement JsonSchema => schema;

    /// <summary>A strict object schema: every property a bounded string or an integer, all required, nothing else allowed (A02).</summary>
    public static JsonElement ObjectSchema(IEnumerable<(string Name, string Description, bool Integer)> properties, int maxLength)
    {
        var props = new Dictionary<string, object>(StringComparer.Ordinal);
        var required = new List<string>();
        foreach (var (propertyName, propertyDescription, integer) in properties)
        {
            props[propertyName] = integer
                ? new Dictionary<string, object> { ["type"] = "integer", ["description"] = propertyDescription }
                : new Dictionary<string, object> { ["type"] = "string", ["description"] = propertyDescription, ["maxLength"] = maxLength };
            required.Add(propertyName);
        }

        return JsonSerializer.SerializeToElement(new Dictionary<string, object>
        {
            ["type"] = "object",
            ["properties"] = props,
            ["required"] = required,
            ["additionalProperties"] = false,
        }, AgentsJsonContext.Info<Dictionary<string, object>>(AgentsJsonContext.PlainOptions));
    }

    /// <summary>The argument as a string (JSON strings unquoted, numbers in invariant form); null when absent.</summary>
    public static string? Text(AIFunctionArguments arguments, string key) =>
        arguments.TryGetValue(key, out var value) ? value switch
        {
            null => null,
            JsonElement { ValueKind: JsonValueKind.String } e => e.GetString(),
            JsonElement e => e.GetRawText(),
            IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
            _ => value.ToString(),
        } : null;

    protected override ValueTask<object?> InvokeCoreAsync(AIFunctionArguments arguments, CancellationToken cancellationToken) => body(arguments, cancellationToken);
}
