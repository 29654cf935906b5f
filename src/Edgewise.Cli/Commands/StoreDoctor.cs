using System.CommandLine;
using System.Globalization;
using Edgewise.Inference.Generation;
using Edgewise.Inference.Model;
using Edgewise.Inference.Runtime;
using Edgewise.Inference.Synthesis;
using Edgewise.Models.Catalog;
using Edgewise.Models.Hardware;
using Edgewise.Models.Remote;
using Edgewise.Models.Storage;
using Edgewise.Tokenization;

namespace Edgewise.Cli.Commands;

/// <summary>
/// <c>edgewise doctor</c>: the hardware found, a decode speed measured on a synthetic model with real shapes, and per
/// use case the largest catalog model that fits the memory budget and decodes at 5 tokens/s or more, its speed extrapolated from the measurement
/// (decode is memory-bandwidth bound: tokens/s scale with the inverse of the weight bytes read per token); and the
/// Ollama, llama-server and Foundry Local servers already running on loopback, with their models.
/// </summary>
internal static class StoreDoctor
{
    public static Command Create(CliConsole console)
    {
        var shape = new Option<string>("--shape") { Description = "Shape measured (see 'model shapes').", DefaultValueFactory = _ => "smollm2-135m" };
        var tokens = new Option<int>("--tokens") { Description = "Tokens decoded for the measurement.", DefaultValueFactory = _ => 16 };
        var noMeasure = new Option<bool>("--no-measure") { Description = "Skip the decode measurement." };
        var noDiscover = new Option<bool>("--no-discover") { Description = "Skip looking for Ollama, llama-server and Foundry Local on loopback." };
        var json = ModelCommands.JsonOption();
        var command = new Command("doctor", "Show the hardware, a measured decode speed, the models this machine should run and local inference servers.") { shape, tokens, noMeasure, noDiscover, json };
        command.SetAction((r, cancel) => Task.FromResult(ModelStoreCommands.Guard(console, () =>
        {
            var home = EdgewiseHome.Resolve();
            var hw = new SystemHardwareProbe(home).Probe();
            var budget = VariantSelector.DefaultBudget(hw.TotalMemoryBytes);
            var discovery = r.GetValue(noDiscover)
                ? Task.FromResult<IReadOnlyList<DiscoveredServer>>([])
                : LoopbackDiscovery.DiscoverAsync(null, null, cancel);
            Measurement? measured = null;
            if (!r.GetValue(noMeasure))
            {
                var s = ModelShapes.Find(r.GetValue(shape)!) ?? throw new CliException("unknown shape; run 'edgewise model shapes' for the list");
                measured = Measure(s, Math.Clamp(r.GetValue(tokens), 2, 256), cancel);
            }

            var recommendations = CatalogTags.All.Select(tag => Recommend(tag, budget, measured)).ToList();
            var localServers = discovery.GetAwaiter().GetResult();
            if (r.GetValue(json))
            {
                console.WriteJson(new DoctorOutput(hw, home, budget, measured, recommendations, localServers));
                return 0;
            }

            var c = CultureInfo.InvariantCulture;
            var w = console.Out;
            w.WriteLine(string.Create(c, $"cpu            {hw.LogicalCores} logical cores, {hw.Architecture}, SIMD {hw.SimdLevel}"));
            w.WriteLine(string.Create(c, $"memory         {ModelStoreCommands.Size(hw.TotalMemoryBytes)} total, {ModelStoreCommands.Size(hw.AvailableMemoryBytes)} available, budget {ModelStoreCommands.Size(budget)} (75%)"));
            w.WriteLine(string.Create(c, $"disk           {(hw.FreeDiskBytes is { } d ? ModelStoreCommands.Size(d) + " free" : "unknown")} under {home}"));
            w.WriteLine(string.Create(c, $"gpu            {(hw.Gpus.Count == 0 ? "none found (the engine runs on the CPU)" : string.Join(", ", hw.Gpus) + " (the engine runs on the CPU)")}"));
            if (measured is { } m)
            {
                w.WriteLine(string.Create(c, $"measured       {m.Shape} {m.Quant}: {m.TokensPerSecond:F1} tokens/s decode ({m.Tokens} tokens, {ModelStoreCommands.Size(m.WeightBytes)} of weights, {m.Threads} threads)"));
            }

            foreach (var rec in recommendations)
            {
                w.WriteLine(rec.Alias is null
                    ? $"{rec.Tag,-14} nothing in the catalog fits"
                    : string.Create(c, $"{rec.Tag,-14} {rec.Alias}:{rec.Quant} needs {ModelStoreCommands.Size(rec.MemoryBytes)}{(rec.EstimatedTokensPerSecond is { } e ? $", about {e:F1} tokens/s" : string.Empty)}  ->  edgewise pull {rec.Alias}:{rec.Quant}"));
            }

            if (!r.GetValue(noDiscover))
            {
                WriteLocalServers(w, localServers);
            }

            return 0;
        })));
        return command;
    }

