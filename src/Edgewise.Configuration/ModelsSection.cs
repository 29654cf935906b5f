namespace Edgewise.Configuration;

/// <summary>
/// The validated <c>models:</c> section of one <c>edgewise.yaml</c>: its entries by name, and the file they were read
/// from, against which relative model paths resolve. <see cref="ModelsSectionReader"/> reads it; the hosting layer
/// maps its entries to model settings and remote backends.
/// </summary>
public sealed class ModelsSection
{
    internal ModelsSection(string file, IReadOnlyDictionary<string, ModelConfig> models)
    {
        File = file;
        Models = models;
    }

    /// <summary>The file the section was read from, as given.</summary>
    public string File { get; }

    /// <summary>The folder relative model paths resolve against: that of <see cref="File"/>.</summary>
    public string BaseDirectory => Path.GetDirectoryName(Path.GetFullPath(File)) ?? Directory.GetCurrentDirectory();

    /// <summary>The entries by name, in file order. Every failover target names a remote entry here.</summary>
    public IReadOnlyDictionary<string, ModelConfig> Models { get; }

    /// <summary>
    /// Resolves a model's <see cref="ModelConfig.Path"/> against <see cref="BaseDirectory"/>; aliases are returned as is,
    /// and a remote entry (<c>url:</c> or <c>backends:</c>) gives its (first) endpoint URL (it is no file or store name:
    /// callers that load models check <see cref="ModelConfig.IsRemote"/> first).
    /// </summary>
    public string ResolveSource(ModelConfig model)
    {
        ArgumentNullException.ThrowIfNull(model);
        return model.Path is { } path ? Path.GetFullPath(path, BaseDirectory) : model.Source;
    }
}
