using Edgewise.Gguf;
using Edgewise.Inference.Model;
using Edgewise.Inference.Runtime;

namespace Edgewise.Models.Storage;

/// <summary>What registration reads from a GGUF file after validating it the way the loader will.</summary>
internal sealed record GgufFacts(string Architecture, long Parameters, int ContextLength, long KvBytesPerToken)
{
    /// <summary>Opens and validates <paramref name="path"/> (header, tensor table, architecture, hyperparameters, tensor shapes).</summary>
    /// <exception cref="ModelException"><see cref="ModelErrorCodes.InvalidModelFile"/>, naming the loader's error code.</exception>
    public static GgufFacts Read(string path)
    {
        try
        {
            // The same validation the engine runs at load (ModelValidator), so import never accepts a file that
            // generate or the server would then refuse (vocabulary, tensor types, unsupported tokenizer model).
            using var file = GgufFile.Open(path);
            var hp = ModelValidator.Validate(file).Layout.Hyperparameters;
            long parameters = 0;
            foreach (var t in file.Tensors)
            {
                parameters += t.ElementCount;
            }

            // Recorded for the default F16 cache; a model configured with an F32 cache plans twice this.
            return new GgufFacts(hp.ArchitectureName, parameters, hp.ContextLength, KvCacheSize.BytesPerToken(hp, KvCacheType.F16));
        }
        catch (InvalidModelFileException e)
        {
            throw new ModelException(ModelErrorCodes.InvalidModelFile, $"The file is not a runnable GGUF model ({e.Code}).", e);
        }
    }
}
