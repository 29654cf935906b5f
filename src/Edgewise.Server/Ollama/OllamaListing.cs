using System.Collections.Concurrent;
using System.Globalization;
using Edgewise.Models;
using Edgewise.Models.Management;
using Edgewise.Models.Storage;
using Edgewise.Server.Hosting;

namespace Edgewise.Server.Ollama;

/// <summary>
/// What <c>/api/tags</c> and <c>/api/ps</c> list, in Ollama's shape: the models registered at start and configured in
/// edgewise.yaml, then every model in the store (as <c>NAME:TAG</c>), each with its size, sha256 <c>digest</c>,
/// <c>modified_at</c> and <c>details</c> (format, family, parameter size, quantization) read from the GGUF header.
/// Details are read once per file (keyed by path, size and write time), so listing does not reopen every model.
/// </summary>
internal sealed class OllamaListing(ModelHost host, ServerOptions options)
{
    private const int MaxCachedDetails = 1024;

    private readonly ConcurrentDictionary<(string Path, long Length, DateTime Written), OllamaDetailsDto?> _details = new();

    /// <summary>Every model a client can name, registered and configured ones first, then the store's.</summary>
    public List<OllamaModelDto> Available()
    {
        var models = new List<OllamaModelDto>();
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var name in host.Resolver.Names)
        {
            if (!names.Add(name))
            {
                continue;
            }

            ModelDescriptor descriptor;
            try
            {
                descriptor = host.Resolver.Resolve(name);
            }
            catch (ModelException)
            {
                continue;
            }

            var file = new FileInfo(descriptor.Path);
            models.Add(new OllamaModelDto(name, name, descriptor.IsRemote || !file.Exists ? 0 : file.Length)
            {
                ModifiedAt = !descriptor.IsRemote && file.Exists ? Timestamp(file.LastWriteTimeUtc) : null,
                Digest = DigestOf(descriptor),
                Details = descriptor.IsRemote ? null : Details(descriptor.Path),
            });
        }

        if (options.Store is { } store)
        {
            foreach (var manifest in store.List())
            {
                if (!names.Add(manifest.FullName) || Blob(store, manifest) is not { } path)
                {
                    continue;
                }

                models.Add(new OllamaModelDto(manifest.FullName, manifest.FullName, manifest.Size)
                {
                    ModifiedAt = manifest.Created.ToString("O", CultureInfo.InvariantCulture),
                    Digest = Hex(manifest.Digest),
                    Details = Details(path),
                });
            }
        }

        return models;
    }

    /// <summary>The models loaded now, with the memory they hold as <c>size</c> and when they unload.</summary>
    public List<OllamaModelDto> Running() => host.Manager.Loaded.Select(m =>
    {
        ModelDescriptor? descriptor = null;
        try
        {
            descriptor = host.Resolver.Resolve(m.Name);
        }
        catch (ModelException)
        {
            // Removed from the store while loaded: listed without digest and details.
        }

        return new OllamaModelDto(m.Name, m.Name, m.MemoryBytes)
        {
            ExpiresAt = m.ExpiresAt?.ToString("O", CultureInfo.InvariantCulture),
            SizeVram = 0,
            Digest = descriptor is null ? null : DigestOf(descriptor),
            Details = descriptor is null || descriptor.IsRemote ? null : Details(descriptor.Path),
        };
    }).ToList();

    private OllamaDetailsDto? Details(string path)
    {
        var file = new FileInfo(path);
        if (!file.Exists)
        {
            return null;
        }

        var key = (file.FullName, file.Length, file.LastWriteTimeUtc);
        if (_details.TryGetValue(key, out var cached))
        {
            return cached;
        }

        if (_details.Count >= MaxCachedDetails)
        {
            _details.Clear();
        }

        return _details[key] = OllamaShow.DetailsOf(path);
    }

    /// <summary>The blob of a store model, or null when it is missing or damaged (it is then not listed).</summary>
    private static string? Blob(ModelStore store, ModelManifest manifest)
    {
        try
        {
            return store.GetModelPath(manifest);
        }
        catch (ModelException)
        {
            return null;
        }
    }

    /// <summary>
    /// The sha256 Ollama lists as <c>digest</c> (hex, no prefix): a store model's recorded digest, or the name of a
    /// store blob given by path. Other files are not hashed for a listing (that would read every byte).
    /// </summary>
    private static string? DigestOf(ModelDescriptor descriptor)
    {
        if (descriptor.Sha256 is { } digest)
        {
            return digest.Hex;
        }

        var name = Path.GetFileName(descriptor.Path);
        return name.StartsWith("sha256-", StringComparison.Ordinal) && Sha256Digest.TryParse(name, out var blob) ? blob.Hex : null;
    }

    private static string Hex(string digest) => Sha256Digest.TryParse(digest, out var parsed) ? parsed.Hex : digest;

    private static string Timestamp(DateTime utc) => utc.ToString("O", CultureInfo.InvariantCulture);
}
