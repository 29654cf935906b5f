using System.Text.Json;
using Edgewise.Models.Catalog;

namespace Edgewise.Models.Storage;

/// <summary>
/// The content-addressed model store under <c>DATA/models</c>: <c>blobs/sha256-HEX</c> (read-only GGUF files named by
/// their hash), <c>manifests/NAME/TAG.json</c> (what a name points at) and <c>partial/</c> (downloads and imports in
/// progress). A file reaches <c>blobs/</c> only after its size and hash are verified and it validates as a GGUF model,
/// by an atomic rename; a manifest is written to a temporary file and renamed over, so a name never points at a partial
/// or unverified file. Every path is built from validated names and digests only (M13); links are never followed.
/// </summary>
public sealed class ModelStore
{
    /// <summary>The tag used when none is given.</summary>
    public const string DefaultTag = "latest";

    private static readonly JsonSerializerOptions s_json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        TypeInfoResolver = ModelsJsonContext.Default,
    };

    private readonly string _blobs;
    private readonly string _manifests;
    private readonly object _gate = new();

    /// <summary>Opens (and creates) the store rooted at <paramref name="modelsDirectory"/>.</summary>
    public ModelStore(string modelsDirectory)
    {
        ArgumentException.ThrowIfNullOrEmpty(modelsDirectory);
        Root = Path.GetFullPath(modelsDirectory);
        _blobs = Path.Combine(Root, "blobs");
        _manifests = Path.Combine(Root, "manifests");
        PartialDirectory = Path.Combine(Root, "partial");
        Directory.CreateDirectory(_blobs);
        Directory.CreateDirectory(_manifests);
        Directory.CreateDirectory(PartialDirectory);
    }

    /// <summary>The store for the current user's data directory (<see cref="EdgewiseHome"/>).</summary>
    public static ModelStore OpenDefault() => new(EdgewiseHome.ModelsDirectory(EdgewiseHome.Resolve()));

    /// <summary>The models directory.</summary>
    public string Root { get; }

    /// <summary>Where unfinished downloads and imports are kept.</summary>
    public string PartialDirectory { get; }

    /// <summary>Every registered model, ordered by name and tag. Unreadable manifests are skipped.</summary>
    public IReadOnlyList<ModelManifest> List()
    {
        var result = new List<ModelManifest>();
        foreach (var dir in new DirectoryInfo(_manifests).EnumerateDirectories())
        {
            if (dir.LinkTarget is not null || !ModelReference.IsValidPart(dir.Name))
            {
                continue;
            }

            foreach (var file in dir.EnumerateFiles("*.json"))
            {
                if (ReadManifest(file) is { } m && string.Equals(m.Name, dir.Name, StringComparison.Ordinal))
                {
                    result.Add(m);
                }
            }
        }

        result.Sort((a, b) => string.CompareOrdinal(a.FullName, b.FullName));
        return result;
    }

    /// <summary>
    /// The manifest for <paramref name="reference"/>, or null. Without a tag: the <c>latest</c> tag when present, else
    /// the most recently registered tag of that name.
    /// </summary>
    public ModelManifest? Find(ModelReference reference)
    {
        if (reference.Tag is not null)
        {
            return ReadManifest(new FileInfo(ManifestPath(reference.Name, reference.Tag)));
        }

        var dir = new DirectoryInfo(Path.Combine(_manifests, reference.Name));
        if (!dir.Exists || dir.LinkTarget is not null)
        {
            return null;
        }

        return ReadManifest(new FileInfo(ManifestPath(reference.Name, DefaultTag)))
            ?? dir.EnumerateFiles("*.json").Select(ReadManifest).OfType<ModelManifest>().MaxBy(m => m.Created);
    }

    /// <summary>
    /// The path of the model's GGUF file, after checking that the blob is a regular file (not a link) inside the store
    /// with the recorded size.
    /// </summary>
    /// <exception cref="ModelException"><see cref="ModelErrorCodes.ModelNotFound"/>: the blob is missing, a link, or of the wrong size.</exception>
    public string GetModelPath(ModelManifest manifest)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        var path = BlobPath(Sha256Digest.Parse(manifest.Digest));
        var info = new FileInfo(path);
        if (!info.Exists || info.LinkTarget is not null || info.Length != manifest.Size)
        {
            throw new ModelException(ModelErrorCodes.ModelNotFound, "The model's file is missing or damaged: remove it with 'edgewise rm' and pull or import it again.");
        }

        // A blob is written once, before its manifest: a file written after the manifest was replaced since, so it must
        // still have the recorded (pinned) digest. Untouched files are not re-hashed on every load; 'edgewise verify' does.
        if (info.LastWriteTimeUtc > manifest.Created.UtcDateTime + ModifiedTolerance && Sha256Digest.OfFile(path).ToString() != manifest.Digest)
        {
            throw new ModelException(ModelErrorCodes.ChecksumMismatch, $"The stored file of {manifest.FullName} was changed after it was stored: it no longer has the sha256 pinned in its manifest ({manifest.Digest}). Remove it with 'edgewise rm {manifest.FullName}' and pull or import it again.");
        }

        return path;
    }

    private static readonly TimeSpan ModifiedTolerance = TimeSpan.FromSeconds(2);

    /// <summary>Re-hashes the model's file (M14); true when it still has the recorded digest.</summary>
    /// <exception cref="ModelException"><see cref="ModelErrorCodes.ModelNotFound"/>: the file is missing, a link or of the wrong size.</exception>
    public bool Verify(ModelManifest manifest)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        var path = BlobPath(Sha256Digest.Parse(manifest.Digest));
        var info = new FileInfo(path);
        if (!info.Exists || info.LinkTarget is not null || info.Length != manifest.Size)
        {
            throw new ModelException(ModelErrorCodes.ModelNotFound, $"The file of {manifest.FullName} is missing or has the wrong size: remove it with 'edgewise rm {manifest.FullName}' and pull or import it again.");
        }

        return Sha256Digest.OfFile(path).ToString() == manifest.Digest;
    }

    /// <summary>True when a verified blob with <paramref name="digest"/> is already stored.</summary>
    public bool HasBlob(Sha256Digest digest)
    {
        var info = new FileInfo(BlobPath(digest));
        return info.Exists && info.LinkTarget is null;
    }

    /// <summary>
    /// Registers <paramref name="verifiedFile"/> — a file under <see cref="PartialDirectory"/> whose sha256 is
    /// <paramref name="digest"/> — as <paramref name="reference"/>: validates it as a GGUF model, moves it into
    /// <c>blobs/</c> (or drops it when that blob exists) and writes the manifest.
    /// </summary>
    /// <exception cref="ModelException"><see cref="ModelErrorCodes.InvalidModelFile"/>: the file does not validate; it is deleted.</exception>
    public ModelManifest Register(ModelReference reference, string verifiedFile, Sha256Digest digest, ModelSource source, string? digestSource = null)
    {
        ArgumentNullException.ThrowIfNull(verifiedFile);
        ArgumentNullException.ThrowIfNull(source);
        var tag = reference.Tag ?? DefaultTag;
        GgufFacts facts;
        try
        {
            facts = GgufFacts.Read(verifiedFile);
        }
        catch (ModelException)
        {
            File.Delete(verifiedFile);
            throw;
        }

        var size = new FileInfo(verifiedFile).Length;
        var blob = BlobPath(digest);
        lock (_gate)
        {
            if (HasBlob(digest) && new FileInfo(blob).Length == size && Sha256Digest.OfFile(blob) == digest)
            {
                File.Delete(verifiedFile);
            }
            else
            {
                // New, or a stored copy that was damaged: the verified file replaces it.
                if (File.Exists(blob))
                {
                    File.SetAttributes(blob, FileAttributes.Normal);
                    if (!OperatingSystem.IsWindows())
                    {
                        File.SetUnixFileMode(blob, UnixFileMode.UserRead | UnixFileMode.UserWrite);
                    }
                }

                File.Move(verifiedFile, blob, overwrite: true);
                MakeReadOnly(blob);
            }

            var manifest = new ModelManifest
            {
                Name = reference.Name,
                Tag = tag,
                Digest = digest.ToString(),
                Size = size,
                Source = source,
                DigestSource = digestSource,
                Architecture = facts.Architecture,
                Parameters = facts.Parameters,
                ContextLength = facts.ContextLength,
                KvBytesPerToken = facts.KvBytesPerToken,
                Created = DateTimeOffset.UtcNow,
            };
            WriteManifest(manifest);
            return manifest;
        }
    }

    /// <summary>
    /// Removes <paramref name="reference"/> (every tag of the name when no tag is given) and deletes blobs no other
    /// manifest uses. Returns the removed manifests (empty when nothing matched).
    /// </summary>
    public IReadOnlyList<ModelManifest> Remove(ModelReference reference)
    {
        lock (_gate)
        {
            var removed = List().Where(m => m.Name == reference.Name && (reference.Tag is null || m.Tag == reference.Tag)).ToList();
            foreach (var m in removed)
            {
                File.Delete(ManifestPath(m.Name, m.Tag));
            }

            var dir = Path.Combine(_manifests, reference.Name);
            if (Directory.Exists(dir) && !Directory.EnumerateFileSystemEntries(dir).Any())
            {
                Directory.Delete(dir);
            }

            var inUse = List().Select(m => m.Digest).ToHashSet(StringComparer.Ordinal);
            foreach (var digest in removed.Select(m => m.Digest).Distinct().Where(d => !inUse.Contains(d)))
            {
                var blob = BlobPath(Sha256Digest.Parse(digest));
                if (File.Exists(blob))
                {
                    File.SetAttributes(blob, FileAttributes.Normal);
                    File.Delete(blob);
                }
            }

            return removed;
        }
    }

    /// <summary>A path under <see cref="PartialDirectory"/> for work identified by <paramref name="key"/> (hex or a valid name).</summary>
    internal string PartialPath(string key)
    {
        if (!ModelReference.IsValidPart(key))
        {
            throw ModelReference.InvalidName();
        }

        return Contained(PartialDirectory, key + ".partial");
    }

    internal string BlobPath(Sha256Digest digest) => Contained(_blobs, "sha256-" + digest.Hex);

    private string ManifestPath(string name, string tag)
    {
        if (!ModelReference.IsValidPart(name) || !ModelReference.IsValidPart(tag))
        {
            throw ModelReference.InvalidName();
        }

        return Contained(Path.Combine(_manifests, name), tag + ".json");
    }

    // Belt and braces: names are validated, but the final path must still sit directly in its folder.
    private static string Contained(string folder, string fileName)
    {
        var full = Path.GetFullPath(Path.Combine(folder, fileName));
        if (!string.Equals(Path.GetDirectoryName(full), Path.GetFullPath(folder), StringComparison.Ordinal))
        {
            throw ModelReference.InvalidName();
        }

        return full;
    }

    private static ModelManifest? ReadManifest(FileInfo file)
    {
        if (!file.Exists || file.LinkTarget is not null || file.Directory?.LinkTarget is not null || file.Length > 1 << 20)
        {
            return null;
        }

        try
        {
            using var stream = file.OpenRead();
            var m = JsonSerializer.Deserialize(stream, ModelsJsonContext.Info<ModelManifest>(s_json));
            return m is not null && m.Schema == ModelManifest.CurrentSchema && ModelReference.IsValidPart(m.Name) && ModelReference.IsValidPart(m.Tag)
                && Sha256Digest.TryParse(m.Digest, out _) && m.Digest.StartsWith("sha256:", StringComparison.Ordinal)
                ? m : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private void WriteManifest(ModelManifest manifest)
    {
        var path = ManifestPath(manifest.Name, manifest.Tag);
        var dir = Path.GetDirectoryName(path)!;
        if (new DirectoryInfo(dir) is { Exists: true, LinkTarget: not null })
        {
            throw ModelReference.InvalidName();
        }

        Directory.CreateDirectory(dir);
        var temp = Contained(PartialDirectory, "manifest-" + Guid.NewGuid().ToString("N") + ".tmp");
        File.WriteAllBytes(temp, JsonSerializer.SerializeToUtf8Bytes(manifest, ModelsJsonContext.Info<ModelManifest>(s_json)));
        File.Move(temp, path, overwrite: true);
    }

    private static void MakeReadOnly(string path)
    {
        if (OperatingSystem.IsWindows())
        {
            File.SetAttributes(path, FileAttributes.ReadOnly);
        }
        else
        {
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        }
    }
}
