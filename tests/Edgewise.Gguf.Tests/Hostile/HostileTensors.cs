namespace Edgewise.Gguf.Tests.Hostile;

/// <summary>Files with a hand-written tensor directory followed by zero-filled data.</summary>
internal static class HostileTensors
{
    public const uint F32 = 0, F16 = 1, Q4_0 = 2, I8 = 24, Q8_0 = 8, Q4_K = 12, Q8_K = 15;

    /// <summary>Header with <paramref name="tensorCount"/> tensors and no metadata, the entries <paramref name="infos"/> writes, 32-byte padding, then <paramref name="dataBytes"/> zero bytes.</summary>
    public static (byte[] File, int HeaderLength) Build(ulong tensorCount, Action<RawGguf> infos, long dataBytes)
    {
        var raw = RawGguf.Header(tensorCount, 0);
        infos(raw);
        var headerLength = (int)raw.Length;
        return (raw.PadTo(GgufLimits.DefaultAlignment).Zeros(dataBytes).ToArray(), headerLength);
    }

    /// <summary>One tensor named <c>t</c>.</summary>
    public static (byte[] File, int HeaderLength) One(uint type, ulong offset, long[] dims, long dataBytes = 64) =>
        Build(1, r => r.Tensor("t", type, offset, dims), dataBytes);
}
