using System.CommandLine;
using System.Globalization;
using Edgewise.Models;
using Edgewise.Models.Catalog;
using Edgewise.Models.Download;
using Edgewise.Models.Hardware;
using Edgewise.Models.Import;
using Edgewise.Models.Storage;

namespace Edgewise.Cli.Commands;

/// <summary>
/// <c>edgewise pull|ls|rm|import|doctor</c>. Exit codes: 0 done, 2 bad name or input, 3 not found, 4 network
/// (offline, refused, timed out), 5 verification failed, 6 not enough memory or disk.
/// </summary>
internal static class ModelStoreCommands
{
    public const int NotFound = 3;
    public const int Network = 4;
    public const int Verification = 5;
    public const int Resources = 6;

    /// <summary>Adds the commands to <paramref name="root"/>.</summary>
    public static void AddTo(Command root, CliConsole console)
    {
        root.Subcommands.Add(Pull(console));
        root.Subcommands.Add(List(console));
        root.Subcommands.Add(Remove(console));
        root.Subcommands.Add(ImportCommand(console));
        root.Subcommands.Add(StoreDoctor.Create(console));
        ProcessCommands.AddTo(root, console);
    }

    /// <summary>
    /// Resolves what <c>edgewise run</c> was given: an existing file as is; else <c>NAME[:TAG]</c> in the store; else a
    /// catalog alias, pulled first (with progress on the error stream).
    /// </summary>
    public static string ResolveModelPath(string fileOrAlias, CliConsole console, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(fileOrAlias);
        if (File.Exists(fileOrAlias))
        {
            return fileOrAlias;
        }

        var store = ModelStore.OpenDefault();
        var reference = ModelReference.Parse(fileOrAlias);
        var manifest = store.Find(reference) ?? PullAsync(store, reference, console, cancellationToken).GetAwaiter().GetResult();
        return store.GetModelPath(manifest);
    }

    /// <summary>Runs <paramref name="body"/>, mapping model errors to a message and exit code.</summary>
    public static int Guard(CliConsole console, Func<int> body)
    {
        try
        {
            return console.Guard(body);
        }
        catch (ModelException e)
        {
            console.Error.WriteLine($"error: {e.Message} ({e.Code})");
            return ExitCode(e.Code);
        }
    }

    internal static int ExitCode(string code) => code switch
    {
        ModelErrorCodes.ModelNotFound or ModelErrorCodes.RemoteNotFound or ModelErrorCodes.UnknownQuantization => NotFound,
        ModelErrorCodes.Offline or ModelErrorCodes.Timeout or ModelErrorCodes.Unauthorized or ModelErrorCodes.RedirectBlocked or ModelErrorCodes.DownloadFailed => Network,
        ModelErrorCodes.ChecksumMismatch or ModelErrorCodes.SizeMismatch or ModelErrorCodes.InvalidModelFile => Verification,
        ModelErrorCodes.InsufficientDisk or ModelErrorCodes.InsufficientMemory => Resources,
        _ => CliConsole.UsageError,
    };

    private static async Task<ModelManifest> PullAsync(ModelStore store, ModelReference reference, CliConsole console, CancellationToken cancellationToken)
    {
        var (model, variant) = ModelCatalog.BuiltIn.Resolve(reference);
        if (variant is null)
        {
            var budget = VariantSelector.DefaultBudget(new SystemHardwareProbe(store.Root).TotalBytes);
            variant = VariantSelector.Choose(model, budget)
                ?? throw new ModelException(ModelErrorCodes.InsufficientMemory, "No variant of this model fits this machine's memory budget; pick a smaller model ('edgewise ls --catalog').");
        }

        using var downloader = new ModelDownloader(DownloadOptions.FromEnvironment());
        var bar = new StoreProgress(console.Error, model.Alias + ":" + variant.Quant);
        var manifest = await new ModelPuller(store, downloader).PullAsync(model, variant, bar.Report, cancellationToken).ConfigureAwait(false);
        bar.Finish();
        return manifest;
    }

    private static Command Pull(CliConsole console)
    {
        var name = new Argument<string>("model") { Description = "Catalog alias, optionally with a quantization: ALIAS[:QUANT] (default: the best that fits this machine)." };
        var json = ModelCommands.JsonOption();
        var command = new Command("pull", "Download a catalog model (resumable, verified by size and sha256). HF_ENDPOINT picks a mirror.") { name, json };
        command.SetAction((r, cancel) => Task.FromResult(Guard(console, () =>
        {
            var store = ModelStore.OpenDefault();
            var manifest = PullAsync(store, ModelReference.Parse(r.GetValue(name)!), console, cancel).GetAwaiter().GetResult();
            if (r.GetValue(json))
            {
                console.WriteJson(manifest);
            }
            else
            {
                console.Out.WriteLine($"{manifest.FullName} ready ({Size(manifest.Size)}, {manifest.Digest[..19]})");
            }

            return 0;
        })));
        return command;
    }

