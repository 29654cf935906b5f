using Edgewise.Inference.Runtime.Kernels;
using Edgewise.Numerics;

namespace Edgewise.Inference.Model;

/// <summary>
/// A 2-D weight read in place from the memory map: <see cref="Rows"/> output rows of <see cref="Columns"/> inputs,
/// each row <see cref="RowBytes"/> bytes of <see cref="Type"/>. Valid while the model's file is open.
/// </summary>
internal sealed unsafe class WeightMatrix
{
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
    public nint Address { get; }

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

    /// <summary>The stored bytes of row <paramref name="row"/>.</summary>
    public ReadOnlySpan<byte> RowData(int row) => new((byte*)Address + (long)row * RowBytes, RowBytes);

    /// <summary>Row <paramref name="row"/> as floats: in place for F32, else decoded into <paramref name="scratch"/>.</summary>
    public ReadOnlySpan<float> Row(int row, Span<float> scratch)
    {
        if (Type == TensorType.F32)
        {
            return new ReadOnlySpan<float>((float*)((byte*)Address + (long)row * RowBytes), Columns);
        }

        var dst = scratch[..Columns];
        Dequantize.Row(Type, RowData(row), dst);
        return dst;
    }
}
