namespace Edgewise.Tokenization;

/// <summary>Per-token attributes derived from the token type and model quirks (llama.cpp's <c>llama_token_attr</c>).</summary>
[Flags]
public enum TokenAttributes
{
    /// <summary>No attribute (undefined type).</summary>
    None = 0,

    /// <summary>The unknown token.</summary>
    Unknown = 1 << 0,

    /// <summary>Never produced.</summary>
    Unused = 1 << 1,

    /// <summary>Ordinary text.</summary>
    Normal = 1 << 2,

    /// <summary>A control token: matched in text only when special tokens are parsed; rendered only on request.</summary>
    Control = 1 << 3,

    /// <summary>An added token: always matched in text, always rendered.</summary>
    UserDefined = 1 << 4,

    /// <summary>A byte-fallback token.</summary>
    Byte = 1 << 5,

    /// <summary>Whitespace to the left of the token is removed when it is matched in text.</summary>
    LStrip = 1 << 7,

    /// <summary>Whitespace to the right of the token is removed when it is matched in text.</summary>
    RStrip = 1 << 8,
}
