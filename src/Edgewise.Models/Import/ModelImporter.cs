using System.Security.Cryptography;
using System.Text.Json;
using Edgewise.Gguf;
using Edgewise.Models.Catalog;
using Edgewise.Models.Storage;

namespace Edgewise.Models.Import;

/// <summary>
/// Registers models that are already on disk: a GGUF file, or every model of an Ollama models directory
/// (<c>manifests/registry.ollama.ai/library/NAME/TAG</c> JSON whose <c>application/vnd.ollama.image.model</c> layer
/// names a <c>blobs/sha256-HEX</c> GGUF file). Files are copied into the store while being hashed, then validated by
/// the GGUF loader; the source is never modified.
/// </summary>
public sealed class ModelImporter(ModelStore store)
{
    /// <summary>The media type of an Ollama model layer.</summary>
    public const string OllamaModelMediaType = "application/vnd.ollama.image.model";

    private const long MaxOllamaManifestBytes = 1 << 20;

    /// <summary>
    /// Imports <paramref name="path"/>: a GGUF file (registered as <paramref name="name"/>, else its file name without
    /// extension, lower-cased) or an Ollama models directory (every library model, as <c>NAME:TAG</c>).
    /// </summary>
    /// <exception cref="ModelException"><see cref="ModelErrorCodes.ImportFailed"/>, <see cref="ModelErrorCodes.InvalidModelFile"/>, <see cref="ModelErrorCodes.InvalidModelName"/>, <see cref="ModelErrorCodes.ChecksumMismatch"/>.</exception>
    public ImportResult Import(string path, ModelReference? name = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (File.Exists(path))
        {
            var reference = name ?? DeriveName(path);
            return new ImportResult([ImportFile(path, reference, expected: null, new ModelSource("file", null, Path.GetFileName(path)))], []);
        }

        if (Directory.Exists(Path.Combine(path, "manifests")) && Directory.Exists(Path.Combine(path, "blobs")))
        {
            return ImportOllama(path);
        }

        throw new ModelException(ModelErrorCodes.ImportFailed, "Nothing to import there: give a .gguf file or an Ollama models directory (one holding manifests/ and blobs/, e.g. ~/.ollama/models).");
    }

    private ImportResult ImportOllama(string root)
    {
        var imported = new List<ModelManifest>();
        var skipped = new List<ImportSkip>();
        var library = Path.Combine(root, "manifests", "registry.ollama.ai", "library");
        if (!Directory.Exists(library))
        {
            return new ImportResult(imported, skipped);
        }

        foreach (var modelDir in new DirectoryInfo(library).EnumerateDirectories().OrderBy(d => d.Name, StringComparer.Ordinal))
        {
            foreach (var tagFile in modelDir.EnumerateFiles().OrderBy(f => f.Name, StringComparer.Ordinal))
            {
                var label = modelDir.Name + ":" + tagFile.Name;
                if (!ModelReference.TryParse(label, out var reference))
                {
                    skipped.Add(new ImportSkip(label, ModelErrorCodes.InvalidModelName));
                    continue;
                }

                try
                {
                    var digest = ReadOllamaModelLayer(tagFile);
                    var blob = new FileInfo(Path.Combine(root, "blobs", "sha256-" + digest.Hex));
                    if (!blob.Exists || blob.LinkTarget is not null)
                    {
                        throw new ModelException(ModelErrorCodes.ImportFailed, "The Ollama blob the manifest names is missing.");
                    }

                    imported.Add(ImportFile(blob.FullName, reference, digest, new ModelSource("ollama", null, label)));
                }
                catch (ModelException e)
                {
                    skipped.Add(new ImportSkip(reference.ToString(), e.Code));
                }
            }
        }

        return new ImportResult(imported, skipped);
    }

