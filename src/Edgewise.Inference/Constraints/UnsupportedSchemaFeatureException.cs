namespace Edgewise.Inference.Constraints;

/// <summary>
/// A JSON Schema (or pattern, or tool definition) uses a feature the constraint engine cannot enforce. It is thrown
/// when the constraint is built, so a request is refused rather than left unconstrained. The message is fixed
/// text that names the feature and never repeats the schema.
/// </summary>
public sealed class UnsupportedSchemaFeatureException : Exception
{
    /// <summary>Creates the exception for <paramref name="feature"/> (e.g. <c>"patternProperties"</c>).</summary>
    public UnsupportedSchemaFeatureException(string feature)
        : base($"The JSON schema feature '{feature}' is not supported by constrained decoding.")
    {
        Feature = feature;
    }

    /// <summary>Creates the exception with the default feature name.</summary>
    public UnsupportedSchemaFeatureException()
        : this("unknown")
    {
    }

    /// <summary>Creates the exception with a message and an inner exception.</summary>
    public UnsupportedSchemaFeatureException(string message, Exception innerException)
        : base(message, innerException)
    {
        Feature = "unknown";
    }

    /// <summary>The keyword or feature that was refused, e.g. <c>patternProperties</c> or <c>pattern: lookahead</c>.</summary>
    public string Feature { get; }
}
