using System.Globalization;
using Edgewise.Gguf;
using Edgewise.Inference.Architectures;
using Edgewise.Inference.Runtime;
using Edgewise.Tokenization.Templates;

namespace Edgewise.Cli.Commands;

/// <summary>What <c>edgewise model info</c> reports; property names become the JSON field names.</summary>
internal sealed record ModelInfo
{
    public required string? Architecture { get; init; }

    public required string? Name { get; init; }

    public required bool Supported { get; init; }

    public string? UnsupportedReason { get; init; }

    public required int GgufVersion { get; init; }

    public required long FileBytes { get; init; }

    public required long Parameters { get; init; }

    public required IReadOnlyList<TypeShare> QuantizationMix { get; init; }

    public ModelHyperparameters? Hyperparameters { get; init; }

    public required VocabularyInfo Vocabulary { get; init; }

    public required string ChatTemplateFamily { get; init; }

    public required bool HasChatTemplate { get; init; }

    public required long WeightBytes { get; init; }

    public int? KvContext { get; init; }

    public long? KvCacheBytesF16 { get; init; }

    public long? TotalBytes { get; init; }

    public static ModelInfo Describe(GgufHeader header, int? context)
    {
        var m = header.Metadata;
        ModelHyperparameters? hp = null;
        string? reason = null;
        try
        {
            hp = ModelTensorLayout.Validate(header).Hyperparameters;
        }
        catch (InvalidModelFileException e)
        {
            reason = $"{e.Message} ({e.Code})";
        }

        var mix = header.Tensors
            .GroupBy(t => t.Type)
            .Select(g => new TypeShare(GgmlTypeTraits.Name(g.Key), g.Count(), g.Sum(t => t.ElementCount), g.Sum(t => t.ByteSize)))
            .OrderByDescending(s => s.Bytes)
            .ToList();
        var weights = header.Tensors.Sum(t => t.ByteSize);
        var template = m.GetString(GgufKeys.Tokenizer.ChatTemplate);
        int? kvContext = null;
        long? kvBytes = null;
        if (hp is not null)
        {
            kvContext = context ?? Math.Min(hp.ContextLength, ContextOptions.DefaultMaxContextLength);
            if (kvContext <= 0)
            {
                throw new CliException("--ctx must be positive");
            }

            kvBytes = KvCacheSize.BytesPerToken(hp, KvCacheType.F16) * kvContext.Value;
        }

        return new ModelInfo
        {
            Architecture = header.Architecture,
            Name = m.GetString(GgufKeys.General.Name),
            Supported = hp is not null,
            UnsupportedReason = reason,
            GgufVersion = header.Version,
            FileBytes = header.FileLength,
            Parameters = header.Tensors.Sum(t => t.ElementCount),
            QuantizationMix = mix,
            Hyperparameters = hp,
            Vocabulary = VocabularyInfo.From(m),
            ChatTemplateFamily = ChatTemplateFamilies.Detect(template).ToString(),
            HasChatTemplate = template is not null,
            WeightBytes = weights,
            KvContext = kvContext,
            KvCacheBytesF16 = kvBytes,
            TotalBytes = kvBytes is null ? null : weights + kvBytes,
        };
    }

    public static void Print(ModelInfo info, TextWriter w)
    {
        var c = CultureInfo.InvariantCulture;
        w.WriteLine(string.Create(c, $"architecture      {info.Architecture ?? "(none)"}{(info.Supported ? string.Empty : "  [not runnable: " + info.UnsupportedReason + "]")}"));
        w.WriteLine(string.Create(c, $"name              {info.Name ?? "(none)"}"));
        w.WriteLine(string.Create(c, $"file              {Mib(info.FileBytes)} (GGUF v{info.GgufVersion})"));
        w.WriteLine(string.Create(c, $"parameters        {info.Parameters / 1e6:F2} M"));
        if (info.Hyperparameters is { } hp)
        {
            w.WriteLine(string.Create(c, $"context length    {hp.ContextLength}"));
            w.WriteLine(string.Create(c, $"embedding         {hp.EmbeddingLength}"));
            w.WriteLine(string.Create(c, $"blocks            {hp.BlockCount}"));
            w.WriteLine(string.Create(c, $"heads / kv heads  {hp.HeadCount} / {hp.HeadCountKv} (head dim {hp.HeadDimension}, rope dims {hp.RopeDimensionCount})"));
            w.WriteLine(string.Create(c, $"feed-forward      {hp.FeedForwardLength}"));
            w.WriteLine(string.Create(c, $"rope              θ {hp.RopeFreqBase:G}, scaling {hp.RopeScaling.Kind}"));
            w.WriteLine(string.Create(c, $"rms epsilon       {hp.RmsEpsilon:G}"));
            w.WriteLine(string.Create(c, $"output            {(hp.TiedOutput ? "tied to token_embd" : "separate")}"));
        }

        var v = info.Vocabulary;
        w.WriteLine(string.Create(c, $"vocabulary        {v.Size} tokens, {v.Model ?? "?"}{(v.Pre is null ? string.Empty : " / " + v.Pre)}, bos {Id(v.BosId)}, eos {Id(v.EosId)}"));
        w.WriteLine(string.Create(c, $"chat template     {(info.HasChatTemplate ? info.ChatTemplateFamily : "none (built-in " + info.ChatTemplateFamily + " fallback)")}"));
        w.WriteLine("quantization mix");
        foreach (var s in info.QuantizationMix)
        {
            w.WriteLine(string.Create(c, $"  {s.Type,-6} {s.Tensors,4} tensors  {s.Elements / 1e6,10:F2} M elements  {Mib(s.Bytes),12}"));
        }

        w.WriteLine(string.Create(c, $"weights           {Mib(info.WeightBytes)}"));
        if (info.KvCacheBytesF16 is { } kv)
        {
            w.WriteLine(string.Create(c, $"kv cache (f16)    {Mib(kv)} at context {info.KvContext}"));
            w.WriteLine(string.Create(c, $"memory needed     {Mib(info.TotalBytes!.Value)}"));
        }
    }

    private static string Id(long? id) => id?.ToString(CultureInfo.InvariantCulture) ?? "-";

    private static string Mib(long bytes) => string.Create(CultureInfo.InvariantCulture, $"{bytes / 1048576.0:F2} MiB");
}

/// <summary>Storage used by one tensor type.</summary>
internal sealed record TypeShare(string Type, int Tensors, long Elements, long Bytes);

/// <summary>Tokenizer summary.</summary>
internal sealed record VocabularyInfo(int Size, string? Model, string? Pre, long? BosId, long? EosId, bool? AddBos)
{
    public static VocabularyInfo From(GgufMetadata m) => new(
        m[GgufKeys.Tokenizer.Tokens]?.Count ?? 0,
        m.GetString(GgufKeys.Tokenizer.Model),
        m.GetString(GgufKeys.Tokenizer.Pre),
        m.GetInt64(GgufKeys.Tokenizer.BosId),
        m.GetInt64(GgufKeys.Tokenizer.EosId),
        m.GetBool(GgufKeys.Tokenizer.AddBos));
}
