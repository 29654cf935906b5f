using System.Text.Json;
using Edgewise.Testing;

namespace Edgewise.Cli.Tests;

public class TextCommandTests
{
    private static string Model(string name) => SharedPaths.ReferenceFile("models", name);

    [Fact]
    public void Tokenize_SpecialChatMl_MatchesReferenceIds()
    {
        // shared/reference/logits/ref-qwen2-F32.json, prompt 7's tokens_no_add_special_parse_special starts like this.
        var (code, output, error) = CliRunner.Run("tokenize", "-m", Model("ref-qwen2-F32.gguf"), "--special", "<|im_start|>user\nHello world<|im_end|>");

        Assert.True(code == 0, error);
        Assert.Equal("151644 872 198 9707 1879 151645", output.Trim());
    }

    [Fact]
    public void Tokenize_WithoutSpecial_SpellsMarkersAsText()
    {
        var (code, output, _) = CliRunner.Run("tokenize", "-m", Model("ref-qwen2-F32.gguf"), "<|im_start|>");

        Assert.Equal(0, code);
        Assert.DoesNotContain("151644", output, StringComparison.Ordinal);
    }

    [Fact]
    public void Tokenize_Phi3Json_AddsBosAndReportsPieces()
    {
        var (code, output, _) = CliRunner.Run("tokenize", "-m", Model("ref-phi3-F16.gguf"), "Hello world", "--json");

        Assert.Equal(0, code);
        using var doc = JsonDocument.Parse(output);
        Assert.Equal([1, 15043, 3186], doc.RootElement.GetProperty("tokens").EnumerateArray().Select(e => e.GetInt32()));
        Assert.Equal(["<s>", " Hello", " world"], doc.RootElement.GetProperty("pieces").EnumerateArray().Select(e => e.GetString()));
    }

    [Fact]
    public void Detokenize_CommaAndSpaceSeparatedIds_RoundTripsText()
    {
        var (code, output, _) = CliRunner.Run("detokenize", "-m", Model("ref-qwen2-F32.gguf"), "151644,872", "198", "9707", "1879", "151645");

        Assert.Equal(0, code);
        Assert.Equal("<|im_start|>user\nHello world<|im_end|>", output.TrimEnd('\n'));
    }

    [Fact]
    public void Detokenize_IdOutOfRange_ExitsWithMessage()
    {
        var (code, _, error) = CliRunner.Run("detokenize", "-m", Model("ref-phi3-F16.gguf"), "99999999");

        Assert.Equal(2, code);
        Assert.Contains("token ids must be integers", error, StringComparison.Ordinal);
    }

    [Fact]
    public void TemplateRender_Phi3ModelTemplate_RendersGenerationPrompt()
    {
        using var files = new TempFiles();
        var messages = files.Write("messages.json", """[{"role":"user","content":"Hi!"}]""");

        var (code, output, error) = CliRunner.Run("template", "render", "-m", Model("ref-phi3-F16.gguf"), "--messages", messages, "--add-generation-prompt");

        Assert.True(code == 0, error);
        Assert.Equal("<s><|user|>\nHi!<|end|>\n<|assistant|>\n", output);
    }

    [Fact]
    public void TemplateRender_ModelWithoutTemplate_FallsBackByArchitectureWithWarning()
    {
        using var files = new TempFiles();
        var messages = files.Write("messages.json", """[{"role":"user","content":"Hi!"}]""");

        var (code, output, error) = CliRunner.Run("template", "render", "-m", Model("ref-qwen2-F32.gguf"), "--messages", messages, "--add-generation-prompt");

        Assert.Equal(0, code);
        Assert.Equal("<|im_start|>user\nHi!<|im_end|>\n<|im_start|>assistant\n", output);
        Assert.Contains("warning:", error, StringComparison.Ordinal);
        Assert.Contains("ChatMl", error, StringComparison.Ordinal);
    }

    [Fact]
    public void TemplateRender_Llama32FileWithDateVarAndTools_RendersToolsBlock()
    {
        using var files = new TempFiles();
        var messages = files.Write("messages.json", """[{"role":"user","content":"Weather in Oslo?"}]""");
        var tools = files.Write("tools.json", """[{"type":"function","function":{"name":"get_weather","description":"Weather","parameters":{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}}}]""");

        var (code, output, error) = CliRunner.Run(
            "template", "render", "--template", SharedPaths.ReferenceFile("templates", "meta-llama-Llama-3.2-3B-Instruct.jinja"),
            "--messages", messages, "--tools", tools, "--add-generation-prompt", "--bos", "<|begin_of_text|>", "--var", "date_string=21 Nov 2026");

        Assert.True(code == 0, error);
        Assert.StartsWith("<|begin_of_text|><|start_header_id|>system<|end_header_id|>", output, StringComparison.Ordinal);
        Assert.Contains("Today Date: 21 Nov 2026", output, StringComparison.Ordinal);
        Assert.Contains("\"name\": \"get_weather\"", output, StringComparison.Ordinal);
        Assert.EndsWith("<|start_header_id|>assistant<|end_header_id|>\n\n", output, StringComparison.Ordinal);
    }

    [Fact]
    public void TemplateRender_SstiTemplateFile_FailsWithTemplateCode()
    {
        using var files = new TempFiles();
        var messages = files.Write("messages.json", """[{"role":"user","content":"x"}]""");
        var template = files.Write("evil.jinja", "{% for a in range(100000) %}{% for b in range(100000) %}x{% endfor %}{% endfor %}");

        var (code, _, error) = CliRunner.Run("template", "render", "--template", template, "--messages", messages);

        Assert.Equal(2, code);
        Assert.Contains("template.cap", error, StringComparison.Ordinal);
    }

    [Fact]
    public void TemplateRender_BothModelAndTemplate_Refused()
    {
        using var files = new TempFiles();
        var messages = files.Write("messages.json", "[]");

        var (code, _, error) = CliRunner.Run("template", "render", "-m", Model("ref-phi3-F16.gguf"), "--template", messages, "--messages", messages);

        Assert.Equal(2, code);
        Assert.Contains("exactly one of", error, StringComparison.Ordinal);
    }

    private sealed class TempFiles : IDisposable
    {
        private readonly string _dir = Directory.CreateTempSubdirectory("edgewise-cli-").FullName;

        public string Write(string name, string content)
        {
            var path = Path.Combine(_dir, name);
            File.WriteAllText(path, content);
            return path;
        }

        public void Dispose() => Directory.Delete(_dir, recursive: true);
    }
}
