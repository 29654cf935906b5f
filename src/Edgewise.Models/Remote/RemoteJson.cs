using System.Text.Json;

namespace Edgewise.Models.Remote;

/// <summary>The JSON settings for tool arguments and results sent to remote backends.</summary>
internal static class RemoteJson
{
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web) { TypeInfoResolver = ModelsJsonContext.Resolver };

    /// <summary>Parses a tool call's JSON arguments; null when they are not a JSON object.</summary>
    public static Dictionary<string, object?>? ParseArguments(string json)
    {
        if (string.IsNullOrWhiteSpace(json))
        {
            return [];
        }

        try
        {
            using var document = JsonDocument.Parse(json);
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                return null;
            }

            var result = new Dictionary<string, object?>(StringComparer.Ordinal);
            foreach (var property in document.RootElement.EnumerateObject())
            {
                result[property.Name] = property.Value.Clone();
            }

            return result;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