    private static Command List(CliConsole console)
    {
        var catalog = new Option<bool>("--catalog") { Description = "List the catalog instead of the installed models." };
        var tag = new Option<string?>("--tag") { Description = "With --catalog: only models for this use: " + string.Join(", ", CatalogTags.All) + "." };
        var json = ModelCommands.JsonOption();
        var command = new Command("ls", "List installed models, or the catalog.") { catalog, tag, json };
        command.SetAction(r => Guard(console, () =>
        {
            var t = r.GetValue(tag)?.ToLowerInvariant();
            if (t is not null && !CatalogTags.All.Contains(t))
            {
                throw new CliException("unknown tag; use one of " + string.Join(", ", CatalogTags.All));
            }

            if (r.GetValue(catalog))
            {
                var models = ModelCatalog.BuiltIn.WithTag(t).ToList();
                if (r.GetValue(json))
                {
                    console.WriteJson(models);
                    return 0;
                }

                foreach (var m in models)
                {
                    var q4 = m.FindVariant(Quantizations.Default) ?? m.Variants[0];
                    console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"{m.Alias,-20} {m.Parameters / 1e9,5:F2} B  {string.Join(",", m.Tags),-24} {string.Join(" ", m.Variants.Select(v => v.Quant)),-28} {q4.Quant} needs {Size(VariantSelector.MemoryNeeded(m, q4))}"));
                }

                return 0;
            }

            if (t is not null)
            {
                throw new CliException("--tag needs --catalog");
            }

            var installed = ModelStore.OpenDefault().List();
            if (r.GetValue(json))
            {
                console.WriteJson(installed);
                return 0;
            }

            foreach (var m in installed)
            {
                console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{m.FullName,-32} {m.Digest.Substring(7, 12)}  {Size(m.Size),10}  {m.Architecture,-7} {m.Source.Kind}"));
            }

            return 0;
        }));
        return command;
    }

    private static Command Remove(CliConsole console)
    {
        var name = new Argument<string>("model") { Description = "NAME[:TAG] (every tag when none is given)." };
        var command = new Command("rm", "Remove an installed model (its file goes when no other name uses it).") { name };
        command.SetAction(r => Guard(console, () =>
        {
            var removed = ModelStore.OpenDefault().Remove(ModelReference.Parse(r.GetValue(name)!));
            if (removed.Count == 0)
            {
                throw new ModelException(ModelErrorCodes.ModelNotFound, "No installed model has that name; see 'edgewise ls'.");
            }

            foreach (var m in removed)
            {
                console.Out.WriteLine("removed " + m.FullName);
            }

            return 0;
        }));
        return command;
    }

    private static Command ImportCommand(CliConsole console)
    {
        var path = new Argument<string>("path") { Description = "A .gguf file, or an Ollama models directory (e.g. ~/.ollama/models)." };
        var name = new Option<string?>("--name") { Description = "NAME[:TAG] for a single file (default: the file name)." };
        var json = ModelCommands.JsonOption();
        var command = new Command("import", "Register local GGUF files or an Ollama installation's models (copied, hashed, validated).") { path, name, json };
        command.SetAction(r => Guard(console, () =>
        {
            ModelReference? reference = r.GetValue(name) is { } n ? ModelReference.Parse(n) : null;
            var result = new ModelImporter(ModelStore.OpenDefault()).Import(r.GetValue(path)!, reference);
            if (r.GetValue(json))
            {
                console.WriteJson(result);
            }
            else
            {
                foreach (var m in result.Imported)
                {
                    console.Out.WriteLine($"imported {m.FullName} ({Size(m.Size)}, {m.Architecture})");
                }

                foreach (var s in result.Skipped)
                {
                    console.Error.WriteLine($"skipped {s.Name} ({s.Code})");
                }
            }

            return result.Imported.Count > 0 || result.Skipped.Count == 0 ? 0 : Verification;
        }));
        return command;
    }

    internal static string Size(long bytes) => bytes >= 1L << 30
        ? string.Create(CultureInfo.InvariantCulture, $"{bytes / (double)(1L << 30):F2} GiB")
        : string.Create(CultureInfo.InvariantCulture, $"{bytes / (double)(1 << 20):F1} MiB");
}

/// <summary>Plain-text progress: a redrawn line on a terminal, a line per 10% otherwise.</summary>
internal sealed class StoreProgress(TextWriter writer, string label)
{
    private readonly bool _terminal = ReferenceEquals(writer, Console.Error) && !Console.IsErrorRedirected;
    private int _lastDecile = -1;

    public void Report(DownloadProgress p)
    {
        var percent = p.TotalBytes is { } t && t > 0 ? (int)(p.BytesReceived * 100 / t) : -1;
        var text = percent >= 0
            ? $"{label} [{new string('#', percent / 5),-20}] {percent,3}% {ModelStoreCommands.Size(p.BytesReceived)} / {ModelStoreCommands.Size(p.TotalBytes ?? 0)}"
            : $"{label} {ModelStoreCommands.Size(p.BytesReceived)}";
        if (_terminal)
        {
            writer.Write("\r" + text);
        }
        else if (percent / 10 != _lastDecile)
        {
            _lastDecile = percent / 10;
            writer.WriteLine(text);
        }
    }

    public void Finish()
    {
        if (_terminal)
        {
            writer.WriteLine();
        }
    }
}
