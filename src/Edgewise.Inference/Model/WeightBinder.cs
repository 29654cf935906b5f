using Edgewise.Gguf;
using Edgewise.Numerics;

namespace Edgewise.Inference.Model;

/// <summary>Binds tensors by name from an open GGUF file: matrices in place, 1-D tensors copied to float arrays.</summary>
internal sealed class WeightBinder(GgufFile file)
{
    public GgufFile File { get; } = file;

    public WeightMatrix Matrix(string name) =>
        OptionalMatrix(name) ?? throw new InvalidModelFileException(GgufErrorCodes.TensorMissing, -1, "A tensor the architecture requires is missing.");

    public WeightMatrix? OptionalMatrix(string name)
    {
        var tensor = File.FindTensor(name);
        if (tensor is null)
        {
            return null;
        }

        if (tensor.Dimensions.Count != 2 || tensor.Dimensions[0] > int.MaxValue || tensor.Dimensions[1] > int.MaxValue)
        {
            throw new InvalidModelFileException(GgufErrorCodes.TensorShapeMismatch, -1, "A tensor's shape disagrees with the model's hyperparameters.");
        }

        return new WeightMatrix(name, File.GetTensorAddress(tensor), TypeOf(tensor), (int)tensor.Dimensions[1], (int)tensor.Dimensions[0]);
    }

    public float[] Vector(string name) =>
        OptionalVector(name) ?? throw new InvalidModelFileException(GgufErrorCodes.TensorMissing, -1, "A tensor the architecture requires is missing.");

    public float[]? OptionalVector(string name)
    {
        var tensor = File.FindTensor(name);
        if (tensor is null)
        {
            return null;
        }

        var values = new float[checked((int)tensor.ElementCount)];
        Dequantize.Row(TypeOf(tensor), File.GetTensorData(tensor), values);
        return values;
    }

    private static TensorType TypeOf(GgufTensorInfo tensor) =>
        TensorTypeInfo.TryGet((TensorType)(int)tensor.Type, out var info)
            ? info.Type
            : throw new InvalidModelFileException(GgufErrorCodes.TensorType, -1, "A tensor's storage type is not supported for inference.");
}
