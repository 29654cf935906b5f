using System.Text;
using System.Text.Json;
using Microsoft.Extensions.AI;

namespace Edgewise.Inference.Constraints;

/// <summary>
/// Output is one or more tool calls in a model family's <see cref="ToolCallFormat"/>: each names one of the offered
/// tools and carries arguments valid for that tool's JSON schema (the name comes first, so the arguments follow
/// the named tool's schema). Lazy (tool mode "auto"): free text until the format's opening text (<c>&lt;tool_call&gt;</c>,
/// or <c>{"name"</c> for the JSON formats) appears, then constrained. <see cref="ParseCalls"/> turns the output back
/// into <see cref="FunctionCallContent"/>s.
/// </summary>
public sealed class ToolCallConstraint : Constraint
{
    private const string HermesOpen = "<tool_call>";
    private const string JsonOpen = "{\"name\"";

    private readonly EnvelopeShape _shape;

    /// <summary>Creates the constraint.</summary>
    /// <param name="tools">The offered tools (at least one).</param>
    /// <param name="format">The envelope.</param>
    /// <param name="requiredTool">When set, the only tool that may be called.</param>
    /// <param name="lazy">Free text until the call's opening text appears (tool mode auto).</param>
    /// <param name="maxCalls">Most calls in one output (the tagged format only; JSON formats hold one).</param>
    /// <exception cref="UnsupportedSchemaFeatureException">A tool's parameter schema cannot be enforced.</exception>
    /// <exception cref="ArgumentException">No tools, or <paramref name="requiredTool"/> is not offered.</exception>
    public ToolCallConstraint(IEnumerable<AIFunctionDeclaration> tools, ToolCallFormat format, string? requiredTool = null, bool lazy = false, int maxCalls = 1)
    {
        ArgumentNullException.ThrowIfNull(tools);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxCalls, 1);
        var offered = tools.Where(t => requiredTool is null || string.Equals(t.Name, requiredTool, StringComparison.Ordinal)).ToList();
        if (offered.Count == 0)
        {
            throw new ArgumentException(requiredTool is null ? "At least one tool is needed." : "The required tool is not offered.", nameof(tools));
        }

        Format = format.Value is null ? ToolCallFormat.Json : format;
        ToolNames = [.. offered.Select(t => t.Name)];
        IsLazy = lazy;
        var calls = new SchemaNode[offered.Count];
        for (var i = 0; i < calls.Length; i++)
        {
            calls[i] = CallNode(offered[i], Format.ArgumentsKey);
        }

        var call = calls.Length == 1 ? calls[0] : new SchemaNode { Kind = SchemaKind.AnyOf, Alternatives = calls };
        _shape = Format.IsTagged
            ? new EnvelopeShape(Encoding.UTF8.GetBytes(HermesOpen + "\n"), call, "\n</tool_call>"u8.ToArray(), Encoding.UTF8.GetBytes("\n" + HermesOpen + "\n"), maxCalls)
            : new EnvelopeShape([], call, [], [], 1);
    }

    /// <summary>The envelope.</summary>
    public ToolCallFormat Format { get; }

    /// <summary>Names of the tools that may be called.</summary>
    public IReadOnlyList<string> ToolNames { get; }

    /// <summary>True when free text may come before the first call.</summary>
    public bool IsLazy { get; }

    /// <inheritdoc/>
    public override string? Trigger => IsLazy ? (Format.IsTagged ? HermesOpen : JsonOpen) : null;

    /// <summary>
    /// Splits <paramref name="output"/> into the text before the first call and the calls. Returns false (and no
    /// calls) when no complete call is found, e.g. when generation stopped at the token limit.
    /// </summary>
    public bool ParseCalls(string output, out string textBefore, out IReadOnlyList<FunctionCallContent> calls)
    {
        ArgumentNullException.ThrowIfNull(output);
        var open = Format.IsTagged ? HermesOpen : JsonOpen;
        var start = output.IndexOf(open, StringComparison.Ordinal);
        textBefore = start < 0 ? output : output[..start];
        var list = new List<FunctionCallContent>();
        calls = list;
        if (start < 0)
        {
            return false;
        }

        var bytes = Encoding.UTF8.GetBytes(output[start..]);
        var position = 0;
        while (position < bytes.Length)
        {
            if (Format.IsTagged)
            {
                var tag = bytes.AsSpan(position).IndexOf("<tool_call>"u8);
                if (tag < 0)
                {
                    break;
                }

                position += tag + HermesOpen.Length;
            }

            var reader = new Utf8JsonReader(bytes.AsSpan(position), new JsonReaderOptions { AllowMultipleValues = true });
            JsonDocument? document;
            try
            {
                JsonDocument.TryParseValue(ref reader, out document);
            }
            catch (JsonException)
            {
                document = null;
            }

            if (document is null)
            {
                list.Clear();
                return false;
            }

            using (document)
            {
                if (!TryCall(document.RootElement, out var call))
                {
                    list.Clear();
                    return false;
                }

                list.Add(call);
            }

            position += (int)reader.BytesConsumed;
            if (!Format.IsTagged)
            {
                break;
            }
        }

        return list.Count > 0;
    }

    internal override ParseStack Start() => new(new EnvelopeFrame(_shape), null);

    private static SchemaNode CallNode(AIFunctionDeclaration tool, string argumentsKey)
    {
        var schema = tool.JsonSchema;
        var arguments = schema.ValueKind == JsonValueKind.Undefined ? SchemaNodes.FreeObject : SchemaCompiler.Compile(schema);
        if (arguments.Kind == SchemaKind.Any)
        {
            arguments = SchemaNodes.FreeObject;
        }

        return new SchemaNode
        {
            Kind = SchemaKind.Object,
            Closed = true,
            Properties =
            [
                new ObjectProperty("name", SchemaCompiler.QuotedString("name"), new SchemaNode { Kind = SchemaKind.Literals, Literals = [SchemaCompiler.QuotedString(tool.Name)] }, Required: true),
                new ObjectProperty(argumentsKey, SchemaCompiler.QuotedString(argumentsKey), arguments, Required: true),
            ],
        };
    }

    private bool TryCall(JsonElement root, out FunctionCallContent call)
    {
        call = null!;
        if (root.ValueKind != JsonValueKind.Object
            || !root.TryGetProperty("name", out var name) || name.ValueKind != JsonValueKind.String
            || !ToolNames.Contains(name.GetString())
            || !root.TryGetProperty(Format.ArgumentsKey, out var arguments) || arguments.ValueKind != JsonValueKind.Object)
        {
            return false;
        }

        var dictionary = new Dictionary<string, object?>(StringComparer.Ordinal);
        foreach (var property in arguments.EnumerateObject())
        {
            dictionary[property.Name] = property.Value.Clone();
        }

        call = new FunctionCallContent("call_" + Guid.NewGuid().ToString("N")[..24], name.GetString()!, dictionary);
        return true;
    }
}
