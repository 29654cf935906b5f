using System.Text;
using BenchmarkDotNet.Attributes;
using Edgewise.Gguf;
using Edgewise.Tokenization;

namespace Edgewise.Benchmarks;

/// <summary>
/// Tokenizer throughput: encodes about 1 MB of mixed text (English prose, code, numbers, CJK, emoji; generated
/// deterministically) with the Qwen2 vocabulary (151,936 tokens). The vocabulary is
/// <c>ggml-vocab-qwen2-rebuilt.gguf</c>, found through <c>EDGEWISE_TOKENIZER_VOCAB</c> (a file path), else
/// <c>EDGEWISE_SHARED</c>/reference/tokenizer, else a <c>shared</c> folder beside the repository. MB/s = 1 / mean seconds.
/// </summary>
[MemoryDiagnoser]
public class TokenizerBenchmarks
{
    private Tokenizer _tokenizer = null!;
    private string _text = string.Empty;
    private int[] _ids = [];

    /// <summary>UTF-8 size of the generated text in bytes.</summary>
    public static int TextBytes { get; private set; }

    /// <summary>Loads the vocabulary and generates the text.</summary>
    [GlobalSetup]
    public void Setup()
    {
        using (var file = GgufFile.Open(FindVocabulary()))
        {
            _tokenizer = Tokenizer.FromGguf(file.Metadata);
        }

        _text = MixedText.Generate(1 << 20, seed: 20261121);
        TextBytes = Encoding.UTF8.GetByteCount(_text);
        _ids = _tokenizer.Encode(_text, addSpecial: false, parseSpecial: false);
    }

    /// <summary>Encodes the whole text; the tokenizer's word cache is warm after the first iteration.</summary>
    [Benchmark(Description = "Encode 1 MB mixed (Qwen2, warm word cache)")]
    public int EncodeWarm() => _tokenizer.Encode(_text, addSpecial: false, parseSpecial: true).Length;

    /// <summary>Encodes the whole text with a fresh tokenizer (empty word cache) each time.</summary>
    [Benchmark(Description = "Encode 1 MB mixed (Qwen2, cold word cache)")]
    public int EncodeCold() => new Tokenizer(_tokenizer.Vocabulary).Encode(_text, addSpecial: false, parseSpecial: true).Length;

    /// <summary>Decodes the ids of the whole text back to a string.</summary>
    [Benchmark(Description = "Decode 1 MB mixed (Qwen2)")]
    public int Decode() => _tokenizer.Decode(_ids, renderSpecial: false).Length;

    private static string FindVocabulary()
    {
        const string name = "ggml-vocab-qwen2-rebuilt.gguf";
        var explicitPath = Environment.GetEnvironmentVariable("EDGEWISE_TOKENIZER_VOCAB");
        if (!string.IsNullOrEmpty(explicitPath))
        {
            return explicitPath;
        }

        var shared = Environment.GetEnvironmentVariable("EDGEWISE_SHARED");
        if (!string.IsNullOrEmpty(shared))
        {
            return Path.Combine(shared, "reference", "tokenizer", name);
        }

        foreach (var start in new[] { Environment.CurrentDirectory, AppContext.BaseDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                var candidate = Path.Combine(dir.FullName, "shared", "reference", "tokenizer", name);
                if (File.Exists(candidate))
                {
                    return candidate;
                }
            }
        }

        throw new FileNotFoundException("Set EDGEWISE_SHARED or EDGEWISE_TOKENIZER_VOCAB to find " + name + ".");
    }
}

/// <summary>Deterministic mixed-content text: roughly half prose, a fifth code, and numbers, CJK and emoji.</summary>
internal static class MixedText
{
    private static readonly string[] s_words =
    [
        "the", "of", "and", "to", "in", "is", "that", "for", "it", "as", "was", "with", "be", "by", "on", "not", "he",
        "this", "are", "or", "his", "from", "at", "which", "but", "have", "an", "they", "you", "were", "their", "one",
        "all", "we", "can", "her", "has", "there", "been", "if", "more", "when", "will", "would", "who", "so", "no",
        "model", "inference", "engine", "token", "quantization", "throughput", "latency", "device", "memory",
        "bandwidth", "attention", "transformer", "vocabulary", "edge", "agent", "schedule", "batch", "sequence",
        "Edgewise", "London", "Monday", "September", "Qwen", "Llama", "don't", "it's", "we're", "they'll", "I'd",
        "reconfiguration", "internationalization", "antidisestablishment", "naïve", "café", "résumé", "Zürich",
    ];

