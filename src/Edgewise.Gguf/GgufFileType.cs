using System.Globalization;

namespace Edgewise.Gguf;

/// <summary>
/// The values of <c>general.file_type</c> (llama.cpp's <c>llama_ftype</c>): what most of a model's tensors are stored
/// as. One table, read two ways: the short name Ollama and quantized file names use (<c>Q4_K_M</c>) and llama.cpp's
/// description, which llama-bench prints in its <c>model_type</c> (<c>Q4_K - Medium</c>).
/// </summary>
public static class GgufFileType
{
    private static readonly (long Id, string Name, string Description)[] s_types =
    [
        (0, "F32", "all F32"),
        (1, "F16", "F16"),
        (2, "Q4_0", "Q4_0"),
        (3, "Q4_1", "Q4_1"),
        (7, "Q8_0", "Q8_0"),
        (8, "Q5_0", "Q5_0"),
        (9, "Q5_1", "Q5_1"),
        (10, "Q2_K", "Q2_K - Medium"),
        (11, "Q3_K_S", "Q3_K - Small"),
        (12, "Q3_K_M", "Q3_K - Medium"),
        (13, "Q3_K_L", "Q3_K - Large"),
        (14, "Q4_K_S", "Q4_K - Small"),
        (15, "Q4_K_M", "Q4_K - Medium"),
        (16, "Q5_K_S", "Q5_K - Small"),
        (17, "Q5_K_M", "Q5_K - Medium"),
        (18, "Q6_K", "Q6_K"),
        (32, "BF16", "BF16"),
    ];

    /// <summary>The short name of <paramref name="fileType"/> (<c>Q4_K_M</c>), or <c>ftype_N</c> for a value not in the table.</summary>
    public static string Name(long fileType) =>
        Find(fileType)?.Name ?? string.Create(CultureInfo.InvariantCulture, $"ftype_{fileType}");

    /// <summary>llama.cpp's description of <paramref name="fileType"/> (<c>Q4_K - Medium</c>), or <c>ftype N</c> for a value not in the table.</summary>
    public static string Description(long fileType) =>
        Find(fileType)?.Description ?? string.Create(CultureInfo.InvariantCulture, $"ftype {fileType}");

    /// <summary>The value whose short name is <paramref name="name"/> (any case), or null.</summary>
    public static uint? FromName(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        foreach (var type in s_types)
        {
            if (string.Equals(type.Name, name, StringComparison.OrdinalIgnoreCase))
            {
                return (uint)type.Id;
            }
        }

        return null;
    }

    private static (long Id, string Name, string Description)? Find(long fileType)
    {
        foreach (var type in s_types)
        {
            if (type.Id == fileType)
            {
                return type;
            }
        }

        return null;
    }
}
