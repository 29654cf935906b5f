namespace Edgewise.Gguf.Architectures;

/// <summary>The transformer architectures Edgewise runs, keyed by <c>general.architecture</c>.</summary>
public enum ModelArchitecture
{
    /// <summary><c>llama</c>: Llama 2/3.x, SmolLM2, TinyLlama (adjacent-pair RoPE, optional llama3 rope factors).</summary>
    Llama,

    /// <summary><c>qwen2</c>: Qwen2 and Qwen2.5 (Q/K/V biases, NEOX RoPE).</summary>
    Qwen2,

    /// <summary><c>qwen3</c>: Qwen3 dense (per-head Q/K RMSNorm, head dim from <c>key_length</c>, NEOX RoPE).</summary>
    Qwen3,

    /// <summary><c>phi3</c>: Phi-3, Phi-3.5-mini and Phi-4-mini (fused QKV and gate/up, partial rotary, LongRoPE).</summary>
    Phi3,
}

/// <summary>Conversions between <see cref="ModelArchitecture"/> and the GGUF architecture names.</summary>
public static class ModelArchitectures
{
    /// <summary>The GGUF name of <paramref name="architecture"/>, e.g. <c>qwen2</c>.</summary>
    public static string Name(ModelArchitecture architecture) => architecture switch
    {
        ModelArchitecture.Llama => "llama",
        ModelArchitecture.Qwen2 => "qwen2",
        ModelArchitecture.Qwen3 => "qwen3",
        ModelArchitecture.Phi3 => "phi3",
        _ => throw new ArgumentOutOfRangeException(nameof(architecture)),
    };

    /// <summary>Maps a GGUF architecture name to a supported architecture (ordinal, case-sensitive as GGUF writes it).</summary>
    public static bool TryParse(string? name, out ModelArchitecture architecture)
    {
        switch (name)
        {
            case "llama":
                architecture = ModelArchitecture.Llama;
                return true;
            case "qwen2":
                architecture = ModelArchitecture.Qwen2;
                return true;
            case "qwen3":
                architecture = ModelArchitecture.Qwen3;
                return true;
            case "phi3":
                architecture = ModelArchitecture.Phi3;
                return true;
            default:
                architecture = default;
                return false;
        }
    }
}