    private static readonly string[] s_code =
    [
        "public static int Add(int a, int b) => a + b;",
        "    for (var i = 0; i < values.Length; i++)\n    {\n        sum += values[i] * weights[i];\n    }",
        "def softmax(x):\n    e = np.exp(x - x.max())\n    return e / e.sum()",
        "if (response.StatusCode != HttpStatusCode.OK) { throw new InvalidOperationException($\"status {code}\"); }",
        "const tokens = await tokenizer.encode(prompt, { addSpecial: true });",
        "SELECT id, name, created_at FROM sessions WHERE user_id = @user ORDER BY created_at DESC LIMIT 20;",
        "#include <stdio.h>\nint main(void) {\n\tprintf(\"%d\\n\", 42);\n\treturn 0;\n}",
        "{\"model\": \"qwen2.5-0.5b\", \"temperature\": 0.7, \"max_tokens\": 256, \"stream\": true}",
    ];

    private static readonly string[] s_cjk =
    [
        "你好世界", "机器学习模型", "推理引擎的速度", "我们今天讨论分词器", "边缘设备上的智能体", "东京", "こんにちは", "日本語のテキスト",
        "한국어 문장입니다", "量化与内存带宽", "这是一个测试。", "模型在本地运行，", "数据中心", "人工智能",
    ];

    private static readonly string[] s_emoji = ["😀", "🚀", "🦙", "👍🏽", "🎉", "❤️", "🇫🇷", "👨‍👩‍👧", "✅", "🔥"];

    public static string Generate(int targetBytes, int seed)
    {
        var random = new Random(seed);
        var text = new StringBuilder(targetBytes);
        var bytes = 0;
        while (bytes < targetBytes)
        {
            var start = text.Length;
            switch (random.Next(20))
            {
                case < 10:
                    AppendSentence(text, random);
                    break;
                case < 14:
                    text.Append(s_code[random.Next(s_code.Length)]).Append('\n');
                    break;
                case < 16:
                    AppendNumbers(text, random);
                    break;
                case < 19:
                    for (var i = random.Next(2, 6); i > 0; i--)
                    {
                        text.Append(s_cjk[random.Next(s_cjk.Length)]);
                    }

                    text.Append('\n');
                    break;
                default:
                    for (var i = random.Next(1, 4); i > 0; i--)
                    {
                        text.Append(s_emoji[random.Next(s_emoji.Length)]).Append(' ');
                    }

                    break;
            }

            bytes += Encoding.UTF8.GetByteCount(text.ToString(start, text.Length - start));
        }

        return text.ToString();
    }

    private static void AppendSentence(StringBuilder text, Random random)
    {
        var count = random.Next(6, 20);
        for (var i = 0; i < count; i++)
        {
            var word = s_words[random.Next(s_words.Length)];
            text.Append(i == 0 ? char.ToUpperInvariant(word[0]) + word[1..] : word);
            text.Append(i == count - 1 ? ". " : random.Next(12) == 0 ? ", " : " ");
        }

        if (random.Next(5) == 0)
        {
            text.Append("\n\n");
        }
    }

    private static void AppendNumbers(StringBuilder text, Random random)
    {
        var culture = System.Globalization.CultureInfo.InvariantCulture;
        text.Append(random.Next(1900, 2100).ToString(culture)).Append('-').Append(random.Next(1, 13).ToString("00", culture))
            .Append(": ").Append((random.NextDouble() * 10000).ToString("F3", culture)).Append(" ms, ")
            .Append(random.NextInt64(0, 10_000_000_000).ToString(culture)).Append(" bytes, ")
            .Append(random.Next(0, 100).ToString(culture)).Append("%\n");
    }
}
