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
/// <c>edgewise pull|ls|rm|import|verify|doctor</c>, and the model resolution every command shares. Exit codes follow
/// docs/cli.md: 0 done, 2 bad name or input, 3 not found, 4 network, 5 verification failed, 6 not enough memory or disk.
/// </summary>
internal static class ModelStoreCommands
{
    public const int NotFound = CliConsole.NotFound;
    public const int Network = CliConsole.Network;
    public const int Verification = CliConsole.Verification;
    public const int Resources = CliConsole.Resources;

    /// <summary>Adds the commands to <paramref name="root"/>.</summary>
    public static void AddTo(Command root, CliConsole console)
    {
        root.Subcommands.Add(Pull(console));
        root.Subcommands.Add(List(console));
        root.Subcommands.Add(Remove(console));
        root.Subcommands.Add(ImportCommand(console));
        root.Subcommands.Add(Verify(console));
        root.Subcommands.Add(StoreDoctor.Create(console));
        ProcessCommands.AddTo(root, console);
    }

    /// <summary>
    /// Resolves a model argument to a file: an existing file as is; else a name in the store; else a catalog alias or
    /// Ollama-style name, or a Hugging Face repository, pulled first (with progress on the error stream).
    /// </summary>
    /// <exception cref="ModelException">File not found, unknown model (with suggestions), or any pull failure.</exception>
    public static string ResolveModelPath(string model, CliConsole console, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (File.Exists(model))
        {
            return model;
        }

        if (Directory.Exists(model))
        {
            throw new ModelException(ModelErrorCodes.FileNotFound, "file not found: " + model + " is a directory, not a GGUF file");
        }

        var store = ModelStore.OpenDefault();
        var target = new ModelResolver(store, ModelCatalog.BuiltIn).Resolve(model);
        return target.Kind switch
        {
            ModelTargetKind.File => target.Path!,
            ModelTargetKind.Stored => store.GetModelPath(target.Manifest!),
            _ => store.GetModelPath(PullAsync(store, target, console, cancellationToken).GetAwaiter().GetResult()),
        };
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
            return console.Fail(e.Code, e.Message, ExitCode(e.Code));
        }
    }

    internal static int ExitCode(string code) => code switch
    {
        ModelErrorCodes.ModelNotFound or ModelErrorCodes.RemoteNotFound or ModelErrorCodes.UnknownQuantization or ModelErrorCodes.FileNotFound => NotFound,
        ModelErrorCodes.Offline or ModelErrorCodes.Timeout or ModelErrorCodes.Unauthorized or ModelErrorCodes.RedirectBlocked or ModelErrorCodes.DownloadFailed => Network,
        ModelErrorCodes.ChecksumMismatch or ModelErrorCodes.SizeMismatch or ModelErrorCodes.InvalidModelFile or ModelErrorCodes.ModelFileChanged => Verification,
        ModelErrorCodes.InsufficientDisk or ModelErrorCodes.InsufficientMemory => Resources,
        _ => CliConsole.UsageError,
    };

    /// <summary>Pulls what <paramref name="target"/> names (or checks it again when it is already stored).</summary>
    internal static async Task<ModelManifest> PullAsync(ModelStore store, ModelTarget target, CliConsole console, CancellationToken cancellationToken)
    {
        var budget = VariantSelector.DefaultBudget(new SystemHardwareProbe(store.Root).TotalBytes);
        using var downloader = new ModelDownloader(DownloadOptions.FromEnvironment());
        var puller = new ModelPuller(store, downloader) { Warning = w => console.Error.WriteLine("warning: " + w) };
        switch (target.Kind)
        {
            case ModelTargetKind.Catalog:
            {
                var variant = target.Variant ?? VariantSelector.Choose(target.Model!, budget)
                    ?? throw new ModelException(ModelErrorCodes.InsufficientMemory, "No variant of this model fits this machine's memory budget; pick a smaller model ('edgewise ls --catalog').");
                var bar = new StoreProgress(console.Error, target.Model!.Alias + ":" + variant.Quant);
                var manifest = await puller.PullAsync(target.Model, variant, bar.Report, cancellationToken).ConfigureAwait(false);
                bar.Finish();
                return manifest;
            }

            case ModelTargetKind.Hub:
            {
                var bar = new StoreProgress(console.Error, target.Hub!.ToString());
                var manifest = await puller.PullAsync(target.Hub, ModelCatalog.BuiltIn, budget, bar.Report, cancellationToken).ConfigureAwait(false);
                bar.Finish();
                return manifest;
            }

            case ModelTargetKind.Stored:
            {
                var m = target.Manifest!;
                if (m.Source.Kind == "catalog" && ModelCatalog.BuiltIn.Find(m.Name) is { } model && model.FindVariant(m.Tag) is { } variant)
                {
                    // Checks the stored file against its digest; fetches it again when it is damaged.
                    return await puller.PullAsync(model, variant, new StoreProgress(console.Error, m.FullName).Report, cancellationToken).ConfigureAwait(false);
                }

                return store.Verify(m) ? m : throw new ModelException(ModelErrorCodes.ChecksumMismatch, $"The stored file of {m.FullName} no longer has its recorded sha256 ({m.Digest}); remove it with 'edgewise rm {m.FullName}' and pull or import it again.");
            }

            default:
                throw new CliException("pull takes a model name (NAME[:TAG], a catalog name or hf.co/OWNER/REPO); 'edgewise import FILE' adds a file");
        }
    }

    private static Command Pull(CliConsole console)
    {
        var name = new Argument<string>("model") { Description = "Catalog name (qwen2.5:0.5b, llama3.2, qwen2.5-0.5b:q8_0) or GGUF repository (hf.co/OWNER/REPO[:QUANT], OWNER/REPO:FILE.gguf); default quantization: the best that fits this machine." };
        var json = ModelCommands.JsonOption();
        var command = new Command("pull", "Download a model (resumable, verified by size and sha256; pulling a stored model checks it again). HF_ENDPOINT picks a mirror.") { name, json };
        command.SetAction((r, cancel) => Task.FromResult(Guard(console, () =>
        {
            var store = ModelStore.OpenDefault();
            var text = r.GetValue(name)!;
            if (File.Exists(text) || (ModelResolver.LooksLikePath(text) && !HubReference.TryParse(text, out _)))
            {
                // A path is never a name (M13): refused without being echoed.
                throw new ModelException(ModelErrorCodes.InvalidModelName, "Invalid model name: pull takes NAME[:TAG], a catalog name or hf.co/OWNER/REPO; 'edgewise import FILE' adds a file you have.");
            }

            var manifest = PullAsync(store, new ModelResolver(store, ModelCatalog.BuiltIn).Resolve(text), console, cancel).GetAwaiter().GetResult();
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

                console.Out.WriteLine($"{"NAME",-20} {"ALSO",-22} {"PARAMS",7}  {"USE",-24} {"QUANTIZATIONS",-28} MEMORY (q4_k_m)");
                foreach (var m in models)
                {
                    var q4 = m.FindVariant(Quantizations.Default) ?? m.Variants[0];
                    console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"{m.Alias,-20} {m.Names.FirstOrDefault() ?? "-",-22} {m.Parameters / 1e9,5:F2} B  {string.Join(",", m.Tags),-24} {string.Join(" ", m.Variants.Select(v => v.Quant)),-28} {Size(VariantSelector.MemoryNeeded(m, q4))}"));
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

            console.Out.WriteLine($"{"NAME",-40} {"ID",-12}  {"SIZE",10}  MODIFIED");
            if (installed.Count == 0)
            {
                console.Error.WriteLine("No models yet. 'edgewise pull qwen2.5:0.5b' downloads one (see 'edgewise ls --catalog'), 'edgewise import FILE.gguf' adds one you have, and 'edgewise run' picks one for this machine.");
                return 0;
            }

            var now = DateTimeOffset.UtcNow;
            foreach (var m in installed)
            {
                console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{m.FullName,-40} {m.Digest.Substring(7, 12)}  {Size(m.Size),10}  {Ago(now - m.Created)}"));
            }

            return 0;
        }));
        return command;
    }

    private static Command Remove(CliConsole console)
    {
        var name = new Argument<string>("model") { Description = "NAME[:TAG] (every tag when none is given)." };
        var json = ModelCommands.JsonOption();
        var command = new Command("rm", "Remove an installed model (its file goes when no other name uses it).") { name, json };
        command.SetAction(r => Guard(console, () =>
        {
            var removed = ModelStore.OpenDefault().Remove(ModelReference.Parse(r.GetValue(name)!));
            if (removed.Count == 0)
            {
                throw new ModelException(ModelErrorCodes.ModelNotFound, "No installed model has that name; see 'edgewise ls'.");
            }

            if (r.GetValue(json))
            {
                console.WriteJson(new RemovedOutput([.. removed.Select(m => m.FullName)]));
                return 0;
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

    /// <summary>"3 minutes ago", as Ollama prints ages.</summary>
    internal static string Ago(TimeSpan age) => age switch
    {
        { TotalSeconds: < 60 } => "just now",
        { TotalMinutes: < 2 } => "1 minute ago",
        { TotalHours: < 1 } => $"{(int)age.TotalMinutes} minutes ago",
        { TotalHours: < 2 } => "1 hour ago",
        { TotalDays: < 1 } => $"{(int)age.TotalHours} hours ago",
        { TotalDays: < 2 } => "1 day ago",
        { TotalDays: < 14 } => $"{(int)age.TotalDays} days ago",
        { TotalDays: < 60 } => $"{(int)(age.TotalDays / 7)} weeks ago",
        _ => $"{(int)(age.TotalDays / 30)} months ago",
    };

    private static Command Verify(CliConsole console)
    {
        var name = new Argument<string?>("model") { Description = "NAME[:TAG] (every tag when none is given); every stored model when left out.", Arity = ArgumentArity.ZeroOrOne };
        var json = ModelCommands.JsonOption();
        var command = new Command("verify", "Re-hash stored models and compare each with the sha256 recorded (or pinned) when it was stored.") { name, json };
        command.SetAction(r => Guard(console, () =>
        {
            var store = ModelStore.OpenDefault();
            var models = store.List();
            if (r.GetValue(name) is { } text)
            {
                var target = new ModelResolver(store, ModelCatalog.BuiltIn).Resolve(text);
                if (target.Kind != ModelTargetKind.Stored)
                {
                    throw new ModelException(ModelErrorCodes.ModelNotFound, $"'{text}' is not in the store; see 'edgewise ls'.");
                }

                var reference = ModelReference.Parse(text);
                models = reference.Tag is null && models.Any(m => m.Name == reference.Name)
                    ? [.. models.Where(m => m.Name == reference.Name)]
                    : [target.Manifest!];
            }

            var results = new List<VerifyResult>();
            foreach (var m in models)
            {
                string status;
                try
                {
                    status = store.Verify(m) ? "ok" : "checksum_mismatch";
                }
                catch (ModelException e)
                {
                    status = e.Code == ModelErrorCodes.ModelNotFound ? "missing" : e.Code;
                }

                results.Add(new VerifyResult(m.FullName, m.Digest, m.DigestSource, status));
                if (!r.GetValue(json))
                {
                    console.Out.WriteLine($"{m.FullName,-40} {(status == "ok" ? "ok" : status.ToUpperInvariant()),-18} {m.Digest[..19]}  ({m.DigestSource ?? "recorded"})");
                }
            }

            var failed = results.Count(v => v.Status != "ok");
            if (r.GetValue(json))
            {
                console.WriteJson(new VerifyOutput(results, failed));
            }
            else if (results.Count == 0)
            {
                console.Error.WriteLine("No models to verify; 'edgewise ls' lists the store.");
            }

            return failed == 0 ? 0 : Verification;
        }));
        return command;
    }

    internal sealed record VerifyResult(string Name, string Digest, string? DigestSource, string Status);

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
