using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Edgewise.Gguf;
using Edgewise.Inference.Model;
using Edgewise.Inference.Runtime;
using Edgewise.Inference.Synthesis;

namespace Edgewise.Cli.Commands;

/// <summary>
/// <c>edgewise bench</c>: prompt processing (pp) and generation (tg) tokens/s in the shape of llama-bench, for a model
/// file or a synthetic shape, with repetitions, mean ± standard deviation, and the fraction of the memory-bandwidth
/// limit (weight bytes read per token × tokens/s ÷ a read bandwidth measured in-process). <c>--parallel N</c>
/// decodes N sequences of one context with continuous batching (<see cref="Context.Decode"/>: one forward pass per
/// step for all N, so the weights are read once per step) and reports their aggregate tokens/s.
/// </summary>
internal static class BenchCommand
{
    public static Command Create(CliConsole console)
    {
        var model = new Option<string?>("--model", "-m") { Description = "Model: a GGUF file path, a store name or a catalog name (pulled when missing)." };
        var shape = new Option<string?>("--shape") { Description = "Synthetic shape (see 'model shapes'); written to a temporary file, deleted afterwards." };
        var quant = new Option<string?>("--quant") { Description = "Storage for --shape: " + string.Join(", ", QuantizationScheme.Names) + "." };
        var prompt = new Option<string>("--n-prompt", "-p") { Description = "Prompt lengths to test, comma-separated (0 for none).", DefaultValueFactory = _ => "128,512" };
        var gen = new Option<string>("--n-gen", "-n") { Description = "Generation lengths to test, comma-separated (0 for none).", DefaultValueFactory = _ => "128" };
        var reps = new Option<int>("--repetitions", "-r") { Description = "Repetitions per test.", DefaultValueFactory = _ => 5 };
        var threads = new Option<string?>("--threads", "-t") { Description = "Thread counts, comma-separated (default: physical cores)." };
        var parallel = new Option<string>("--parallel") { Description = "Concurrent sequences for an aggregate generation test, comma-separated (0 for none).", DefaultValueFactory = _ => "0" };
        var noRepack = new Option<bool>("--no-repack") { Description = "Read every weight in place from the file (no re-laid Q4_0, Q4_K, Q5_0 or Q8_0 copies), to measure what the re-laid layout gains." };
        var json = ModelCommands.JsonOption();
        var command = new Command("bench", "Prompt processing and generation speed, like llama-bench.")
        {
            model, shape, quant, prompt, gen, reps, threads, parallel, noRepack, json,
        };
        command.SetAction((r, cancel) => Task.FromResult(console.Guard(() =>
        {
            var settings = new BenchSettings(
                Counts(r.GetValue(prompt)!, "-p", 0),
                Counts(r.GetValue(gen)!, "-n", 0),
                r.GetValue(reps),
                r.GetValue(threads) is { } t ? Counts(t, "-t", 1) : [Edgewise.Numerics.ComputePool.DefaultThreadCount],
                Counts(r.GetValue(parallel)!, "--parallel", 0),
                !r.GetValue(noRepack));
            if (settings.Repetitions < 1)
            {
                throw new CliException("-r must be at least 1");
            }

            var (path, temporary) = ModelPath(r.GetValue(model), r.GetValue(shape), r.GetValue(quant), console, cancel);
            try
            {
                var results = Run(path, settings, r.GetValue(json) ? null : console, cancel);
                if (r.GetValue(json))
                {
                    console.WriteJson(results);
                }

                return 0;
            }
            finally
            {
                if (temporary)
                {
                    File.Delete(path);
                }
            }
        })));
        return command;
    }

    private static (string Path, bool Temporary) ModelPath(string? model, string? shape, string? quant, CliConsole console, CancellationToken cancel)
    {
        if ((model is null) == (shape is null))
        {
            throw new CliException("give exactly one of -m or --shape");
        }

        if (model is not null)
        {
            return (ModelStoreCommands.ResolveModelPath(model, console, cancel), false);
        }

        var s = ModelShapes.Find(shape!) ?? throw new CliException("unknown shape; run 'edgewise model shapes' for the list");
        var q = QuantizationScheme.Parse(quant ?? string.Empty) ?? throw new CliException("--shape needs --quant, one of " + string.Join(", ", QuantizationScheme.Names));
        var path = Path.Combine(Path.GetTempPath(), "edgewise-bench-" + Guid.NewGuid().ToString("N") + ".gguf");
        try
        {
            SyntheticModel.Write(path, s, q, null, 1);
        }
        catch
        {
            File.Delete(path);
            throw;
        }

        return (path, true);
    }

