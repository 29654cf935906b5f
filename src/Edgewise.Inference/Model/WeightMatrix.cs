using Edgewise.Inference.Runtime.Kernels;
using Edgewise.Numerics;

namespace Edgewise.Inference.Model;

/// <summary>
/// A 2-D weight: <see cref="Rows"/> output rows of <see cref="Columns"/> inputs, each row <see cref="RowBytes"/> bytes
/// of <see cref="Type"/>. Read in place from the memory map (valid while the model's file is open), or, after
/// <see cref="Repack"/>, from a copy (owned by <see cref="ModelWeights"/>) in the layout the matrix kernels run fastest here.
/// </summary>
internal sealed unsafe class WeightMatrix
{
    [ThreadStatic]
    private static byte[]? t_stored;

    public WeightMatrix(string name, nint address, TensorType type, int rows, int columns)
    {
        Name = name;
        Address = address;
        Type = type;
        Rows = rows;
        Columns = columns;
        RowBytes = checked((int)TensorTypeInfo.Get(type).RowBytes(columns));
        Activation = ActivationKinds.For(type);
    }

    /// <summary>Tensor name, for diagnostics.</summary>
    public string Name { get; }

    /// <summary>Address of row 0.</summary>
    public nint Address { get; private set; }

    /// <summary>How the bytes at <see cref="Address"/> are ordered.</summary>
    public WeightLayout Layout { get; private set; }

    /// <summary>Storage type.</summary>
    public TensorType Type { get; }

    /// <summary>Output rows (ne[1]).</summary>
    public int Rows { get; }

    /// <summary>Inputs per row (ne[0]).</summary>
    public int Columns { get; }

    /// <summary>Bytes per row.</summary>
    public int RowBytes { get; }

    /// <summary>How inputs are rounded before meeting this weight.</summary>
    public ActivationKind Activation { get; }

    /// <summary>The bytes of row <paramref name="row"/> as stored (only while <see cref="Layout"/> is <see cref="WeightLayout.Stored"/>).</summary>
    public ReadOnlySpan<byte> RowData(int row) => new((byte*)Address + (long)row * RowBytes, RowBytes);

    /// <summary>Row <paramref name="row"/> as floats: in place for F32, else decoded into <paramref name="scratch"/>.</summary>
    public ReadOnlySpan<float> Row(int row, Span<float> scratch)
    {
        if (Type == TensorType.F32)
        {
            return new ReadOnlySpan<float>((float*)((byte*)Address + (long)row * RowBytes), Columns);
        }

        var dst = scratch[..Columns];
        if (Layout == WeightLayout.Stored)
        {
            Dequantize.Row(Type, RowData(row), dst);
            return dst;
        }

        if (t_stored is null || t_stored.Length < RowBytes)
        {
            t_stored = new byte[RowBytes];
        }

        var stored = t_stored.AsSpan(0, RowBytes);
        WeightPacking.UnpackRow(Layout, Type, Address, Rows, Columns, row, stored);
        Dequantize.Row(Type, stored, dst);
        return dst;
    }

    /// <summary>Bytes of the matrix: <see cref="Rows"/> × <see cref="RowBytes"/>.</summary>
    public long Bytes => (long)Rows * RowBytes;

    /// <summary>The layout to re-lay this stored matrix into on this CPU (<see cref="WeightPacking.Preferred(TensorType, nint, int, int)"/>).</summary>
    public WeightLayout PreferredLayout() => WeightPacking.Preferred(Type, Address, Rows, Columns);

    /// <summary>
    /// Copies the matrix into <paramref name="layout"/> at <paramref name="destination"/> (<see cref="Bytes"/> bytes
    /// that outlive every use of the matrix) and reads from the copy from now on. Call before any context uses it.
    /// </summary>
    public void Repack(WeightLayout layout, nint destination)
    {
        if (Layout != WeightLayout.Stored)
        {
            throw new InvalidOperationException("The matrix has already been re-laid.");
        }

        WeightPacking.Pack(layout, Type, Address, destination, Rows, Columns);
        Address = destination;
        Layout = layout;
    }

    /// <summary>Forgets the weights' address once the model is disposed, so a late use faults instead of reading freed memory.</summary>
    public void Invalidate() => Address = 0;
}
