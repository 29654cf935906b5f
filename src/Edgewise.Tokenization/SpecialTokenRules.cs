namespace Edgewise.Tokenization;

/// <summary>
/// The text-based special-token rules llama.cpp applies after loading: end-of-turn / end-of-message / fill-in-the-middle
/// detection, the end-of-generation set, per-model attribute quirks (Phi-3 RSTRIP) and the special-token cache.
/// </summary>
internal static class SpecialTokenRules
{
    private static readonly string[] s_eotTexts =
    [
        "<|eot_id|>", "<|im_end|>", "<|end|>", "<end_of_turn>", "<|endoftext|>", "<|end_of_text|>", "<EOT>", "_<EOT>",
        "[EOT]", "<｜end▁of▁sentence｜>", "<end_of_utterance>",
    ];

    private static readonly string[] s_fimPrefixTexts =
        ["<|fim_prefix|>", "<fim-prefix>", "<fim_prefix>", "<｜fim▁begin｜>", "<PRE>", "▁<PRE>", "<|code_prefix|>", "<|prefix|>"];

    private static readonly string[] s_fimSuffixTexts =
        ["<|fim_suffix|>", "<fim-suffix>", "<fim_suffix>", "<｜fim▁hole｜>", "<SUF>", "▁<SUF>", "<|code_suffix|>", "<|suffix|>"];

    private static readonly string[] s_fimMiddleTexts =
        ["<|fim_middle|>", "<fim-middle>", "<fim_middle>", "<｜fim▁end｜>", "<MID>", "▁<MID>", "<|code_middle|>", "<|middle|>"];

    private static readonly string[] s_fimPadTexts = ["<|fim_pad|>", "<fim-pad>", "<fim_pad>", "<PAD>", "[PAD]"];

    private static readonly string[] s_fimRepoTexts = ["<|fim_repo|>", "<|repo_name|>", "<fim-repo>", "<REPO>", "<reponame>"];

    private static readonly string[] s_fimSeparatorTexts = ["<|file_sep|>"];

    private static readonly string[] s_endOfGenerationTexts =
    [
        "<|eot_id|>", "<|im_end|>", "<|end|>", "<|return|>", "<|call|>", "<|flush|>", "<|calls|>", "<end_of_turn>",
        "<|endoftext|>", "</s>", "<|eom_id|>", "<EOT>", "_<EOT>", "[EOT]", "[EOS]", "<|end_of_text|>", "<end_of_utterance>",
        "<eos>", "<turn|>", "<|tool_response>", "<｜end▁of▁sentence｜>", "[e~[",
    ];

    private static readonly string[] s_alwaysRenderedTexts = ["<|channel|>", "<|message|>", "<|start|>", "<|constrain|>"];

    public static void Apply(VocabularyData data, string? generalName)
    {
        if (data.Eot < 0)
        {
            data.Eot = FindControl(data, s_eotTexts);
        }

        if (data.Eom < 0)
        {
            data.Eom = FindControl(data, ["<|eom_id|>"]);
        }

        // Ids the file states win; only absent ones are looked for by text (and then made control tokens).
        data.FimPrefix = data.FimPrefix >= 0 ? data.FimPrefix : FindControl(data, s_fimPrefixTexts);
        data.FimSuffix = data.FimSuffix >= 0 ? data.FimSuffix : FindControl(data, s_fimSuffixTexts);
        data.FimMiddle = data.FimMiddle >= 0 ? data.FimMiddle : FindControl(data, s_fimMiddleTexts);
        data.FimPad = data.FimPad >= 0 ? data.FimPad : FindControl(data, s_fimPadTexts);
        data.FimRepo = data.FimRepo >= 0 ? data.FimRepo : FindControl(data, s_fimRepoTexts);
        data.FimSeparator = data.FimSeparator >= 0 ? data.FimSeparator : FindControl(data, s_fimSeparatorTexts);
        foreach (var id in (ReadOnlySpan<int>)[data.FimPad, data.FimRepo, data.FimSeparator])
        {
            if (id >= 0)
            {
                data.EndOfGeneration.Add(id);
            }
        }

        MarkUnused(data);
        foreach (var text in s_endOfGenerationTexts)
        {
            if (data.IdOf(text) is var id and >= 0)
            {
                data.EndOfGeneration.Add(id);
                data.Attributes[id] |= TokenAttributes.Control;
            }
        }

        foreach (var text in s_alwaysRenderedTexts)
        {
            if (data.IdOf(text) is var id and >= 0)
            {
                data.Attributes[id] = TokenAttributes.UserDefined;
            }
        }

        foreach (var id in (ReadOnlySpan<int>)[data.Eos, data.Eot, data.Eom])
        {
            if (id >= 0)
            {
                data.EndOfGeneration.Add(id);
            }
        }

        ApplyHarmonyWorkarounds(data);
        data.SpecialTokensLongestFirst = BuildSpecialCache(data);
        ApplyStripQuirks(data, generalName);
    }

