using Edgewise.Numerics.Kernels;

namespace Edgewise.Numerics;

/// <summary>How the bytes of a weight matrix are ordered in memory.</summary>
public enum WeightLayout
{
    /// <summary>As stored in GGUF: row after row, block after block.</summary>
    Stored = 0,

    /// <summary>
    /// Q4_0, Q5_0 and Q8_0: each row re-laid so that eight blocks' quants meet a token in one pass of 256-bit integer
    /// dot products (see <see cref="WeightPacking"/>). Same size and same values as the stored row.
    /// </summary>
    BlockGroups = 1,
}

/// <summary>
/// Re-lays weight matrices, once at load, into the layout <see cref="MatMul"/> multiplies fastest on this CPU, and
/// back. llama.cpp does the same for Q4_0 (its "repack" buffers); the GGUF file is never modified.
/// </summary>
public static unsafe class WeightPacking
{
    /// <summary>The layout <see cref="MatMul"/> runs fastest here for <paramref name="type"/>: <see cref="WeightLayout.BlockGroups"/> for Q4_0, Q5_0 and Q8_0 where the CPU has AVX-VNNI, else <see cref="WeightLayout.Stored"/>.</summary>
    public static WeightLayout Preferred(TensorType type) => Preferred(type, SimdSupport.Best);

    /// <summary>Whether <see cref="MatMul"/> can multiply weights in <paramref name="layout"/> on this CPU.</summary>
    public static bool IsSupported(WeightLayout layout, TensorType type) => IsSupported(layout, type, SimdSupport.Best);

    /// <summary>
    /// Writes <paramref name="rows"/> stored rows of <paramref name="cols"/> elements from <paramref name="source"/>
    /// to <paramref name="destination"/> in <paramref name="layout"/>; both hold
    /// rows × <see cref="TensorTypeInfo.RowBytes(long)"/>(cols) bytes and must not overlap.
    /// </summary>
    /// <exception cref="ArgumentException">The layout does not apply to the type, a count is negative, cols is not a whole number of blocks, or an address is zero.</exception>
    public static void Pack(WeightLayout layout, TensorType type, nint source, nint destination, int rows, int cols)
    {
        Validate(layout, type, rows, cols);
        if (rows == 0 || cols == 0)
        {
            return;
        }

        if (source == 0 || destination == 0)
        {
            throw new ArgumentException("An address is zero.");
        }

        if (layout == WeightLayout.Stored)
        {
            var bytes = TensorTypeInfo.Get(type).RowBytes(cols) * rows;
            Buffer.MemoryCopy((void*)source, (void*)destination, bytes, bytes);
            return;
        }

        BlockGroups.Pack(type, (byte*)source, (byte*)destination, rows, cols / 32);
    }

    /// <summary>Restores one row in <paramref name="layout"/> to its stored bytes.</summary>
    /// <exception cref="ArgumentException">The layout does not apply to the type, or a span is not one row long.</exception>
    public static void UnpackRow(WeightLayout layout, TensorType type, ReadOnlySpan<byte> row, Span<byte> stored)
    {
        if (layout != WeightLayout.Stored && !Applies(layout, type))
        {
            throw new ArgumentException($"The {layout} layout does not apply to {type}.", nameof(layout));
        }

        var info = TensorTypeInfo.Get(type);
        if (row.Length % info.BytesPerBlock != 0 || stored.Length != row.Length)
        {
            throw new ArgumentException("The spans are not one row of whole blocks each.", nameof(stored));
        }

        if (layout == WeightLayout.Stored)
        {
            row.CopyTo(stored);
            return;
        }

        fixed (byte* p = row)
        fixed (byte* s = stored)
        {
            BlockGroups.UnpackRow(type, p, s, row.Length / info.BytesPerBlock);
        }
    }

    internal static WeightLayout Preferred(TensorType type, SimdPath path) =>
        IsSupported(WeightLayout.BlockGroups, type, path) ? WeightLayout.BlockGroups : WeightLayout.Stored;

    internal static bool IsSupported(WeightLayout layout, TensorType type, SimdPath path) => layout switch
    {
        WeightLayout.Stored => true,
        WeightLayout.BlockGroups => BlockGroups.Handles(type) && path is SimdPath.Vector256 or SimdPath.Vector512 && BlockGroups.IsSupported,
        _ => false,
    };

    private static bool Applies(WeightLayout layout, TensorType type) => layout == WeightLayout.BlockGroups && BlockGroups.Handles(type);

    private static void Validate(WeightLayout layout, TensorType type, int rows, int cols)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(rows);
        ArgumentOutOfRangeException.ThrowIfNegative(cols);
        if (layout != WeightLayout.Stored && !Applies(layout, type))
        {
            throw new ArgumentException($"The {layout} layout does not apply to {type}.", nameof(layout));
        }

        if (cols % TensorTypeInfo.Get(type).BlockSize != 0)
        {
            throw new ArgumentException("The columns are not a whole number of blocks.", nameof(cols));
        }
    }
}
