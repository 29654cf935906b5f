using System.CommandLine;
using System.Globalization;
using Edgewise.Inference;
using Edgewise.Inference.Model;
using Edgewise.Inference.Generation;
using Edgewise.Inference.Runtime;
using Edgewise.Inference.Sampling;
using Edgewise.Models.Management;
using Edgewise.Tokenization;

namespace Edgewise.Cli.Commands;

/// <summary><c>edgewise generate</c>, <c>eval</c> and <c>run</c>.</summary>
internal static class EngineCommands
{
    public static IEnumerable<Command> Create(CliConsole console) => [Generate(console), Eval(console), ChatCommand.Create(console), BenchCommand.Create(console)];

    private static Command Generate(CliConsole console)
    {
        var model = TextCommands.ModelOption();
        var prompt = new Option<string?>("--prompt", "-p") { Description = "Prompt text (tokenized with the model's add-special settings, special tokens parsed)." };
        var tokens = new Option<string?>("--tokens") { Description = "Prompt as token ids, e.g. 1,2,3." };
        var count = new Option<int>("-n", "--n-predict") { Description = "Tokens to generate.", DefaultValueFactory = _ => 128 };
        var temperature = new Option<float>("--temp") { Description = "Temperature (0 = greedy).", DefaultValueFactory = _ => 0.8f };
        var seed = new Option<long?>("--seed") { Description = "Sampling seed (same seed and input give the same output)." };
        var topK = new Option<int?>("--top-k") { Description = "Top-k (default 40)." };
        var topP = new Option<float?>("--top-p") { Description = "Top-p (default 0.95)." };
        var ignoreEos = new Option<bool>("--ignore-eos") { Description = "Keep generating past end-of-generation tokens." };
        var (ctx, threads, kv) = RuntimeOptions();
        var json = ModelCommands.JsonOption();
        var command = new Command("generate", "Raw completion from a prompt (no chat template).")
        {
            model, prompt, tokens, count, temperature, seed, topK, topP, ignoreEos, ctx, threads, kv, json,
        };
        command.SetAction((r, cancel) => Task.FromResult(console.Guard(() =>
        {
            using var local = LoadModel(ModelStoreCommands.ResolveModelPath(r.GetValue(model)!, console, cancel));
            var tokenizer = local.Tokenizer;
            var ids = PromptIds(r.GetValue(prompt), r.GetValue(tokens), tokenizer);
            var n = r.GetValue(count);
            if (n < 0)
            {
                throw new CliException("-n must not be negative");
            }

            using var context = local.CreateContext(Options(r, ctx, threads, kv, local, KvCacheType.F16));
            var jsonOut = r.GetValue(json);
            var request = new CompletionRequest
            {
                Prompt = ids,
                MaxTokens = n,
                IgnoreEndOfGeneration = r.GetValue(ignoreEos),
                Sampling = new SamplingOptions { Temperature = r.GetValue(temperature), Seed = r.GetValue(seed), TopK = r.GetValue(topK), TopP = r.GetValue(topP) },
            };
            var result = Completion.Run(context, tokenizer, request, jsonOut ? null : piece => console.Out.Write(piece), cancel);
            if (jsonOut)
            {
                console.WriteJson(new GenerateOutput(
                    ids,
                    result.Tokens,
                    result.Text,
                    result.FinishReason,
                    result.PromptTokens,
                    result.Tokens.Length,
                    Math.Round(result.PromptTokensPerSecond, 2),
                    Math.Round(result.GenerationTokensPerSecond, 2),
                    r.GetValue(threads) ?? Environment.ProcessorCount));
            }
            else
            {
                console.Out.WriteLine();
                console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"prompt: {result.PromptTokens} tokens, {result.PromptTokensPerSecond:F1} tok/s; generation: {result.Tokens.Length} tokens, {result.GenerationTokensPerSecond:F1} tok/s ({result.FinishReason})"));
            }

            return 0;
        })));
        return command;
    }

    private static Command Eval(CliConsole console)
    {
        var model = TextCommands.ModelOption();
        var tokens = new Option<string>("--tokens") { Description = "Token ids to evaluate, e.g. 1,2,3.", Required = true };
        var top = new Option<int>("--top") { Description = "Logits to print per position.", DefaultValueFactory = _ => 20 };
        var (ctx, threads, kv) = RuntimeOptions();
        var json = ModelCommands.JsonOption();
        var command = new Command("eval", "Teacher-forced logits at every position, in the shape of shared/reference/logits.") { model, tokens, top, ctx, threads, kv, json };
        command.SetAction((r, cancel) => Task.FromResult(console.Guard(() =>
        {
            using var local = LoadModel(ModelStoreCommands.ResolveModelPath(r.GetValue(model)!, console, cancel));
            var ids = TextCommands.ParseIds([r.GetValue(tokens)!], local.Hyperparameters.VocabSize);
            var k = r.GetValue(top);
            if (ids.Length == 0 || k < 1)
            {
                throw new CliException("--tokens needs at least one id and --top must be positive");
            }

            var options = Options(r, ctx, threads, kv, local, KvCacheType.F32);
            options.MaxLogitRows = ids.Length;
            options.BatchSize = Math.Max(ids.Length, 1);
            using var context = local.CreateContext(options);
            var report = TeacherForcing.Evaluate(context, ids, k);
            if (r.GetValue(json))
            {
                console.WriteJson(report);
            }
            else
            {
                foreach (var p in report.TeacherForced)
                {
                    console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"pos {p.Pos,4}: top {p.TopIds[0]} ({p.TopLogits[0]:F4}), logsumexp {p.Logsumexp:F4}{(p.NextToken is { } nt ? $", next {nt} ({p.NextTokenLogit:F4})" : string.Empty)}"));
                }
            }

            return 0;
        })));
        return command;
    }

    internal static (Option<int?> Ctx, Option<int?> Threads, Option<string?> Kv) RuntimeOptions() =>
        (new Option<int?>("--ctx", "-c") { Description = "Context length (default: the model's, at most 4096)." },
         new Option<int?>("--threads", "-t") { Description = "Compute threads (default: physical cores)." },
         new Option<string?>("--kv-type") { Description = "KV cache type: f16 or f32." });

    internal static ContextOptions Options(ParseResult r, Option<int?> ctx, Option<int?> threads, Option<string?> kv, LocalModel model, KvCacheType defaultKv)
    {
        var length = r.GetValue(ctx) ?? Math.Min(model.Hyperparameters.ContextLength, ContextOptions.DefaultMaxContextLength);
        if (length <= 0 || r.GetValue(threads) is <= 0)
        {
            throw new CliException("--ctx and --threads must be positive");
        }

        return new ContextOptions { ContextLength = length, Threads = r.GetValue(threads), KvCacheType = KvType(r.GetValue(kv), defaultKv) };
    }

    private static KvCacheType? KvType(string? value, KvCacheType? defaultKv) => value?.ToLowerInvariant() switch
    {
        null => defaultKv,
        "f16" => KvCacheType.F16,
        "f32" => KvCacheType.F32,
        _ => throw new CliException("--kv-type must be f16 or f32"),
    };

    /// <summary>
    /// The model settings <c>--ctx</c>, <c>--threads</c> and <c>--kv-type</c> ask for, for a model hosted by
    /// <see cref="CliModelHost"/>; unset ones keep the host's defaults (the model's context up to 4096, F16 KV cache).
    /// </summary>
    internal static ModelSettings Settings(ParseResult r, Option<int?> ctx, Option<int?> threads, Option<string?> kv)
    {
        if (r.GetValue(ctx) is <= 0 || r.GetValue(threads) is <= 0)
        {
            throw new CliException("--ctx and --threads must be positive");
        }

        return new ModelSettings
        {
            ContextLength = r.GetValue(ctx),
            Threads = r.GetValue(threads),
            KvCacheType = KvType(r.GetValue(kv), null),
        };
    }

    internal static LocalModel LoadModel(string path, bool repack = true)
    {
        try
        {
            return LocalModel.Load(path, repack);
        }
        catch (FileNotFoundException)
        {
            throw new CliException("file not found: " + path, Models.ModelErrorCodes.FileNotFound, CliConsole.NotFound);
        }
    }

    private static int[] PromptIds(string? prompt, string? tokens, Tokenizer tokenizer)
    {
        if ((prompt is null) == (tokens is null))
        {
            throw new CliException("give exactly one of --prompt or --tokens");
        }

        var ids = prompt is not null
            ? tokenizer.Encode(prompt, addSpecial: true, parseSpecial: true)
            : TextCommands.ParseIds([tokens!], tokenizer.Vocabulary.Count);
        return ids.Length > 0 ? ids : throw new CliException("the prompt is empty");
    }
}
