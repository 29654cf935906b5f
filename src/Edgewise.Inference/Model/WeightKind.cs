using Edgewise.Numerics;

namespace Edgewise.Inference.Model;

/// <summary>Matrices of one storage type read in one layout (see <see cref="LocalModel.WeightKinds"/>).</summary>
/// <param name="Type">Storage type.</param>
/// <param name="Layout">How their bytes are ordered in memory here: <see cref="WeightLayout.BlockGroups"/> for copies re-laid at load, else <see cref="WeightLayout.Stored"/> (read in place).</param>
/// <param name="Matrices">How many matrices.</param>
/// <param name="Bytes">Their weight bytes.</param>
public sealed record WeightKind(TensorType Type, WeightLayout Layout, int Matrices, long Bytes);
