using Edgewise.Gguf;

namespace Edgewise.Inference.Architectures;

/// <summary>
/// The tensors an architecture binds, with the shapes its hyperparameters imply: the architecture's tensor list
/// (<see cref="ModelArchitecture"/>) resolved for one model's sizes and block count. <see cref="Validate"/> runs when a
/// model is built, before any inference, so a file whose tensors disagree with its metadata is refused up front.
/// </summary>
public sealed class ModelTensorLayout
{
    private ModelTensorLayout(ModelHyperparameters hyperparameters, List<TensorRequirement> tensors)
    {
        Hyperparameters = hyperparameters;
        Tensors = tensors;
    }

    /// <summary>The hyperparameters the shapes were derived from.</summary>
    public ModelHyperparameters Hyperparameters { get; }

    /// <summary>Every tensor the architecture binds, global tensors first, then block by block.</summary>
    public IReadOnlyList<TensorRequirement> Tensors { get; }

    /// <summary>The layout implied by <paramref name="hp"/>: its architecture's tensor list, resolved for its sizes.</summary>
    public static ModelTensorLayout For(ModelHyperparameters hp)
    {
        ArgumentNullException.ThrowIfNull(hp);
        var architecture = hp.Architecture;
        var list = new List<TensorRequirement>(architecture.GlobalTensors.Count + (hp.BlockCount * architecture.BlockTensors.Count));
        foreach (var tensor in architecture.GlobalTensors)
        {
            list.Add(new TensorRequirement(tensor.Name(-1), tensor.Resolve(hp), tensor.Required));
        }

        for (var i = 0; i < hp.BlockCount; i++)
        {
            foreach (var tensor in architecture.BlockTensors)
            {
                list.Add(new TensorRequirement(tensor.Name(i), tensor.Resolve(hp), tensor.Required));
            }
        }

        return new ModelTensorLayout(hp, list);
    }

    /// <summary>Reads the hyperparameters of <paramref name="header"/> and validates its tensors against them.</summary>
    /// <exception cref="InvalidModelFileException">Unsupported architecture, bad hyperparameters, or a missing or misshapen tensor.</exception>
    public static ModelTensorLayout Validate(GgufHeader header)
    {
        ArgumentNullException.ThrowIfNull(header);
        var layout = For(ModelHyperparameters.Read(header));
        layout.Check(header);
        return layout;
    }

    /// <summary>Checks that every required tensor exists and every present tensor has its expected shape.</summary>
    /// <exception cref="InvalidModelFileException"><c>model.tensor.missing</c> or <c>model.tensor.shape</c>.</exception>
    public void Check(GgufHeader header)
    {
        ArgumentNullException.ThrowIfNull(header);
        foreach (var requirement in Tensors)
        {
            var tensor = header.FindTensor(requirement.Name);
            if (tensor is null)
            {
                if (requirement.Required)
                {
                    throw new InvalidModelFileException(GgufErrorCodes.TensorMissing, -1, "A tensor the architecture requires is missing.");
                }

                continue;
            }

            if (!requirement.Matches(tensor))
            {
                throw new InvalidModelFileException(GgufErrorCodes.TensorShapeMismatch, -1, "A tensor's shape disagrees with the model's hyperparameters.");
            }
        }
    }
}