    private static Sha256Digest ReadOllamaModelLayer(FileInfo manifest)
    {
        if (manifest.LinkTarget is not null || manifest.Length > MaxOllamaManifestBytes)
        {
            throw new ModelException(ModelErrorCodes.ImportFailed, "The Ollama manifest is not a plain file of reasonable size.");
        }

        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllBytes(manifest.FullName));
            if (doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty("layers", out var layers) && layers.ValueKind == JsonValueKind.Array)
            {
                foreach (var layer in layers.EnumerateArray())
                {
                    if (layer.ValueKind == JsonValueKind.Object
                        && layer.TryGetProperty("mediaType", out var type) && type.ValueKind == JsonValueKind.String && type.GetString() == OllamaModelMediaType
                        && layer.TryGetProperty("digest", out var digest) && digest.ValueKind == JsonValueKind.String)
                    {
                        // Parse rejects anything but sha256 hex, so the blob path cannot leave blobs/ (M13).
                        return Sha256Digest.Parse(digest.GetString()!);
                    }
                }
            }
        }
        catch (JsonException e)
        {
            throw new ModelException(ModelErrorCodes.ImportFailed, "The Ollama manifest is not valid JSON.", e);
        }

        throw new ModelException(ModelErrorCodes.ImportFailed, "The Ollama manifest has no model layer.");
    }

    private ModelManifest ImportFile(string source, ModelReference reference, Sha256Digest? expected, ModelSource origin)
    {
        var partial = store.PartialPath("import-" + Guid.NewGuid().ToString("N"));
        try
        {
            // A regular file only, checked before the copy opens it (a FIFO would block the import forever).
            try
            {
                RegularFile.OpenRead(source).Dispose();
            }
            catch (InvalidModelFileException invalid)
            {
                throw new ModelException(ModelErrorCodes.InvalidModelFile, $"The file is not a runnable GGUF model ({invalid.Code}).", invalid);
            }

            var digest = CopyHashing(source, partial);
            if (expected is { } e && e != digest)
            {
                throw new ModelException(ModelErrorCodes.ChecksumMismatch, "The file does not match the digest its manifest names.");
            }

            return store.Register(reference, partial, digest, origin, "import");
        }
        finally
        {
            if (File.Exists(partial))
            {
                File.Delete(partial);
            }
        }
    }

    private static Sha256Digest CopyHashing(string source, string destination)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = new byte[1 << 20];
        try
        {
            using var input = RegularFile.OpenRead(source);
            using var output = new FileStream(destination, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1);
            int n;
            while ((n = input.Read(buffer)) > 0)
            {
                hash.AppendData(buffer, 0, n);
                output.Write(buffer, 0, n);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ModelException(ModelErrorCodes.ImportFailed, "The file could not be read or copied into the store.", e);
        }

        return Sha256Digest.FromHash(hash.GetHashAndReset());
    }

    private static ModelReference DeriveName(string path)
    {
        var stem = Path.GetFileNameWithoutExtension(path).ToLowerInvariant();
        var chars = stem.Select(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-' ? c : '-').ToArray();
        var name = new string(chars).Trim('-', '.', '_').Replace("..", ".", StringComparison.Ordinal);
        name = name.Length > ModelReference.MaxPartLength ? name[..ModelReference.MaxPartLength] : name;
        return ModelReference.TryParse(name, out var r) ? ModelReference.Create(r.Name, ModelStore.DefaultTag) : throw ModelReference.InvalidName();
    }
}

/// <summary>What an import registered and what it skipped.</summary>
/// <param name="Imported">Registered models.</param>
/// <param name="Skipped">Entries not imported, with the error code that says why.</param>
public sealed record ImportResult(IReadOnlyList<ModelManifest> Imported, IReadOnlyList<ImportSkip> Skipped);

/// <summary>An entry an import skipped.</summary>
/// <param name="Name">The entry's name.</param>
/// <param name="Code">One of <see cref="ModelErrorCodes"/>.</param>
public sealed record ImportSkip(string Name, string Code);