    private static int[] Counts(string list, string name, int min)
    {
        var parts = list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var values = new int[parts.Length];
        for (var i = 0; i < parts.Length; i++)
        {
            if (!int.TryParse(parts[i], NumberStyles.None, CultureInfo.InvariantCulture, out values[i]) || values[i] < min)
            {
                throw new CliException($"{name} takes comma-separated whole numbers of at least {min}");
            }
        }

        return values;
    }

    private static List<BenchResult> Run(string path, BenchSettings settings, CliConsole? text, CancellationToken cancel)
    {
        using var local = EngineCommands.LoadModel(path, settings.Repack);
        var info = ModelFacts.Read(path, local);
        var dispatch = BenchDispatch.Describe(local, settings.Repack);
        var results = new List<BenchResult>();
        text?.Out.WriteLine(dispatch.Text());
        text?.Out.WriteLine("| model | size | params | threads | test | t/s | bw ratio | cpu ms/token |");
        text?.Out.WriteLine("| --- | ---: | ---: | ---: | --- | ---: | ---: | ---: |");
        foreach (var threads in settings.Threads)
        {
            var bandwidth = Edgewise.Numerics.ReadBandwidth.Measure(threads);
            var tests = new List<(int Prompt, int Gen, int Parallel)>();
            tests.AddRange(settings.Prompts.Where(p => p > 0).Select(p => (p, 0, 1)));
            tests.AddRange(settings.Gens.Where(g => g > 0).Select(g => (0, g, 1)));
            foreach (var n in settings.Parallel.Where(n => n > 0))
            {
                tests.AddRange(settings.Gens.Where(g => g > 0).Select(g => (0, g, n)));
            }

            foreach (var (p, g, n) in tests)
            {
                cancel.ThrowIfCancellationRequested();
                var (wall, cpu) = Measure(local, p, g, n, threads, settings.Repetitions, cancel);
                var result = BenchResult.Create(info, threads, p, g, n, wall, cpu, bandwidth, dispatch);
                results.Add(result);
                text?.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"| {result.ModelType} | {result.ModelSize / 1048576.0:F2} MiB | {result.ModelNParams / 1e6:F1} M | {threads} | {result.Test} | {result.AvgTs:F2} ± {result.StddevTs:F2} | {(result.BandwidthRatio is { } b ? b.ToString("F2", CultureInfo.InvariantCulture) : "-")} | {result.CpuMsPerToken:F2} |"));
            }

