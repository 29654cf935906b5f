using Edgewise.Tokenization.PreTokenization;

namespace Edgewise.Tokenization;

/// <summary>Everything the loader produces, handed to <see cref="Vocabulary"/> in one piece.</summary>
internal sealed class VocabularyData
{
    public required VocabularyModel Model { get; init; }

    public required string PreName { get; init; }

    public required PreTokenizerSettings Pre { get; init; }

    public required string[] Texts { get; init; }

    public required float[] Scores { get; init; }

    public required TokenType[] Types { get; init; }

    public required TokenAttributes[] Attributes { get; init; }

    public required Dictionary<string, int> Lookup { get; init; }

    public required MergeTable Merges { get; init; }

    public required int[] ByteTokens { get; init; }

    public int Bos { get; set; } = -1;

    public int Eos { get; set; } = -1;

    public int Eot { get; set; } = -1;

    public int Eom { get; set; } = -1;

    public int Unk { get; set; } = -1;

    public int Pad { get; set; } = -1;

    public int Sep { get; set; } = -1;

    public int FimPrefix { get; set; } = -1;

    public int FimSuffix { get; set; } = -1;

    public int FimMiddle { get; set; } = -1;

    public int FimPad { get; set; } = -1;

    public int FimRepo { get; set; } = -1;

    public int FimSeparator { get; set; } = -1;

    public bool AddBos { get; set; }

    public bool AddEos { get; set; }

    public bool AddSpacePrefix { get; set; }

    public SortedSet<int> EndOfGeneration { get; } = [];

    public int[] SpecialTokensLongestFirst { get; set; } = [];

    public int IdOf(string text) => Lookup.TryGetValue(text, out var id) ? id : -1;
}
