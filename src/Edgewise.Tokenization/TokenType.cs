namespace Edgewise.Tokenization;

/// <summary>The type of a vocabulary entry as stored in <c>tokenizer.ggml.token_type</c> (llama.cpp's values).</summary>
public enum TokenType
{
    /// <summary>Missing or unrecognised type; such tokens render as nothing.</summary>
    Undefined = 0,

    /// <summary>An ordinary text token.</summary>
    Normal = 1,

    /// <summary>The unknown token (e.g. <c>&lt;unk&gt;</c>).</summary>
    Unknown = 2,

    /// <summary>A control token (BOS, EOS, chat markers).</summary>
    Control = 3,

    /// <summary>An added token that is matched in text before tokenization.</summary>
    UserDefined = 4,

    /// <summary>A placeholder that is never produced.</summary>
    Unused = 5,

    /// <summary>A byte-fallback token <c>&lt;0xHH&gt;</c>.</summary>
    Byte = 6,
}
