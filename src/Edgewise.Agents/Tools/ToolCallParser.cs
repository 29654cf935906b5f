using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.AI;

namespace Edgewise.Agents.Tools;

/// <summary>
/// Finds tool calls that a model wrote as text, for chat clients that return text rather than
/// <see cref="FunctionCallContent"/>. Formats, tried in order:
/// Qwen/Hermes <c>&lt;tool_call&gt;{"name":…,"arguments":{…}}&lt;/tool_call&gt;</c> (repeatable; an unclosed last
/// block is read to the end);
/// Phi-4-mini <c>functools[{"name":…,"arguments":{…}}, …]</c> (also inside <c>&lt;|tool_call|&gt;…&lt;|/tool_call|&gt;</c>);
/// Llama 3.x <c>{"name":…,"parameters":{…}}</c>, optionally after <c>&lt;|python_tag|&gt;</c> and separated by <c>;</c>;
/// and a generic fallback: such objects (or an array of them, or OpenAI's <c>{"function":{"name","arguments"}}</c>)
/// as the whole answer or inside a fenced code block.
/// A call that is recognisably a call but does not parse comes back with <see cref="FunctionCallContent.Exception"/>
/// set (A01). Never throws on any input.
/// </summary>
public static class ToolCallParser
{
    private const int MaxInputChars = 1 << 20;
    private static readonly JsonDocumentOptions s_documentOptions = new() { MaxDepth = 64 };

    /// <summary>The tool calls in <paramref name="text"/>, in order; empty when it holds none.</summary>
    /// <param name="text">Model output.</param>
    /// <param name="remainingText">The text outside the calls, trimmed (the whole text when there are none).</param>
    public static IReadOnlyList<FunctionCallContent> Parse(string? text, out string remainingText)
    {
        remainingText = text?.Trim() ?? string.Empty;
        if (string.IsNullOrWhiteSpace(text) || text.Length > MaxInputChars)
        {
            return [];
        }

        var calls = new List<FunctionCallContent>();
        var rest = new StringBuilder();
        if (ParseHermes(text, calls, rest) || ParsePhi4(text, calls, rest) || ParseLlama(text, calls, rest) || ParseFenced(text, calls, rest))
        {
            remainingText = rest.ToString().Trim();
            return calls;
        }

        return [];
    }

    private static bool ParseHermes(string text, List<FunctionCallContent> calls, StringBuilder rest)
    {
        const string Open = "<tool_call>";
        const string Close = "</tool_call>";
        var start = text.IndexOf(Open, StringComparison.Ordinal);
        if (start < 0)
        {
            return false;
        }

        var position = 0;
        while (start >= 0)
        {
            rest.Append(text, position, start - position);
            var bodyStart = start + Open.Length;
            var end = text.IndexOf(Close, bodyStart, StringComparison.Ordinal);
            var body = end < 0 ? text[bodyStart..] : text[bodyStart..end];
            AddCallsFromJson(body, calls, allowArray: true);
            position = end < 0 ? text.Length : end + Close.Length;
            start = text.IndexOf(Open, position, StringComparison.Ordinal);
        }

        rest.Append(text, position, text.Length - position);
        return true;
    }

    private static bool ParsePhi4(string text, List<FunctionCallContent> calls, StringBuilder rest)
    {
        string? marker = null;
        var start = text.IndexOf("functools[", StringComparison.Ordinal);
        if (start >= 0)
        {
            marker = "functools";
        }
        else if ((start = text.IndexOf("<|tool_call|>", StringComparison.Ordinal)) >= 0)
        {
            marker = "<|tool_call|>";
        }

        if (marker is null)
        {
            return false;
        }

        rest.Append(text, 0, start);
        var bodyStart = start + marker.Length;
        var closeTag = text.IndexOf("<|/tool_call|>", bodyStart, StringComparison.Ordinal);
        var body = closeTag < 0 ? text[bodyStart..] : text[bodyStart..closeTag];
        var consumed = AddCallsFromJson(body, calls, allowArray: true);
        var after = closeTag >= 0 ? closeTag + "<|/tool_call|>".Length : consumed == 0 ? text.Length : bodyStart + consumed;
        rest.Append(text, after, text.Length - after);
        return true;
    }

    private static bool ParseLlama(string text, List<FunctionCallContent> calls, StringBuilder rest)
    {
        var trimmed = text.TrimStart();
        if (trimmed.StartsWith("<|python_tag|>", StringComparison.Ordinal))
        {
            trimmed = trimmed["<|python_tag|>".Length..].TrimStart();
        }
        else if (!LooksLikeCallObject(trimmed))
        {
            return false;
        }

        var position = 0;
        while (position < trimmed.Length)
        {
            var segment = trimmed.AsSpan(position).TrimStart();
            position = trimmed.Length - segment.Length;
            if (segment.IsEmpty)
            {
                break;
            }

            if (segment[0] == ';')
            {
                position++;
                continue;
            }

            if (segment[0] != '{' && segment[0] != '[')
            {
                rest.Append(segment);
                break;
            }

            var consumed = AddCallsFromJson(segment.ToString(), calls, allowArray: true);
            if (consumed == 0)
            {
                break;
            }

            position += consumed;
        }

        return true;
    }

