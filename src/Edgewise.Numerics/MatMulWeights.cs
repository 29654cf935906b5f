namespace Edgewise.Numerics;

/// <summary>
/// A weight matrix at a raw address, as <see cref="MatMul.ComputeRow(ReadOnlySpan{MatMulWeights}, int, ReadOnlySpan{float}, Span{float}, ComputePool?, Span{byte})"/>
/// takes it: <see cref="Rows"/> rows of <see cref="TensorTypeInfo.RowBytes(long)"/> bytes each, in <see cref="Layout"/>,
/// valid and unmoved for the call.
/// </summary>
/// <param name="Type">Storage type of the weights.</param>
/// <param name="Layout">How the bytes are ordered (<see cref="WeightLayout.Stored"/> unless re-laid by <see cref="WeightPacking"/>).</param>
/// <param name="Address">Address of the first row.</param>
/// <param name="Rows">Output features.</param>
public readonly record struct MatMulWeights(TensorType Type, WeightLayout Layout, nint Address, int Rows);