            text?.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"read bandwidth ({threads} threads): {bandwidth / 1e9:F1} GB/s; weight bytes per generated token: {info.WeightBytesPerToken / 1048576.0:F1} MiB"));
        }

        return results;
    }

    /// <summary>
    /// Per-repetition elapsed and process-CPU nanoseconds of one test, after one unmeasured warm-up run (at most 32
    /// tokens for tg). CPU time includes the pool's idle spinning between jobs.
    /// </summary>
    private static (long[] Wall, long[] Cpu) Measure(LocalModel local, int prompt, int gen, int parallel, int threads, int repetitions, CancellationToken cancel)
    {
        var options = new ContextOptions
        {
            ContextLength = Math.Max(prompt, gen) + 8,
            BatchSize = Math.Max(parallel, Math.Min(prompt, ContextOptions.DefaultBatchSize)),
            SequenceCount = parallel,
            Threads = threads,
        };
        using var context = local.CreateContext(options);
        var vocab = context.VocabSize;
        var random = new Random(42);
        var tokens = new int[Math.Max(prompt, gen)];
        for (var i = 0; i < tokens.Length; i++)
        {
            tokens[i] = random.Next(vocab);
        }

        var sequences = Enumerable.Range(0, parallel).ToArray();
        var step = new int[parallel];
        var samples = new long[repetitions];
        var cpu = new long[repetitions];
        using var process = Process.GetCurrentProcess();
        for (var rep = -1; rep < repetitions; rep++)
        {
            for (var s = 0; s < parallel; s++)
            {
                context.ClearSequence(s);
            }

            process.Refresh();
            var cpuStart = process.TotalProcessorTime;
            var start = Stopwatch.GetTimestamp();
            if (prompt > 0)
            {
                context.Evaluate(tokens.AsSpan(0, prompt));
            }
            else
            {
                var steps = rep < 0 ? Math.Min(gen, 32) : gen;
                for (var i = 0; i < steps; i++)
                {
                    cancel.ThrowIfCancellationRequested();
                    if (parallel == 1)
                    {
                        context.Evaluate(tokens.AsSpan(i, 1));
                    }
                    else
                    {
                        for (var s = 0; s < parallel; s++)
                        {
                            step[s] = tokens[(i + s) % tokens.Length];
                        }

                        context.Decode(step, sequences);
                    }
                }
            }

            if (rep >= 0)
            {
                samples[rep] = (long)Stopwatch.GetElapsedTime(start).TotalNanoseconds;
                process.Refresh();
                cpu[rep] = (long)(process.TotalProcessorTime - cpuStart).TotalNanoseconds;
            }
        }

        return (samples, cpu);
    }

    private sealed record BenchSettings(int[] Prompts, int[] Gens, int Repetitions, int[] Threads, int[] Parallel, bool Repack);

    /// <summary>What the results name: llama-bench's model type string, sizes, and the weight bytes one decoded token reads.</summary>
    internal sealed record ModelFacts(string FileName, string ModelType, long ModelSize, long Parameters, long WeightBytesPerToken)
    {
        public static ModelFacts Read(string path, LocalModel local)
        {
            using var file = GgufFile.Open(path);
            long size = 0, parameters = 0, embedding = 0, embeddingRow = 0;
            var untied = false;
            var bytesByType = new Dictionary<GgmlType, long>();
            foreach (var tensor in file.Tensors)
            {
                size += tensor.ByteSize;
                if (tensor.Dimensions.Count > 1)
                {
                    bytesByType[tensor.Type] = bytesByType.GetValueOrDefault(tensor.Type) + tensor.ByteSize;
                }

                parameters += tensor.ElementCount;
                if (tensor.Name == "token_embd.weight")
                {
                    embedding = tensor.ByteSize;
                    embeddingRow = tensor.Dimensions.Count > 1 ? tensor.ByteSize / tensor.Dimensions[1] : tensor.ByteSize;
                }
                else if (tensor.Name == "output.weight")
                {
                    untied = true;
                }
            }

            var perToken = untied ? size - embedding + embeddingRow : size;
            var fileType = file.Metadata.GetDouble(GgufKeys.General.FileType) is { } ft
                ? GgufFileType.Description((long)ft)
                : bytesByType.Count > 0 ? "mostly " + bytesByType.MaxBy(p => p.Value).Key.ToString().ToUpperInvariant() : "unknown";
            var arch = local.Architecture.ToString().ToLowerInvariant();
            return new ModelFacts(Path.GetFileName(path), $"{arch} {SizeLabel(parameters)} {fileType}", size, parameters, perToken);
        }

        private static string SizeLabel(long parameters) => parameters >= 1_000_000_000
            ? string.Create(CultureInfo.InvariantCulture, $"{parameters / 1e9:0.#}B")
            : string.Create(CultureInfo.InvariantCulture, $"{parameters / 1e6:0}M");
    }

    /// <summary>One test's result, with llama-bench's JSON field names (snake_case) plus the bandwidth fields.</summary>
    internal sealed record BenchResult(
        string ModelFilename,
        string ModelType,
        long ModelSize,
        long ModelNParams,
        int NBatch,
        int NThreads,
        string TypeK,
        int NPrompt,
        int NGen,
        int NParallel,
        string Test,
        double AvgNs,
        double StddevNs,
        double AvgTs,
        double StddevTs,
        long[] SamplesNs,
        double[] SamplesTs,
        long WeightBytesPerToken,
        double ReadBandwidthGbs,
        double? BandwidthRatio,
        double CpuMsPerToken,
        string ParallelMode,
        BenchDispatch Dispatch)
    {
        public static BenchResult Create(
            ModelFacts model, int threads, int prompt, int gen, int parallel, long[] samplesNs, long[] cpuNs, double bandwidth, BenchDispatch dispatch)
        {
            var tokens = (double)(prompt + (gen * parallel));
            var ts = samplesNs.Select(ns => tokens * 1e9 / ns).ToArray();
            var avgNs = samplesNs.Average();
            var avgTs = ts.Average();
            var test = prompt > 0 ? $"pp{prompt}" : parallel > 1 ? $"tg{gen} x{parallel}" : $"tg{gen}";

            // A decode step reads every weight once for all its sequences; a prompt batch reads them once.
            double? ratio = prompt > 0 ? null : model.WeightBytesPerToken * avgTs / parallel / bandwidth;
            return new BenchResult(
                model.FileName, model.ModelType, model.ModelSize, model.Parameters, Math.Max(1, Math.Min(prompt, ContextOptions.DefaultBatchSize)), threads, "f16",
                prompt, gen, parallel, test, avgNs, StandardDeviation(samplesNs.Select(v => (double)v).ToArray()), avgTs, StandardDeviation(ts),
                samplesNs, ts, model.WeightBytesPerToken, Math.Round(bandwidth / 1e9, 2), ratio is { } r ? Math.Round(r, 4) : null,
                Math.Round(cpuNs.Average() / 1e6 / tokens, 3),
                parallel > 1 ? "continuous batching (one forward pass per step for all sequences)" : "single sequence",
                dispatch);
        }

        private static double StandardDeviation(double[] values)
        {
            if (values.Length < 2)
            {
                return 0;
            }

            var mean = values.Average();
            var sum = 0.0;
            foreach (var v in values)
            {
                sum += (v - mean) * (v - mean);
            }

            return Math.Sqrt(sum / (values.Length - 1));
        }
    }

    /// <summary>
    /// The kernels a run measured: vector width, instruction set, how byte dot products are done, and per weight type
    /// the layout it is read in (re-laid at load or in place) with its decode and prompt kernels.
    /// </summary>
    internal sealed record BenchDispatch(int VectorBits, string InstructionSet, bool Vnni, string ByteDot, bool Repack, IReadOnlyList<BenchMatrixDispatch> Matrices)
    {
        public static BenchDispatch Describe(LocalModel local, bool repack) => new(
            Edgewise.Numerics.KernelDispatch.VectorBits,
            Edgewise.Numerics.KernelDispatch.InstructionSet,
            Edgewise.Numerics.KernelDispatch.Vnni,
            Edgewise.Numerics.KernelDispatch.ByteDot,
            repack,
            [.. local.WeightKinds.Select(k => new BenchMatrixDispatch(
                k.Type.ToString(),
                k.Layout == Edgewise.Numerics.WeightLayout.Stored ? "in place" : "re-laid",
                k.Matrices,
                k.Bytes,
                Edgewise.Numerics.KernelDispatch.DecodeKernel(k.Type, k.Layout),
                Edgewise.Numerics.KernelDispatch.PromptKernel(k.Type, k.Layout)))]);

        /// <summary>The lines printed above the text table.</summary>
        public string Text()
        {
            var lines = new System.Text.StringBuilder();
            lines.Append(CultureInfo.InvariantCulture, $"dispatch: {Edgewise.Numerics.KernelDispatch.Summary}{(Repack ? string.Empty : "; --no-repack")}");
            foreach (var m in Matrices)
            {
                lines.AppendLine();
                lines.Append(CultureInfo.InvariantCulture, $"  {m.Type} ({m.Matrices} matrices, {m.Bytes / 1048576.0:F1} MiB) {m.Layout}: decode {m.DecodeKernel}, prompt {m.PromptKernel}");
            }

            return lines.ToString();
        }
    }

    /// <summary>One weight type's share of a <see cref="BenchDispatch"/>.</summary>
    internal sealed record BenchMatrixDispatch(string Type, string Layout, int Matrices, long Bytes, string DecodeKernel, string PromptKernel);
}
