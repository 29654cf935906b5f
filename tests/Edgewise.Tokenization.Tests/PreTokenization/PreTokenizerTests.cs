using Edgewise.Tokenization.PreTokenization;

namespace Edgewise.Tokenization.Tests.PreTokenization;

/// <summary>Word splits of each pre-tokenizer family on hand-checked inputs (what llama.cpp's regexes produce).</summary>
public sealed class PreTokenizerTests
{
    [Fact]
    public void Split_Default_AppliesPunctuationGpt2DigitRunsAndTriples()
    {
        Assert.Equal(["Hello", ",", " world", "!!", " ", "123", "456", "7", " x"], Split(PreTokenizerKind.Default, "Hello, world!! 1234567 x"));
    }

    [Fact]
    public void Split_Default_BacktickIsNotPunctuation()
    {
        Assert.Equal(["a", " `", "b", "$+", "c"], Split(PreTokenizerKind.Default, "a `b$+c"));
    }

    [Fact]
    public void Split_Gpt2_KeepsDigitRunsAndTrailingSpaceRule()
    {
        Assert.Equal(["I", "'ve", " 12345", "  ", " cats", "!", "   "], Split(PreTokenizerKind.Gpt2, "I've 12345   cats!   "));
    }

    [Fact]
    public void Split_Llama3_GroupsDigitsByThreeAndNewlines()
    {
        Assert.Equal(["Year", " ", "202", "6", ":\n\n", "  ", " ok", "\n"], Split(PreTokenizerKind.Llama3, "Year 2026:\n\n   ok\n"));
    }

    [Fact]
    public void Split_Qwen2_SingleDigitsAndCaseInsensitiveContractions()
    {
        Assert.Equal(["I", "'VE", " ", "4", "2", " 你好"], Split(PreTokenizerKind.Qwen2, "I'VE 42 你好"));
    }

    [Fact]
    public void Split_StarCoder_IsolatesEveryDigitBeforeGpt2()
    {
        Assert.Equal(["x", " ", "1", "2", " y"], Split(PreTokenizerKind.StarCoder, "x 12 y"));
    }

    [Theory]
    [InlineData("qwen2", nameof(PreTokenizerKind.Qwen2), false)]
    [InlineData("llama-bpe", nameof(PreTokenizerKind.Llama3), true)]
    [InlineData("smollm", nameof(PreTokenizerKind.StarCoder), false)]
    [InlineData("starcoder", nameof(PreTokenizerKind.StarCoder), false)]
    [InlineData("gpt-2", nameof(PreTokenizerKind.Gpt2), false)]
    [InlineData("default", nameof(PreTokenizerKind.Default), false)]
    [InlineData("", nameof(PreTokenizerKind.Default), false)]
    public void TryResolve_KnownName_ReturnsFamily(string name, string kind, bool ignoreMerges)
    {
        Assert.True(PreTokenizer.TryResolve(name, out var settings));
        Assert.Equal(kind, settings.Kind.ToString());
        Assert.Equal(ignoreMerges, settings.IgnoreMerges);
    }

    [Fact]
    public void TryResolve_UnknownName_ReturnsFalse()
    {
        Assert.False(PreTokenizer.TryResolve("tekken", out _));
    }

    private static string[] Split(PreTokenizerKind kind, string text)
    {
        var cps = text.EnumerateRunes().Select(r => r.Value).ToArray();
        var words = new List<int>();
        PreTokenizer.Split(kind, cps, words, []);
        var result = new List<string>();
        var at = 0;
        foreach (var length in words)
        {
            result.Add(string.Concat(cps.Skip(at).Take(length).Select(char.ConvertFromUtf32)));
            at += length;
        }

        return [.. result];
    }
}
