using Edgewise.Inference.Runtime;
using Edgewise.Models.Catalog;
using Edgewise.Models.Hardware;
using Edgewise.Models.Storage;

namespace Edgewise.Models.Download;

/// <summary>
/// Pulls models into the store: catalog variants and GGUF files of any Hugging Face repository. Download (resumable),
/// verify, validate, register. The digest a file is checked against is, in order: the catalog's sha256, the one pinned
/// in the manifest by an earlier pull, the one the hub states (file list or <c>X-Linked-Etag</c>); when there is none,
/// the digest of this first download is pinned in the manifest (with a warning) and every later pull, load and
/// <c>edgewise verify</c> checks the file against it.
/// </summary>
public sealed class ModelPuller(ModelStore store, ModelDownloader downloader)
{
    /// <summary>Called with a one-line warning (no published digest: pinned on first use).</summary>
    public Action<string>? Warning { get; init; }

    /// <summary>
    /// Makes <paramref name="model"/>:<paramref name="variant"/> available in the store and returns its manifest;
    /// when it is already registered and its file still has the recorded digest nothing is downloaded.
    /// </summary>
    /// <exception cref="ModelException">Any download, verification or validation failure (see <see cref="ModelDownloader"/>).</exception>
    public Task<ModelManifest> PullAsync(CatalogModel model, CatalogVariant variant, Action<DownloadProgress>? progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(variant);
        var expected = variant.Sha256 is null ? (Sha256Digest?)null : Sha256Digest.Parse(variant.Sha256);
        return PullAsync(ModelReference.Create(model.Alias, variant.Quant), "catalog", variant.Repo, variant.File, expected, expected is null ? null : "catalog", progress, cancellationToken);
    }