    private static void WriteLocalServers(TextWriter w, IReadOnlyList<DiscoveredServer> servers)
    {
        var c = CultureInfo.InvariantCulture;
        foreach (var server in servers)
        {
            var models = server.Models.Count == 0 ? "no models listed" : string.Join(", ", server.Models);
            w.WriteLine(string.Create(c, $"local server   {server.Kind} at {server.Endpoint} ({server.Models.Count} models: {models})"));
        }

        if (servers.Count == 0)
        {
            w.WriteLine(string.Create(c, $"local server   none on loopback (ollama :{LoopbackDiscovery.OllamaDefaultPort}, llama-server :{LoopbackDiscovery.LlamaServerDefaultPort}, foundry-local :{LoopbackDiscovery.FoundryLocalDefaultPort})"));
        }

        if (!servers.Any(s => s.Kind == LocalServerKinds.FoundryLocal))
        {
            w.WriteLine("               Foundry Local picks its port at start; 'foundry service status' shows it if it runs elsewhere");
        }
    }

    /// <summary>
    /// What <c>doctor</c> recommends for <paramref name="tag"/> on this machine: the memory budget from the hardware, and
    /// (with <paramref name="measure"/>) the speed measured on the default shape.
    /// </summary>
    internal static Recommendation Recommend(string tag, bool measure, CancellationToken cancel)
    {
        var hw = new SystemHardwareProbe(EdgewiseHome.Resolve()).Probe();
        var budget = VariantSelector.DefaultBudget(hw.TotalMemoryBytes);
        var measured = measure ? Measure(ModelShapes.Find("smollm2-135m")!, 16, cancel) : (Measurement?)null;
        return Recommend(tag, budget, measured);
    }

    /// <summary>Interactive use needs at least this decode speed; slower candidates are only a last resort.</summary>
    private const double MinTokensPerSecond = 5;

    private static Recommendation Recommend(string tag, long budget, Measurement? measured)
    {
        if (measured is not { } m)
        {
            return VariantSelector.Recommend(ModelCatalog.BuiltIn, tag, budget) is { } pick
                ? new Recommendation(tag, pick.Model.Alias, pick.Variant.Quant, VariantSelector.MemoryNeeded(pick.Model, pick.Variant), null)
                : new Recommendation(tag, null, null, 0, null);
        }

        // Largest model (then best quantization) that fits and decodes fast enough; else the fastest that fits.
        var candidates = ModelCatalog.BuiltIn.WithTag(tag)
            .SelectMany(model => model.Variants.Select(v => (Model: model, Variant: v)))
            .Where(c => Quantizations.QualityRank(c.Variant.Quant) >= 0 && VariantSelector.MemoryNeeded(c.Model, c.Variant) <= budget)
            .Select(c => (c.Model, c.Variant, Speed: Math.Round(m.TokensPerSecond * m.WeightBytes / c.Variant.Bytes, 1)))
            .ToList();
        if (candidates.Count == 0)
        {
            return new Recommendation(tag, null, null, 0, null);
        }

        var fast = candidates.Where(c => c.Speed >= MinTokensPerSecond).ToList();
        var best = fast.Count > 0
            ? fast.OrderByDescending(c => c.Model.Parameters).ThenByDescending(c => Quantizations.QualityRank(c.Variant.Quant)).First()
            : candidates.OrderByDescending(c => c.Speed).First();
        return new Recommendation(tag, best.Model.Alias, best.Variant.Quant, VariantSelector.MemoryNeeded(best.Model, best.Variant), best.Speed);
    }

    private static Measurement Measure(ModelShape shape, int tokens, CancellationToken cancel)
    {
        var scheme = QuantizationScheme.Parse("q8_0")!;
        var path = Path.Combine(Path.GetTempPath(), "edgewise-doctor-" + Guid.NewGuid().ToString("N") + ".gguf");
        try
        {
            SyntheticModel.Write(path, shape, scheme, null, 1);
            using var model = LocalModel.Load(path);
            var tokenizer = Tokenizer.FromGguf(model.Metadata);
            using var context = model.CreateContext(new ContextOptions { ContextLength = 64 + tokens });
            var request = new CompletionRequest { Prompt = [1, 2, 3, 4], MaxTokens = tokens, IgnoreEndOfGeneration = true, Sampling = new Inference.Sampling.SamplingOptions { Temperature = 0 } };
            var result = Completion.Run(context, tokenizer, request, null, cancel);
            return new Measurement(shape.Name, scheme.Name, result.Tokens.Length, Math.Round(result.GenerationTokensPerSecond, 1), new FileInfo(path).Length, Environment.ProcessorCount);
        }
        finally
        {
            File.Delete(path);
        }
    }

    internal sealed record Measurement(string Shape, string Quant, int Tokens, double TokensPerSecond, long WeightBytes, int Threads);

    internal sealed record Recommendation(string Tag, string? Alias, string? Quant, long MemoryBytes, double? EstimatedTokensPerSecond);
}
