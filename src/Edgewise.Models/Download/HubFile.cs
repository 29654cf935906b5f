using System.Text.Json;
using Edgewise.Models.Storage;

namespace Edgewise.Models.Download;

/// <summary>One file of a Hugging Face repository as the hub's tree API lists it.</summary>
/// <param name="Path">Path inside the repository.</param>
/// <param name="Size">Size in bytes the hub states.</param>
/// <param name="Sha256">The sha256 the hub states (its LFS object id), when it states one.</param>
public sealed record HubFile(string Path, long Size, Sha256Digest? Sha256)
{
    /// <summary>Most entries read from one listing.</summary>
    public const int MaxEntries = 10_000;

    /// <summary>Parses a tree listing: an array of <c>{type, path, size, lfs: {oid, size}}</c>; directories are skipped.</summary>
    /// <exception cref="ModelException"><see cref="ModelErrorCodes.DownloadFailed"/>: not such a listing.</exception>
    public static IReadOnlyList<HubFile> ParseTree(ReadOnlySpan<byte> json, string host)
    {
        var files = new List<HubFile>();
        try
        {
            using var doc = JsonDocument.Parse(json.ToArray());
            if (doc.RootElement.ValueKind != JsonValueKind.Array)
            {
                throw NotAList(host);
            }

            foreach (var e in doc.RootElement.EnumerateArray())
            {
                if (files.Count >= MaxEntries)
                {
                    break;
                }

                if (e.ValueKind != JsonValueKind.Object || !e.TryGetProperty("path", out var path) || path.ValueKind != JsonValueKind.String
                    || (e.TryGetProperty("type", out var type) && type.ValueKind == JsonValueKind.String && type.GetString() != "file"))
                {
                    continue;
                }

                long size = e.TryGetProperty("size", out var s) && s.TryGetInt64(out var n) && n >= 0 ? n : 0;
                Sha256Digest? sha = null;
                if (e.TryGetProperty("lfs", out var lfs) && lfs.ValueKind == JsonValueKind.Object)
                {
                    if (lfs.TryGetProperty("oid", out var oid) && oid.ValueKind == JsonValueKind.String && Sha256Digest.TryParse(oid.GetString(), out var d))
                    {
                        sha = d;
                    }

                    if (lfs.TryGetProperty("size", out var ls) && ls.TryGetInt64(out var lsize) && lsize > 0)
                    {
                        size = lsize;
                    }
                }

                files.Add(new HubFile(path.GetString()!, size, sha));
            }
        }
        catch (JsonException)
        {
            throw NotAList(host);
        }

        return files;
    }

    private static ModelException NotAList(string host) =>
        new(ModelErrorCodes.DownloadFailed, $"{host} did not answer the file list request with a file list: HF_ENDPOINT may point at a plain file server; name the file instead (OWNER/REPO:FILE.gguf).");
}