    /// <summary>
    /// Pulls a GGUF file of Hugging Face repository <paramref name="hub"/>: the named file, the named quantization, or
    /// the best quantization that fits <paramref name="budgetBytes"/> (the catalog's rule), chosen from the
    /// repository's file list. A repository the catalog knows is pulled as that catalog model.
    /// </summary>
    /// <exception cref="ModelException">No such repository or quantization, nothing fits, or any download failure.</exception>
    public async Task<ModelManifest> PullAsync(HubReference hub, ModelCatalog catalog, long budgetBytes, Action<DownloadProgress>? progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(hub);
        ArgumentNullException.ThrowIfNull(catalog);
        if (hub.File is null && catalog.Models.FirstOrDefault(m => m.Variants.Any(v => string.Equals(v.Repo, hub.Repo, StringComparison.OrdinalIgnoreCase))) is { } known)
        {
            var variant = hub.Quant is null ? VariantSelector.Choose(known, budgetBytes) ?? throw NothingFits()
                : known.FindVariant(hub.Quant) ?? throw UnknownQuant(hub, known.Variants.Select(v => v.Quant));
            return await PullAsync(known, variant, progress, cancellationToken).ConfigureAwait(false);
        }

        IReadOnlyList<HubFile>? files;
        try
        {
            files = await downloader.ListFilesAsync(hub.Repo, cancellationToken).ConfigureAwait(false);
        }
        catch (ModelException e) when (hub.File is not null && e.Code is ModelErrorCodes.RemoteNotFound or ModelErrorCodes.DownloadFailed)
        {
            files = null; // a plain file server has no file list: a named file is still fetched directly
        }

        if (hub.File is not null)
        {
            var listed = files?.FirstOrDefault(f => f.Path == hub.File);
            if (files is not null && listed is null)
            {
                throw new ModelException(ModelErrorCodes.RemoteNotFound, $"{hub.Repo} has no file {hub.File}; its GGUF files: {string.Join(", ", files.Where(f => f.Path.EndsWith(".gguf", StringComparison.OrdinalIgnoreCase)).Select(f => f.Path).DefaultIfEmpty("none"))}.");
            }

            return await PullAsync(ModelReference.Create(hub.StoreName, hub.StoreTag), "hub", hub.Repo, hub.File, listed?.Sha256, listed?.Sha256 is null ? null : "hub", progress, cancellationToken).ConfigureAwait(false);
        }

        var model = HubModel(hub, files!);
        var chosen = hub.Quant is null ? VariantSelector.Choose(model, budgetBytes) ?? throw NothingFits()
            : model.FindVariant(hub.Quant) ?? throw UnknownQuant(hub, model.Variants.Select(v => v.Quant));
        var sha = chosen.Sha256 is null ? (Sha256Digest?)null : Sha256Digest.Parse(chosen.Sha256);
        return await PullAsync(ModelReference.Create(hub.StoreName, chosen.Quant), "hub", chosen.Repo, chosen.File, sha, sha is null ? null : "hub", progress, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// The repository's whole-model GGUF files as a catalog model, one variant per quantization. The KV cache is not
    /// known before the file is read, so memory planning assumes one quarter of the largest file at 4096 tokens.
    /// </summary>
    /// <exception cref="ModelException"><see cref="ModelErrorCodes.RemoteNotFound"/>: the repository has no GGUF model file.</exception>
    public static CatalogModel HubModel(HubReference hub, IReadOnlyList<HubFile> files)
    {
        ArgumentNullException.ThrowIfNull(hub);
        ArgumentNullException.ThrowIfNull(files);
        var variants = new List<CatalogVariant>();
        foreach (var f in files.Where(f => !f.Path.Contains('/', StringComparison.Ordinal)).OrderBy(f => f.Path, StringComparer.Ordinal))
        {
            if (HubReference.QuantOf(f.Path) is { } quant && ModelReference.IsValidPart(quant) && ModelReference.IsValidPart(f.Path) && !variants.Any(v => v.Quant == quant))
            {
                variants.Add(new CatalogVariant { Quant = quant, Repo = hub.Repo, File = f.Path, Bytes = Math.Max(f.Size, 1), Sha256 = f.Sha256?.Hex });
            }
        }

        if (variants.Count == 0)
        {
            throw new ModelException(ModelErrorCodes.RemoteNotFound, $"{hub.Repo} has no GGUF model file whose name says its quantization (e.g. ...-Q4_K_M.gguf); name the file: hf.co/{hub.Repo}/FILE.gguf.");
        }

        var largest = variants.Max(v => v.Bytes);
        return new CatalogModel
        {
            Alias = hub.StoreName,
            Family = "unknown",
            Description = "GGUF files of " + hub.Repo,
            Parameters = largest,
            ContextLength = ContextOptions.DefaultMaxContextLength,
            KvBytesPerToken = Math.Max(1, largest / 4 / ContextOptions.DefaultMaxContextLength),
            Tags = [],
            License = "unknown",
            Variants = variants,
        };
    }

    private async Task<ModelManifest> PullAsync(ModelReference reference, string kind, string repo, string file, Sha256Digest? expected, string? expectedSource, Action<DownloadProgress>? progress, CancellationToken cancellationToken)
    {
        if (store.Find(reference) is { } existing)
        {
            // A later pull checks the stored file against its recorded (possibly pinned) digest; a damaged or missing
            // file is fetched again and must match that digest unless the catalog states another.
            bool intact;
            try
            {
                intact = store.Verify(existing);
            }
            catch (ModelException e) when (e.Code == ModelErrorCodes.ModelNotFound)
            {
                intact = false;
            }

            if (intact)
            {
                return existing;
            }

            if (expectedSource != "catalog")
            {
                expected = Sha256Digest.Parse(existing.Digest);
                expectedSource = existing.DigestSource ?? "first_download";
            }

            Warning?.Invoke($"{existing.FullName}: the stored file is missing or no longer has its recorded sha256; downloading it again.");
        }

        var partial = store.PartialPath(reference.Name + "_" + reference.Tag);
        var url = downloader.ResolveUrl(repo, file);
        var result = await downloader.DownloadAsync(url, partial, expected, null, progress, cancellationToken).ConfigureAwait(false);
        var source = result.DigestSource switch
        {
            DigestSource.Expected => expectedSource ?? "hub",
            DigestSource.Published => "hub",
            _ => "first_download",
        };
        if (source == "first_download")
        {
            Warning?.Invoke($"{url.IdnHost} published no sha256 for {file}: pinned {result.Digest} from this first download; later pulls, loads and 'edgewise verify' check the file against it.");
        }

        return store.Register(reference, partial, result.Digest, new ModelSource(kind, repo, file), source);
    }

    private static ModelException NothingFits() =>
        new(ModelErrorCodes.InsufficientMemory, "No variant of this model fits this machine's memory budget; pick a smaller model ('edgewise ls --catalog').");

    private static ModelException UnknownQuant(HubReference hub, IEnumerable<string> available) =>
        new(ModelErrorCodes.UnknownQuantization, $"{hub.Repo} has no {hub.Quant} file; available: {string.Join(", ", available)}.");
}
