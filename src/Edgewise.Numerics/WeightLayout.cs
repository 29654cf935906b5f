using System.Runtime.Intrinsics.X86;
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

    /// <summary>
    /// Q4_0 and Q4_K on CPUs without AVX-VNNI: eight rows interleaved so that one token meets eight rows per vector
    /// (see <see cref="Kernels.RowGroups"/>); rows past the last full group of eight stay as stored. Same size and same
    /// values as the stored matrix; only Q4_0 matrices whose block scales are all finite are re-laid so.
    /// </summary>
    RowGroups = 2,
}

/// <summary>
/// Re-lays weight matrices, once at load, into the layout <see cref="MatMul"/> multiplies fastest on this CPU, and
/// back. llama.cpp does the same for Q4_0 (its "repack" buffers); the GGUF file is never modified.
/// </summary>
public static unsafe class WeightPacking
{
    /// <summary>
    /// The layout <see cref="MatMul"/> runs fastest here for <paramref name="type"/>: <see cref="WeightLayout.BlockGroups"/>
    /// for Q4_0, Q5_0 and Q8_0 where the CPU has AVX-VNNI; <see cref="WeightLayout.RowGroups"/> for Q4_0 and Q4_K where it
    /// has AVX2 and FMA but no AVX-VNNI (measured on AMD Zen 4 only); else <see cref="WeightLayout.Stored"/>. A given matrix may still have to stay stored: see
    /// <see cref="Preferred(TensorType, nint, int, int)"/>.
    /// </summary>
    public static WeightLayout Preferred(TensorType type) => Preferred(type, SimdSupport.Best);

    /// <summary>
    /// The layout to re-lay this stored matrix into: <see cref="Preferred(TensorType)"/>, unless that is
    /// <see cref="WeightLayout.RowGroups"/> and a block scale is an fp16 infinity or NaN (which only the stored layout's
    /// kernels carry through), in which case <see cref="WeightLayout.Stored"/>.
    /// </summary>
    /// <exception cref="ArgumentException">A count is negative, cols is not a whole number of blocks, or the address is zero with rows to read.</exception>
    public static WeightLayout Preferred(TensorType type, nint source, int rows, int cols)
    {
        var layout = Preferred(type);
        if (layout != WeightLayout.RowGroups)
        {
            return layout;
        }

        Validate(layout, type, rows, cols);
        if (source == 0 && rows > 0 && cols > 0)
        {
            throw new ArgumentException("The address is zero.", nameof(source));
        }

        return type != TensorType.Q4_0 || RowGroups.CanPack((byte*)source, rows, cols / 32) ? layout : WeightLayout.Stored;
    }

    /// <summary>Whether <see cref="MatMul"/> can multiply weights in <paramref name="layout"/> on this CPU.</summary>
    public static bool IsSupported(WeightLayout layout, TensorType type) => IsSupported(layout, type, SimdSupport.Best);

    /// <summary>
    /// Writes <paramref name="rows"/> stored rows of <paramref name="cols"/> elements from <paramref name="source"/>
    /// to <paramref name="destination"/> in <paramref name="layout"/>; both hold
    /// rows × <see cref="TensorTypeInfo.RowBytes(long)"/>(cols) bytes and must not overlap.
    /// </summary>
    /// <exception cref="ArgumentException">
    /// The layout does not apply to the type, a count is negative, cols is not a whole number of blocks, an address is
    /// zero, or (<see cref="WeightLayout.RowGroups"/>) a Q4_0 block scale is not finite, found on the way (the
    /// destination is then partly written).
    /// </exception>
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

        if (layout == WeightLayout.RowGroups)
        {
            if (!RowGroups.Pack(type, (byte*)source, (byte*)destination, rows, cols / TensorTypeInfo.Get(type).BlockSize))
            {
                throw new ArgumentException("A block scale is an fp16 infinity or NaN; the RowGroups layout holds finite scales only.", nameof(source));
            }

            return;
        }

        BlockGroups.Pack(type, (byte*)source, (byte*)destination, rows, cols / 32);
    }

    /// <summary>
    /// Restores row <paramref name="row"/> of a matrix of <paramref name="rows"/> rows of <paramref name="cols"/>
    /// elements in <paramref name="layout"/> at <paramref name="matrix"/> to its stored bytes (every layout; a
    /// <see cref="WeightLayout.RowGroups"/> row is spread over its group of eight).
    /// </summary>
    /// <exception cref="ArgumentException">The layout does not apply to the type, a count is out of range, the span is not one row long, or the address is zero.</exception>
    public static void UnpackRow(WeightLayout layout, TensorType type, nint matrix, int rows, int cols, int row, Span<byte> stored)
    {
        Validate(layout, type, rows, cols);
        ArgumentOutOfRangeException.ThrowIfNegative(row);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(row, rows);
        var rowBytes = TensorTypeInfo.Get(type).RowBytes(cols);
        if (stored.Length != rowBytes)
        {
            throw new ArgumentException("The span is not one row long.", nameof(stored));
        }

        if (matrix == 0)
        {
            throw new ArgumentException("The address is zero.", nameof(matrix));
        }

        if (layout != WeightLayout.RowGroups)
        {
            UnpackRow(layout, type, new ReadOnlySpan<byte>((byte*)matrix + (row * rowBytes), (int)rowBytes), stored);
            return;
        }

        fixed (byte* s = stored)
        {
            RowGroups.UnpackRows(type, (byte*)matrix, rows, cols / TensorTypeInfo.Get(type).BlockSize, row, row + 1, s);
        }
    }

    /// <summary>
    /// Restores one row in <paramref name="layout"/> to its stored bytes, for the layouts that keep a row's bytes
    /// together (not <see cref="WeightLayout.RowGroups"/>: use the matrix overload).
    /// </summary>
    /// <exception cref="ArgumentException">The layout does not apply to the type or keeps no row together, or a span is not one row long.</exception>
    public static void UnpackRow(WeightLayout layout, TensorType type, ReadOnlySpan<byte> row, Span<byte> stored)
    {
        if (layout != WeightLayout.Stored && !Applies(layout, type))
        {
            throw new ArgumentException($"The {layout} layout does not apply to {type}.", nameof(layout));
        }

        if (layout == WeightLayout.RowGroups)
        {
            throw new ArgumentException("A RowGroups row is spread over its group of eight rows; restore it with the matrix overload.", nameof(layout));
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
        IsSupported(WeightLayout.BlockGroups, type, path) ? WeightLayout.BlockGroups
        : IsSupported(WeightLayout.RowGroups, type, path) && !AvxVnni.IsSupported ? WeightLayout.RowGroups
        : WeightLayout.Stored;

    internal static bool IsSupported(WeightLayout layout, TensorType type, SimdPath path) => layout switch
    {
        WeightLayout.Stored => true,
        WeightLayout.BlockGroups => BlockGroups.Handles(type) && path is SimdPath.Vector256 or SimdPath.Vector512 && BlockGroups.IsSupported,
        WeightLayout.RowGroups => RowGroups.Handles(type) && path is SimdPath.Vector256 or SimdPath.Vector512 && RowGroups.IsSupported
            && LegacyGemm.IsSupported && KQuantGemm.IsSupported && KQuantMatVec.IsSupported,
        _ => false,
    };

    private static bool Applies(WeightLayout layout, TensorType type) => layout switch
    {
        WeightLayout.BlockGroups => BlockGroups.Handles(type),
        WeightLayout.RowGroups => RowGroups.Handles(type),
        _ => false,
    };

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