    private static bool ParseFenced(string text, List<FunctionCallContent> calls, StringBuilder rest)
    {
        var fence = text.IndexOf("```", StringComparison.Ordinal);
        if (fence < 0)
        {
            return false;
        }

        var lineEnd = text.IndexOf('\n', fence);
        if (lineEnd < 0)
        {
            return false;
        }

        var close = text.IndexOf("```", lineEnd, StringComparison.Ordinal);
        var body = (close < 0 ? text[(lineEnd + 1)..] : text[(lineEnd + 1)..close]).Trim();
        if (!LooksLikeCallObject(body) && !(body.StartsWith('[') && LooksLikeCallObject(body[1..].TrimStart())))
        {
            return false;
        }

        rest.Append(text, 0, fence);
        AddCallsFromJson(body, calls, allowArray: true);
        if (close >= 0)
        {
            rest.Append(text, close + 3, text.Length - close - 3);
        }

        return true;
    }

    /// <summary>True when <paramref name="text"/> starts with an object whose first key names a function.</summary>
    private static bool LooksLikeCallObject(string text)
    {
        if (!text.StartsWith('{'))
        {
            return false;
        }

        var inner = text.AsSpan(1).TrimStart();
        return inner.StartsWith("\"name\"", StringComparison.Ordinal)
            || inner.StartsWith("\"function\"", StringComparison.Ordinal)
            || inner.StartsWith("\"type\"", StringComparison.Ordinal) && text.Contains("\"parameters\"", StringComparison.Ordinal);
    }

    /// <summary>Reads one JSON value from the start of <paramref name="body"/>; returns the characters consumed (0 on a parse error).</summary>
    private static int AddCallsFromJson(string body, List<FunctionCallContent> calls, bool allowArray)
    {
        var trimmed = body.TrimStart();
        var skipped = body.Length - trimmed.Length;
        var bytes = Encoding.UTF8.GetBytes(trimmed);
        JsonDocument document;
        int consumedChars;
        try
        {
            var reader = new Utf8JsonReader(bytes, new JsonReaderOptions { MaxDepth = s_documentOptions.MaxDepth });
            document = JsonDocument.ParseValue(ref reader);
            consumedChars = Encoding.UTF8.GetCharCount(bytes.AsSpan(0, (int)reader.BytesConsumed));
        }
        catch (JsonException)
        {
            calls.Add(Malformed(NameHint(trimmed), "The tool call is not valid JSON."));
            return 0;
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind == JsonValueKind.Array && allowArray)
            {
                foreach (var item in root.EnumerateArray())
                {
                    calls.Add(FromObject(item));
                }
            }
            else
            {
                calls.Add(FromObject(root));
            }
        }

        return skipped + consumedChars;
    }

    private static FunctionCallContent FromObject(JsonElement element)
    {
        if (element.ValueKind != JsonValueKind.Object)
        {
            return Malformed("unknown", "A tool call must be a JSON object.");
        }

        var source = element;
        if (element.TryGetProperty("function", out var function) && function.ValueKind == JsonValueKind.Object)
        {
            source = function;
        }

        string? name = null;
        if (source.TryGetProperty("name", out var nameElement) && nameElement.ValueKind == JsonValueKind.String)
        {
            name = nameElement.GetString();
        }
        else if (source.TryGetProperty("function", out nameElement) && nameElement.ValueKind == JsonValueKind.String)
        {
            name = nameElement.GetString();
        }

        if (string.IsNullOrWhiteSpace(name))
        {
            return Malformed("unknown", "The tool call has no name.");
        }

        var id = element.TryGetProperty("id", out var idElement) && idElement.ValueKind == JsonValueKind.String && idElement.GetString() is { Length: > 0 and <= 128 } given
            ? given
            : NewCallId();
        if (!TryGetArguments(source, out var arguments))
        {
            return new FunctionCallContent(id, name, new Dictionary<string, object?>())
            {
                Exception = new FormatException("The tool call arguments must be a JSON object."),
            };
        }

        var dictionary = new Dictionary<string, object?>(StringComparer.Ordinal);
        foreach (var property in arguments.EnumerateObject())
        {
            dictionary[property.Name] = property.Value.Clone();
        }

        return new FunctionCallContent(id, name, dictionary);
    }

    private static bool TryGetArguments(JsonElement source, out JsonElement arguments)
    {
        foreach (var key in (ReadOnlySpan<string>)["arguments", "parameters", "args", "input"])
        {
            if (!source.TryGetProperty(key, out var value))
            {
                continue;
            }

            if (value.ValueKind == JsonValueKind.Object)
            {
                arguments = value;
                return true;
            }

            if (value.ValueKind == JsonValueKind.String)
            {
                try
                {
                    using var inner = JsonDocument.Parse(value.GetString()!, s_documentOptions);
                    if (inner.RootElement.ValueKind == JsonValueKind.Object)
                    {
                        arguments = inner.RootElement.Clone();
                        return true;
                    }
                }
                catch (JsonException)
                {
                }
            }

            arguments = default;
            return false;
        }

        using var empty = JsonDocument.Parse("{}");
        arguments = empty.RootElement.Clone();
        return true;
    }

    private static FunctionCallContent Malformed(string name, string message) =>
        new(NewCallId(), name, new Dictionary<string, object?>()) { Exception = new FormatException(message) };

    private static string NameHint(string body)
    {
        const string Key = "\"name\"";
        var at = body.IndexOf(Key, StringComparison.Ordinal);
        if (at < 0)
        {
            return "unknown";
        }

        var quote = body.IndexOf('"', at + Key.Length);
        if (quote < 0)
        {
            return "unknown";
        }

        var end = body.IndexOf('"', quote + 1);
        var name = end < 0 ? string.Empty : body[(quote + 1)..end];
        return name.Length is > 0 and <= 64 && name.All(static c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-' or '.') ? name : "unknown";
    }

    internal static string NewCallId() => "call_" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(12));
}
