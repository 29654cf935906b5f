using Edgewise.Inference.Architectures.Llama;
using Edgewise.Inference.Architectures.Phi3;
using Edgewise.Inference.Architectures.Qwen2;
using Edgewise.Inference.Architectures.Qwen3;

namespace Edgewise.Inference.Architectures;

/// <summary>The architectures Edgewise runs, and their lookup by GGUF name.</summary>
public static class ModelArchitectures
{
    /// <summary>
    /// Every supported architecture. Adding one is its folder under <c>Architectures/</c> and one line here
    /// (docs/architecture.md, "Adding an architecture").
    /// </summary>
    public static IReadOnlyList<ModelArchitecture> All { get; } =
    [
        LlamaArchitecture.Instance,
        Qwen2Architecture.Instance,
        Qwen3Architecture.Instance,
        Phi3Architecture.Instance,
    ];

    /// <summary>Maps a GGUF architecture name to a supported architecture (ordinal, case-sensitive as GGUF writes it).</summary>
    public static bool TryParse(string? name, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out ModelArchitecture? architecture)
    {
        foreach (var candidate in All)
        {
            if (string.Equals(candidate.Name, name, StringComparison.Ordinal))
            {
                architecture = candidate;
                return true;
            }
        }

        architecture = null;
        return false;
    }

    /// <summary>The supported architecture named <paramref name="name"/>.</summary>
    /// <exception cref="ArgumentException">No supported architecture has that name.</exception>
    public static ModelArchitecture Get(string name) =>
        TryParse(name, out var architecture) ? architecture : throw new ArgumentException("Not a supported architecture.", nameof(name));
}
