using System.CommandLine;
using System.Globalization;
using Edgewise.Gguf;
using Edgewise.Inference.Synthesis;

namespace Edgewise.Cli.Commands;

/// <summary><c>edgewise model info|synth|shapes</c>.</summary>
internal static class ModelCommands
{
    public static Command Create(CliConsole console)
    {
        var model = new Command("model", "Inspect and create model files.");
        model.Subcommands.Add(Info(console));
        model.Subcommands.Add(Synth(console));
        model.Subcommands.Add(Shapes(console));
        return model;
    }

    private static Command Info(CliConsole console)
    {
        var file = new Argument<string>("model") { Description = "A GGUF file path, a store name or a catalog name (pulled when missing)." };
        var context = new Option<int?>("--ctx", "-c") { Description = "Context length for the KV-cache estimate (default: the model's, at most 4096)." };
        var json = JsonOption();
        var command = new Command("info", "Architecture, parameters, quantization mix, vocabulary, template and memory needs of a model file.") { file, context, json };
        command.SetAction(r => console.Guard(() =>
        {
            using var gguf = GgufFile.Open(ModelStoreCommands.ResolveModelPath(r.GetValue(file)!, console, CancellationToken.None));
            var info = ModelInfo.Describe(gguf.Header, r.GetValue(context));
            if (r.GetValue(json))
            {
                console.WriteJson(info);
            }
            else
            {
                ModelInfo.Print(info, console.Out);
            }

            return 0;
        }));
        return command;
    }

    private static Command Synth(CliConsole console)
    {
        var shape = new Option<string>("--shape") { Description = "Shape name (see 'model shapes').", Required = true };
        var quant = new Option<string>("--quant") { Description = "Storage: " + string.Join(", ", QuantizationScheme.Names) + ".", Required = true };
        var output = new Option<FileInfo>("--output", "-o") { Description = "Output GGUF file.", Required = true };
        var vocab = new Option<FileInfo?>("--vocab") { Description = "GGUF file whose tokenizer is copied (its size must match the shape's vocabulary)." };
        var seed = new Option<ulong>("--seed") { Description = "Weight seed.", DefaultValueFactory = _ => 1 };
        var json = JsonOption();
        var command = new Command("synth", "Write a random-weight model with the exact shapes of a published one (for speed measurements).")
        {
            shape, quant, output, vocab, seed, json,
        };
        command.SetAction(r => console.Guard(() =>
        {
            var s = ModelShapes.Find(r.GetValue(shape)!) ?? throw new CliException("unknown shape; run 'edgewise model shapes' for the list");
            var q = QuantizationScheme.Parse(r.GetValue(quant)!) ?? throw new CliException("unknown quantization; use one of " + string.Join(", ", QuantizationScheme.Names));
            GgufMetadata? vocabulary = null;
            if (r.GetValue(vocab) is { } vocabFile)
            {
                using var v = GgufFile.Open(vocabFile.FullName);
                vocabulary = v.Metadata;
                if (v.Metadata[GgufKeys.Tokenizer.Tokens]?.Count != s.VocabSize)
                {
                    throw new CliException($"the vocabulary file does not have the {s.VocabSize} tokens the shape needs");
                }
            }

            var path = r.GetValue(output)!.FullName;
            var stopwatch = System.Diagnostics.Stopwatch.StartNew();
            SyntheticModel.Write(path, s, q, vocabulary, r.GetValue(seed));
            var size = new FileInfo(path).Length;
            if (r.GetValue(json))
            {
                console.WriteJson(new SynthOutput(path, s.Name, q.Name, size, s.ParameterCount, stopwatch.Elapsed.TotalSeconds));
            }
            else
            {
                console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture, $"wrote {path}: {s.Name} {q.Name}, {s.ParameterCount / 1e6:F1} M parameters, {size / 1048576.0:F1} MiB in {stopwatch.Elapsed.TotalSeconds:F1} s"));
            }

            return 0;
        }));
        return command;
    }

    private static Command Shapes(CliConsole console)
    {
        var json = JsonOption();
        var command = new Command("shapes", "List the shapes 'model synth' can build.") { json };
        command.SetAction(r =>
        {
            if (r.GetValue(json))
            {
                console.WriteJson(ModelShapes.All.Select(s => new ShapeOutput(s.Name, s.Source, s.Architecture.ToString().ToLowerInvariant(), s.ParameterCount)).ToList());
                return 0;
            }

            foreach (var s in ModelShapes.All)
            {
                console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{s.Name,-20} {s.Architecture.ToString().ToLowerInvariant(),-6} {s.ParameterCount / 1e6,8:F1} M  {s.Source}"));
            }

            return 0;
        });
        return command;
    }

    internal static Option<bool> JsonOption() => new("--json") { Description = "Print JSON." };
}