    /// <summary>The id of the first of <paramref name="texts"/> in the vocabulary, made a control token; −1 when none is.</summary>
    private static int FindControl(VocabularyData data, ReadOnlySpan<string> texts)
    {
        foreach (var text in texts)
        {
            var id = data.IdOf(text);
            if (id >= 0)
            {
                data.Attributes[id] |= TokenAttributes.Control;
                return id;
            }
        }

        return -1;
    }

    private static void MarkUnused(VocabularyData data)
    {
        for (var id = 0; id < data.Texts.Length; id++)
        {
            if ((data.Attributes[id] & TokenAttributes.Control) != 0 && data.Texts[id].Contains("unused", StringComparison.Ordinal))
            {
                data.Attributes[id] |= TokenAttributes.Unused;
            }
        }
    }

    /// <summary>
    /// o200k-harmony / solar-open: <c>&lt;|end|&gt;</c> is not an end of generation when <c>&lt;|return|&gt;</c>/<c>&lt;|call|&gt;</c>
    /// (or <c>&lt;|calls|&gt;</c>/<c>&lt;|flush|&gt;</c>) exist; Gemma 4: <c>&lt;/s&gt;</c> is not one next to <c>&lt;|tool_response&gt;</c>.
    /// </summary>
    private static void ApplyHarmonyWorkarounds(VocabularyData data)
    {
        int Eog(string text) => data.IdOf(text) is var id and >= 0 && data.EndOfGeneration.Contains(id) ? id : -1;

        var end = Eog("<|end|>");
        var hasReturn = Eog("<|return|>") >= 0;
        var hasCall = Eog("<|call|>") >= 0 || Eog("<|calls|>") >= 0;
        var hasFlush = Eog("<|flush|>") >= 0;
        if (end >= 0 && hasCall && (hasReturn || hasFlush))
        {
            data.EndOfGeneration.Remove(end);
            data.Attributes[end] = TokenAttributes.UserDefined;
        }

        var closing = Eog("</s>");
        if (closing >= 0 && Eog("<|tool_response>") >= 0)
        {
            data.EndOfGeneration.Remove(closing);
            data.Attributes[closing] = TokenAttributes.Normal;
        }
    }

    private static int[] BuildSpecialCache(VocabularyData data)
    {
        const TokenAttributes special = TokenAttributes.Control | TokenAttributes.UserDefined | TokenAttributes.Unknown;
        var ids = new List<int>();
        for (var id = 0; id < data.Texts.Length; id++)
        {
            if ((data.Attributes[id] & special) != 0)
            {
                ids.Add(id);
            }
        }

        var lengths = new int[data.Texts.Length];
        foreach (var id in ids)
        {
            lengths[id] = VocabularyLoader.Utf8Length(data.Texts[id]);
        }

        ids.Sort((a, b) => lengths[a] != lengths[b] ? lengths[b].CompareTo(lengths[a]) : a.CompareTo(b));
        return [.. ids];
    }

    private static void ApplyStripQuirks(VocabularyData data, string? generalName)
    {
        if (data.PreName is "jina-v2-de" or "jina-v2-es" or "jina-v2-code")
        {
            SetFlag(data, "<mask>", TokenAttributes.LStrip, true);
            return;
        }

        var name = AsciiLower(generalName ?? string.Empty);
        if (name.Contains("phi-3", StringComparison.Ordinal) || name.Contains("phi3", StringComparison.Ordinal))
        {
            foreach (var id in data.SpecialTokensLongestFirst)
            {
                data.Attributes[id] |= TokenAttributes.RStrip;
            }

            SetFlag(data, "</s>", TokenAttributes.RStrip, true);
            foreach (var text in (ReadOnlySpan<string>)["<unk>", "<s>", "<|endoftext|>"])
            {
                SetFlag(data, text, TokenAttributes.RStrip, false);
            }
        }
        else if (name.Contains("modern-bert", StringComparison.Ordinal))
        {
            SetFlag(data, "[MASK]", TokenAttributes.LStrip, true);
        }
    }

    private static void SetFlag(VocabularyData data, string text, TokenAttributes flag, bool value)
    {
        var id = data.IdOf(text);
        if (id >= 0)
        {
            data.Attributes[id] = value ? data.Attributes[id] | flag : data.Attributes[id] & ~flag;
        }
    }

    private static string AsciiLower(string s) => string.Create(s.Length, s, static (span, src) =>
    {
        for (var i = 0; i < src.Length; i++)
        {
            var c = src[i];
            span[i] = c is >= 'A' and <= 'Z' ? (char)(c + 32) : c;
        }
    });
}
