namespace Edgewise.Tokenization.Tests.PreTokenization;

/// <summary>
/// Expected o200k ("gpt-4o") word splits, produced by llama.cpp's own <c>unicode_regex_split</c> (src/unicode.cpp at
/// 82bb48500a9a, compiled on its own) on the regex <c>LLAMA_VOCAB_PRE_TYPE_GPT4O</c> runs, and confirmed by Python's
/// <c>regex</c> module on the same pattern. Four rows (marks, Devanagari, non-ASCII capitals) differ from what the
/// tokenizer.json pattern gives under Hugging Face; llama.cpp is the reference.
/// </summary>
internal static class Gpt4oReferenceSplits
{
    public static TheoryData<string, string[]> Rows => new()
    {
        { "Hello world", ["Hello", " world"] },
        { "don't can't we're I've I'm they'll she'd", ["don't", " can't", " we're", " I've", " I'm", " they'll", " she'd"] },
        { "DON'T CAN'T WE'RE I'VE I'M THEY'LL SHE'D", ["DON'T", " CAN'T", " WE'RE", " I'VE", " I'M", " THEY'LL", " SHE'D"] },
        { "Don'T dOn'T wE'rE yOu'Ll", ["Don'T", " d", "On'T", " w", "E'rE", " y", "Ou'Ll"] },
        { "'s 'S 're x'sy", ["'s", " '", "S", " '", "re", " x's", "y"] },
        { "O'Neil's 90's rock'n'roll", ["O", "'Neil's", " ", "90", "'s", " rock", "'n", "'roll"] },
        {
            "CamelCase camelCase XMLHttpRequest iPhone HTTPServer ABC aBC",
            ["Camel", "Case", " camel", "Case", " XMLHttp", "Request", " i", "Phone", " HTTPServer", " ABC", " a", "BC"]
        },
        {
            "1 12 123 1234 12345 1234567",
            ["1", " ", "12", " ", "123", " ", "123", "4", " ", "123", "45", " ", "123", "456", "7"]
        },
        {
            "v1.2.3 and 2026-08-10, $100, 3.14159",
            ["v", "1", ".", "2", ".", "3", " and", " ", "202", "6", "-", "08", "-", "10", ",", " $", "100", ",", " ", "3",
                ".", "141", "59"]
        },
        { "abc123def A1B2", ["abc", "123", "def", " A", "1", "B", "2"] },
        {
            "x\u00B2\u00B3 \u0663\u0664\u0665\u0666 \u216B",
            ["x", "\u00B2\u00B3", " ", "\u0663\u0664\u0665", "\u0666", " ", "\u216B"]
        },
        { "Hello!\n\nWorld", ["Hello", "!\n\n", "World"] },
        {
            "path/to/file.txt and http://example.com/a/b/",
            ["path", "/to", "/file", ".txt", " and", " http", "://", "example", ".com", "/a", "/b", "/"]
        },
        { "end.\n/next a:/\n/b ;//\r\n", ["end", ".\n/", "next", " a", ":/\n/", "b", " ;//\r\n"] },
        { "a / b", ["a", " /", " b"] },
        { " !!!\n\n ?!/ /\n", [" !!!\n\n", " ?!/", " /\n"] },
        { "a  b   c    ", ["a", " ", " b", "  ", " c", "    "] },
        { "  leading", [" ", " leading"] },
        { "tabs\t\tand\r\nCRLF", ["tabs", "\t", "\tand", "\r\n", "CRLF"] },
        { " \n \n x", [" \n \n", " x"] },
        { "trailing\n\n  ", ["trailing", "\n\n", "  "] },
        { "   ", ["   "] },
        { "\n\n\n", ["\n\n\n"] },
        {
            "\u4F60\u597D\uFF0C\u4E16\u754C\uFF01\u8FD9\u662F\u6D4B\u8BD5\u3002",
            ["\u4F60\u597D", "\uFF0C\u4E16\u754C", "\uFF01\u8FD9\u662F\u6D4B\u8BD5", "\u3002"]
        },
        { "\u65E5\u672C\u8A9E\u306E\u30C6\u30AD\u30B9\u30C8", ["\u65E5\u672C\u8A9E\u306E\u30C6\u30AD\u30B9\u30C8"] },
        { "\uD55C\uAD6D\uC5B4 \uD14D\uC2A4\uD2B8", ["\uD55C\uAD6D\uC5B4", " \uD14D\uC2A4\uD2B8"] },
        { "cafe\u0301 nai\u0308ve e\u0301\u0301", ["cafe", "\u0301", " nai", "\u0308ve", " e", "\u0301\u0301"] },
        { "\u0301abc", ["\u0301abc"] },
        {
            "\u0928\u092E\u0938\u094D\u0924\u0947 \u0926\u0941\u0928\u093F\u092F\u093E",
            ["\u0928\u092E\u0938", "\u094D\u0924", "\u0947", " \u0926", "\u0941\u0928", "\u093F\u092F", "\u093E"]
        },
        {
            "I \u2764\uFE0F \U0001F999s! \U0001F44D\U0001F3FD \U0001F468\u200D\U0001F469\u200D\U0001F467",
            ["I", " \u2764\uFE0F", " \U0001F999", "s", "!", " \U0001F44D\U0001F3FD",
                " \U0001F468\u200D\U0001F469\u200D\U0001F467"]
        },
        {
            "\u00DCBER \u00DCber \u00FCber \u00C0\u00C9\u00CE \u0391\u0392\u0393 \u0391\u03B8\u03AE\u03BD\u03B1 \u01C5ungla",
            ["\u00DC", "BER", " \u00DCber", " \u00FCber", " \u00C0\u00C9\u00CE", " \u0391\u0392\u0393",
                " \u0391\u03B8\u03AE\u03BD\u03B1", " \u01C5ungla"]
        },
        { "ABC\u00E9DEF x\u00C9Yz", ["ABC\u00E9", "DEF", " x\u00C9", "Yz"] },
        { "k\u02B0a", ["k\u02B0a"] },
        { "a\u00A0b\u3000c\u2003 d\u0085e", ["a", "\u00A0b", "\u3000c", "\u2003", " d", "\u0085e"] },
        { "a\u2028b", ["a", "\u2028b"] },
        {
            "Phi-4-mini-instruct's GGUF/o200k_base tokenizer",
            ["Phi", "-", "4", "-mini", "-instruct's", " GGUF", "/o", "200", "k", "_base", " tokenizer"]
        },
        {
            "def foo(x):\n    return x**2  # comment\n",
            ["def", " foo", "(x", "):\n", "   ", " return", " x", "**", "2", " ", " #", " comment", "\n"]
        },
        { "    indented\n\tcode", ["   ", " indented", "\n", "\tcode"] },
        { "don\u2019t", ["don", "\u2019t"] },
        { "@user #tag", ["@user", " #", "tag"] },
        { "a\u0001b\u007F", ["a", "\u0001b", "\u007F"] },
        { "\uE000\u0378", ["\uE000\u0378"] },

    };
}
