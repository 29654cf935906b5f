using Edgewise.Models.Catalog;
using Edgewise.Models.Storage;

namespace Edgewise.Models.Download;

/// <summary>Pulls catalog variants into the store: download (resumable), verify, validate, register.</summary>
public sealed class ModelPuller(ModelStore store, ModelDownloader downloader)
{
    /// <summary>
    /// Makes <paramref name="model"/>:<paramref name="variant"/> available in the store and returns its manifest;
    /// when it is already registered nothing is downloaded.
    /// </summary>
    /// <exception cref="ModelException">Any download, verification or validation failure (see <see cref="ModelDownloader"/>).</exception>
    public async Task<ModelManifest> PullAsync(CatalogModel model, CatalogVariant variant, Action<DownloadProgress>? progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(variant);
        var reference = ModelReference.Create(model.Alias, variant.Quant);
        if (store.Find(reference) is { } existing)
        {
            return existing;
        }

        Sha256Digest? expected = variant.Sha256 is null ? null : Sha256Digest.Parse(variant.Sha256);
        var partial = store.PartialPath(reference.Name + "_" + reference.Tag);
        var url = downloader.ResolveUrl(variant.Repo, variant.File);
        var result = await downloader.DownloadAsync(url, partial, expected, null, progress, cancellationToken).ConfigureAwait(false);
        return store.Register(reference, partial, result.Digest, new ModelSource("catalog", variant.Repo, variant.File));
    }
}
