using System.Collections.Frozen;
using System.IO.Compression;
using System.Security.Cryptography;

namespace Edgewise.Server.WebConsole;

/// <summary>
/// The console's static files, embedded in this assembly under <c>Console/wwwroot</c>: read once, with a strong ETag
/// (a SHA-256 prefix of the content) and a gzip copy made at first use when it is smaller.
/// </summary>
internal sealed class ConsoleAssets
{
    private const string Prefix = "Edgewise.Server.Console.wwwroot.";

    private static readonly Lazy<ConsoleAssets> s_embedded = new(() => new ConsoleAssets(typeof(ConsoleAssets).Assembly));

    private readonly FrozenDictionary<string, ConsoleAsset> _assets;

    private ConsoleAssets(System.Reflection.Assembly assembly)
    {
        var assets = new Dictionary<string, ConsoleAsset>(StringComparer.Ordinal);
        foreach (var resource in assembly.GetManifestResourceNames())
        {
            if (!resource.StartsWith(Prefix, StringComparison.Ordinal))
            {
                continue;
            }

            var name = resource[Prefix.Length..];
            using var stream = assembly.GetManifestResourceStream(resource)!;
            using var buffer = new MemoryStream();
            stream.CopyTo(buffer);
            var bytes = buffer.ToArray();
            assets[name] = new ConsoleAsset(name, ContentType(name), bytes, Gzip(bytes), "\"" + Convert.ToHexStringLower(SHA256.HashData(bytes))[..32] + "\"");
        }

        _assets = assets.ToFrozenDictionary(StringComparer.Ordinal);
    }

    /// <summary>The files embedded in this assembly.</summary>
    public static ConsoleAssets Embedded => s_embedded.Value;

    /// <summary>Every file, by name (e.g. <c>app.js</c>).</summary>
    public IReadOnlyDictionary<string, ConsoleAsset> All => _assets;

    /// <summary>The file called <paramref name="name"/>, or null.</summary>
    public ConsoleAsset? Find(string name) => _assets.GetValueOrDefault(name);

    private static string ContentType(string name) => Path.GetExtension(name) switch
    {
        ".html" => "text/html; charset=utf-8",
        ".js" => "text/javascript; charset=utf-8",
        ".css" => "text/css; charset=utf-8",
        ".svg" => "image/svg+xml",
        ".png" => "image/png",
        ".json" => "application/json",
        _ => "application/octet-stream",
    };

    private static byte[]? Gzip(byte[] bytes)
    {
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.SmallestSize, leaveOpen: true))
        {
            gzip.Write(bytes);
        }

        return output.Length < bytes.Length ? output.ToArray() : null;
    }
}

/// <summary>One embedded console file.</summary>
internal sealed record ConsoleAsset(string Name, string ContentType, byte[] Content, byte[]? Gzipped, string ETag);
