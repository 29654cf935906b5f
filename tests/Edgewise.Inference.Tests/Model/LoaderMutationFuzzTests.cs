using System.Globalization;
using System.Text;
using Edgewise.Gguf;
using Edgewise.Inference.Model;
using Edgewise.Inference.Runtime;
using Edgewise.Inference.Tests.Support;

namespace Edgewise.Inference.Tests.Model;

/// <summary>
/// docs/security.md G36 / M11 through the whole loader, not only the GGUF parser: seeded mutations of a runnable tiny
/// model (a qwen2 model with a BPE vocabulary), each opened as the engine opens a model — <see cref="LocalModel.Load(GgufFile, bool, bool)"/>,
/// which validates architecture, hyperparameters, tensor shapes and types and the tokenizer — then, when it loads,
/// tokenized and run through one forward pass over a two-token prompt. Each case must load and run, or be refused with
/// <see cref="InvalidModelFileException"/>; anything else escaping is a failure. Flipped weights may give NaN
/// logits; that is not a crash. The count is a scale knob:
/// <c>EDGEWISE_LOADER_FUZZ_MUTATIONS=1000000 dotnet test tests/Edgewise.Inference.Tests -c Release --filter G36</c>.
/// To replay a case that kills the process, <c>EDGEWISE_LOADER_FUZZ_TRACE=PREFIX</c> writes each case's bytes to
/// <c>PREFIX.N</c> (the last eight) and its number to <c>PREFIX.last</c> before running it, and
/// <c>EDGEWISE_LOADER_FUZZ_FROM=N</c> runs only the cases from N on (the earlier ones are still drawn, so the numbering holds).
/// </summary>
public sealed class LoaderMutationFuzzTests(ITestOutputHelper output)
{
    private const string Ran = "(loaded and ran)";
    private static readonly int Cases = int.TryParse(Environment.GetEnvironmentVariable("EDGEWISE_LOADER_FUZZ_MUTATIONS"), out var cases) && cases > 0 ? cases : 2_000;

    // When set, each case's bytes are written here before it runs, so a case that kills the process can be replayed.
    private static readonly string? s_trace = Environment.GetEnvironmentVariable("EDGEWISE_LOADER_FUZZ_TRACE");
    private static readonly int s_from = int.TryParse(Environment.GetEnvironmentVariable("EDGEWISE_LOADER_FUZZ_FROM"), out var from) ? from : 0;

    [Fact]
    public void Load_G36_SeededMutationsOfARunnableModel_LoadAndRunOrTypedReject()
    {
        var original = RunnableTinyModel();
        Assert.Equal(Ran, Run(original, "the unmutated model"));
        var headerLength = (int)GgufFile.FromBytes(original).Header.HeaderLength;
        var rng = new Random(0x4c6f_6164);
        var outcomes = new SortedDictionary<string, int>(StringComparer.Ordinal);
        var buffer = new byte[original.Length];
        for (var i = 0; i < Cases; i++)
        {
            original.CopyTo(buffer, 0);
            var bytes = buffer;
            var kind = (i % 4) switch { 0 => "header", 1 => "header-byte", 2 => "data", _ => "truncate" };
            switch (kind)
            {
                case "header":
                    for (var f = rng.Next(1, 9); f > 0; f--)
                    {
                        buffer[rng.Next(headerLength)] ^= (byte)(1 << rng.Next(8));
                    }

                    break;
                case "header-byte":
                    // Whole bytes set to values that are lengths, counts and types the loader must bound.
                    buffer[rng.Next(headerLength)] = (byte)(rng.Next(3) switch { 0 => 0, 1 => 0xFF, _ => rng.Next(256) });
                    break;
                case "data":
                    for (var f = rng.Next(1, 33); f > 0; f--)
                    {
                        buffer[headerLength + rng.Next(buffer.Length - headerLength)] ^= (byte)(1 << rng.Next(8));
                    }

                    break;
                default:
                    bytes = buffer[..rng.Next(buffer.Length)];
                    break;
            }

            if (i < s_from)
            {
                continue;
            }

            if (s_trace is not null)
            {
                File.WriteAllBytes(s_trace + "." + (i % 8).ToString(CultureInfo.InvariantCulture), bytes);
                File.WriteAllText(s_trace + ".last", i.ToString(CultureInfo.InvariantCulture));
            }

            var outcome = Run(bytes, $"case {i} ({kind})");
            outcomes[outcome] = outcomes.GetValueOrDefault(outcome) + 1;
        }

        var report = new StringBuilder(string.Create(CultureInfo.InvariantCulture, $"{Cases} mutations of a {original.Length}-byte runnable model ({headerLength}-byte header):\n"));
        foreach (var (code, count) in outcomes)
        {
            report.AppendLine(string.Create(CultureInfo.InvariantCulture, $"  {code,-32} {count,8}"));
        }

        output.WriteLine(report.ToString());
        Assert.True(outcomes.GetValueOrDefault(Ran) > 0, report.ToString());
        Assert.True(outcomes.Count >= 5, report.ToString());
    }

    private static string Run(byte[] bytes, string label)
    {
        try
        {
            using var model = LocalModel.Load(GgufFile.FromBytes(bytes), ownsFile: true);
            var tokens = model.Tokenizer.Encode("hi to 1", addSpecial: false, parseSpecial: false);
            using var context = model.CreateContext(new ContextOptions { KvCacheType = KvCacheType.F32, ContextLength = 8 });
            int[] prompt = tokens.Length >= 2 ? [tokens[0], tokens[1]] : [0, 1];
            _ = context.Evaluate(prompt).Length;
            return Ran;
        }
        catch (InvalidModelFileException e)
        {
            return e.Code;
        }
        catch (Exception e)
        {
            Assert.Fail($"{label}: {e.GetType().Name} escaped the loader or the engine: {e}");
            throw;
        }
    }

    /// <summary>The tiny qwen2 model of the engine tests, with a 48-token byte-level BPE vocabulary and merges.</summary>
    private static byte[] RunnableTinyModel()
    {
        var tokens = new string[48];
        for (var i = 0; i < tokens.Length; i++)
        {
            tokens[i] = i < 26 ? ((char)('a' + i)).ToString() : i < 36 ? ((char)('0' + i - 26)).ToString() : "Ġt" + i.ToString(CultureInfo.InvariantCulture);
        }

        tokens[36] = "Ġ";
        tokens[37] = "hi";
        var types = Enumerable.Repeat(1, tokens.Length).ToArray();
        types[47] = 3; // a control token, as end-of-text is
        string[] merges = ["h i"];
        return new TinyModel("qwen2")
            .Set(GgufKeys.Tokenizer.Model, GgufValue.String("gpt2"))
            .Set(GgufKeys.Tokenizer.Pre, GgufValue.String("qwen2"))
            .Set(GgufKeys.Tokenizer.Tokens, GgufValue.Array(tokens))
            .Set(GgufKeys.Tokenizer.TokenType, GgufValue.Array(types))
            .Set(GgufKeys.Tokenizer.Merges, GgufValue.Array(merges))
            .Set(GgufKeys.Tokenizer.EosId, GgufValue.UInt32(47))
            .Build();
    }
}
