using Edgewise.Gguf;

namespace Edgewise.Inference.Architectures;

/// <summary>One tensor a model architecture binds: its name, its expected shape (ne[0] first) and whether it must exist.</summary>
/// <param name="Name">Full tensor name, e.g. <c>blk.0.attn_q.weight</c>.</param>
/// <param name="Shape">Expected dimensions, innermost first as GGUF stores them.</param>
/// <param name="Required">False for tensors that may be absent (tied output, optional biases, rope factors).</param>
public sealed record TensorRequirement(string Name, IReadOnlyList<long> Shape, bool Required)
{
    /// <summary>True when <paramref name="tensor"/> has exactly <see cref="Shape"/>.</summary>
    public bool Matches(GgufTensorInfo tensor)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        if (tensor.Dimensions.Count != Shape.Count)
        {
            return false;
        }

        for (var i = 0; i < Shape.Count; i++)
        {
            if (tensor.Dimensions[i] != Shape[i])
            {
                return false;
            }
        }

        return true;
    }
}
