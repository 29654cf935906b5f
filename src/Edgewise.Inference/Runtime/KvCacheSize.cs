using Edgewise.Inference.Architectures;

namespace Edgewise.Inference.Runtime;

/// <summary>
/// The memory a <see cref="Context"/>'s KV cache takes: one K row and one V row per block and position, stored as
/// <see cref="KvCacheType"/>. Memory planning (model store, registered models, <c>edgewise info</c>) sizes with this,
/// so the estimate and the engine's allocation cannot drift apart.
/// </summary>
public static class KvCacheSize
{
    /// <summary>Bytes one cached value takes: 2 for <see cref="KvCacheType.F16"/>, 4 for <see cref="KvCacheType.F32"/>.</summary>
    public static int BytesPerValue(KvCacheType type) => type switch
    {
        KvCacheType.F16 => sizeof(ushort),
        KvCacheType.F32 => sizeof(float),
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, "Unknown KV cache type."),
    };

    /// <summary>Bytes the cache takes per position of one sequence: K and V rows of every block.</summary>
    public static long BytesPerToken(ModelHyperparameters hyperparameters, KvCacheType type = KvCacheType.F16)
    {
        ArgumentNullException.ThrowIfNull(hyperparameters);
        return (long)hyperparameters.BlockCount * (hyperparameters.KeyValueLength + (long)hyperparameters.ValueLength) * BytesPerValue(type);
    }
}
