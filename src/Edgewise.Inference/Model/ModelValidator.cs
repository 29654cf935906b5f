using Edgewise.Gguf;
using Edgewise.Inference.Architectures;
using Edgewise.Numerics;
using Edgewise.Tokenization;

namespace Edgewise.Inference.Model;

/// <summary>
/// Everything the engine checks before it will run a GGUF file, in one place, so that a file import or
/// registration accepts is a file <c>generate</c> and the server can load (and the other way round): the header and
/// tensor table (already checked by <see cref="GgufFile.Open"/>), the architecture, the hyperparameters and every
/// required tensor's shape, every tensor's storage type, and the tokenizer (vocabulary, types, special ids, merges).
/// </summary>
public static class ModelValidator
{
    /// <summary>Validates <paramref name="file"/> as a runnable model; returns its layout and tokenizer.</summary>
    /// <exception cref="InvalidModelFileException">The first check that fails, with its code (<c>gguf.*</c>, <c>model.*</c>, <c>vocab.*</c>).</exception>
    public static ValidatedModel Validate(GgufFile file)
    {
        var layout = ValidateWeights(file);
        var tokenizer = Tokenizer.FromGguf(file.Metadata);
        return new ValidatedModel(layout, tokenizer);
    }

    /// <summary>
    /// The checks of <see cref="Validate(GgufFile)"/> that the engine needs to bind and run the weights, without the
    /// tokenizer (engine-level use with token ids only; <see cref="LocalModel.Tokenizer"/> checks the tokenizer when
    /// it is first asked for).
    /// </summary>
    public static ModelTensorLayout ValidateWeights(GgufFile file)
    {
        ArgumentNullException.ThrowIfNull(file);
        var layout = ModelTensorLayout.Validate(file.Header);
        foreach (var tensor in file.Tensors)
        {
            if (!TensorTypeInfo.TryGet((TensorType)(int)tensor.Type, out _))
            {
                throw new InvalidModelFileException(GgufErrorCodes.TensorType, -1, "A tensor's storage type is not supported for inference.");
            }
        }

        return layout;
    }

    /// <summary>Opens and validates the file at <paramref name="path"/> (a regular file only), then closes it.</summary>
    /// <exception cref="InvalidModelFileException">As for <see cref="Validate(GgufFile)"/>, or the file cannot be opened.</exception>
    public static ModelHyperparameters ValidateFile(string path)
    {
        using var file = GgufFile.Open(path);
        return Validate(file).Layout.Hyperparameters;
    }
}

/// <summary>A model file that passed <see cref="ModelValidator.Validate"/>.</summary>
/// <param name="Layout">Its validated hyperparameters and tensor layout.</param>
/// <param name="Tokenizer">Its tokenizer.</param>
public sealed record ValidatedModel(ModelTensorLayout Layout, Tokenizer Tokenizer);
