using System.Text;
using System.Text.Json;
using Edgewise.Tokenization;

namespace Edgewise.Inference.Constraints;

/// <summary>
/// What generated text must look like, compiled once and reusable by any number of concurrent requests: a JSON
/// Schema, any JSON object or value, one of a fixed set of strings (<see cref="ChoiceConstraint"/>), or tool calls
/// (<see cref="ToolCallConstraint"/>). <see cref="CreateSampler"/> makes the per-request
/// <see cref="ConstraintSampler"/> that masks every token that would break it.
/// </summary>
/// <remarks>
/// JSON output rules (documented and enforced): object keys come in schema order (optional ones may be skipped);
/// keys that the schema does not declare are never generated (so <c>additionalProperties</c> and strict mode
/// need no extra work), except for objects that declare no properties, whose keys are free; at most one space or
/// newline wherever JSON allows whitespace; numbers have no exponent, at most 15 integer and 6 fraction digits,
/// and minimum/maximum/exclusive bounds are exact; strings are valid UTF-8 without surrogate escapes, and
/// minLength/maxLength count code points; free JSON nests at most 12 deep.
/// </remarks>
public abstract class Constraint
{
    private protected Constraint()
    {
    }

    /// <summary>
    /// Text that switches a lazy constraint on (free text before it is not constrained), or null when the
    /// constraint applies from the first token.
    /// </summary>
    public virtual string? Trigger => null;

    /// <summary>Output must be valid for the JSON Schema <paramref name="schema"/>.</summary>
    /// <exception cref="UnsupportedSchemaFeatureException">The schema uses a feature that cannot be enforced.</exception>
    public static Constraint ForJsonSchema(JsonElement schema) => new JsonConstraint(SchemaCompiler.Compile(schema));

    /// <summary>Output must be one JSON object (OpenAI's <c>json_object</c> response format).</summary>
    public static Constraint ForJsonObject() => new JsonConstraint(SchemaNodes.FreeObject);

    /// <summary>Output must be one JSON value of any kind.</summary>
    public static Constraint ForJsonValue() => new JsonConstraint(SchemaNodes.Any);

    /// <summary>Output must be exactly one of <paramref name="choices"/>.</summary>
    public static ChoiceConstraint ForChoices(IEnumerable<string> choices) => new(choices);

    /// <summary>Makes the per-request sampler for <paramref name="tokenizer"/>'s vocabulary (its token index is built once and cached).</summary>
    public ConstraintSampler CreateSampler(Tokenizer tokenizer) => new(this, TokenIndex.For(tokenizer));

    /// <summary>
    /// The first way finished <paramref name="output"/> breaks this constraint's meaning, or null when it keeps it: a check
    /// of output that was generated elsewhere (a remote backend), not of the generation rules above, so JSON keys may come
    /// in any order and whitespace and number spelling are free. Tool-call constraints check nothing here (their calls are
    /// checked as they are parsed) and answer null.
    /// </summary>
    public virtual ConstraintViolation? FindViolation(string output)
    {
        ArgumentNullException.ThrowIfNull(output);
        return null;
    }

    /// <summary>The parse stack at the start of the constrained text.</summary>
    internal abstract ParseStack Start();
}

/// <summary>A JSON document of a compiled schema.</summary>
internal sealed class JsonConstraint : Constraint
{
    private readonly SchemaNode _root;

    public JsonConstraint(SchemaNode root) => _root = root;

    public override ConstraintViolation? FindViolation(string output)
    {
        ArgumentNullException.ThrowIfNull(output);
        try
        {
            using var document = JsonDocument.Parse(output, new JsonDocumentOptions { MaxDepth = 256 });
            return SchemaValidation.Check(_root, document.RootElement);
        }
        catch (JsonException)
        {
            return new ConstraintViolation("$", "json");
        }
    }

    internal override ParseStack Start() => new(new DocumentFrame(_root), null);
}

/// <summary>
/// Output is exactly one of a fixed set of strings (a router's choice of agent, a label, yes/no), optionally
/// preceded by one space (SentencePiece vocabularies favour tokens with a leading space); <see cref="Match"/> maps
/// the output back to the choice.
/// </summary>
public sealed class ChoiceConstraint : Constraint
{
    private readonly byte[][] _literals;

    /// <summary>Creates the constraint.</summary>
    /// <exception cref="ArgumentException">No choices, or an empty one.</exception>
    public ChoiceConstraint(IEnumerable<string> choices)
    {
        ArgumentNullException.ThrowIfNull(choices);
        Choices = [.. choices];
        if (Choices.Count == 0 || Choices.Any(string.IsNullOrEmpty))
        {
            throw new ArgumentException("Choices must be non-empty strings, at least one.", nameof(choices));
        }

        _literals = [.. Choices.Select(Encoding.UTF8.GetBytes), .. Choices.Select(c => Encoding.UTF8.GetBytes(" " + c))];
    }

    /// <summary>The choices, in order.</summary>
    public IReadOnlyList<string> Choices { get; }

    /// <summary>The index of the choice <paramref name="output"/> names (leading space ignored), or −1.</summary>
    public int Match(string output)
    {
        ArgumentNullException.ThrowIfNull(output);
        var text = output.StartsWith(' ') ? output[1..] : output;
        for (var i = 0; i < Choices.Count; i++)
        {
            if (string.Equals(Choices[i], text, StringComparison.Ordinal))
            {
                return i;
            }
        }

        return -1;
    }

    /// <inheritdoc/>
    public override ConstraintViolation? FindViolation(string output) =>
        Match(output) >= 0 ? null : new ConstraintViolation("$", "enum");

    internal override ParseStack Start() => new(new LiteralFrame(_literals, 0), null);
}
