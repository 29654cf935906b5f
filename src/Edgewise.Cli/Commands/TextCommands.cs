using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Edgewise.Gguf;
using Edgewise.Inference.Architectures;
using Edgewise.Tokenization;
using Edgewise.Tokenization.Templates;

namespace Edgewise.Cli.Commands;

/// <summary><c>edgewise tokenize</c>, <c>detokenize</c> and <c>template render</c>.</summary>
internal static class TextCommands
{
    public static IEnumerable<Command> Create(CliConsole console) => [Tokenize(console), Detokenize(console), Template(console)];

    private static Command Tokenize(CliConsole console)
    {
        var model = ModelOption();
        var special = new Option<bool>("--special") { Description = "Parse special-token text (e.g. <|im_start|>) into special tokens." };
        var noAdd = new Option<bool>("--no-add-special") { Description = "Do not add BOS/EOS even when the model asks for them." };
        var text = new Argument<string>("text") { Description = "Text to tokenize." };
        var json = ModelCommands.JsonOption();
        var command = new Command("tokenize", "Turn text into token ids with a model's tokenizer.") { model, special, noAdd, text, json };
        command.SetAction(r => console.Guard(() =>
        {
            var tokenizer = LoadTokenizer(r.GetValue(model)!, console);
            var ids = tokenizer.Encode(r.GetValue(text)!, addSpecial: !r.GetValue(noAdd), parseSpecial: r.GetValue(special));
            if (r.GetValue(json))
            {
                var pieces = ids.Select(id => Encoding.UTF8.GetString(tokenizer.TokenToPiece(id, renderSpecial: true))).ToArray();
                console.WriteJson(new TokenizeOutput(ids, pieces, ids.Length));
            }
            else
            {
                console.Out.WriteLine(string.Join(' ', ids.Select(i => i.ToString(CultureInfo.InvariantCulture))));
            }

            return 0;
        }));
        return command;
    }

    private static Command Detokenize(CliConsole console)
    {
        var model = ModelOption();
        var skipSpecial = new Option<bool>("--skip-special") { Description = "Leave special tokens out of the text." };
        var ids = new Argument<string[]>("ids") { Description = "Token ids (space- or comma-separated).", Arity = ArgumentArity.OneOrMore };
        var json = ModelCommands.JsonOption();
        var command = new Command("detokenize", "Turn token ids back into text.") { model, skipSpecial, ids, json };
        command.SetAction(r => console.Guard(() =>
        {
            var tokenizer = LoadTokenizer(r.GetValue(model)!, console);
            var parsed = ParseIds(r.GetValue(ids)!, tokenizer.Vocabulary.Count);
            var text = tokenizer.Decode(parsed, renderSpecial: !r.GetValue(skipSpecial));
            if (r.GetValue(json))
            {
                console.WriteJson(new TextOutput(text));
            }
            else
            {
                console.Out.WriteLine(text);
            }

            return 0;
        }));
        return command;
    }

    private static Command Template(CliConsole console)
    {
        var template = new Command("template", "Chat templates.");
        var model = new Option<string?>("--model", "-m") { Description = "Model (file path, store name or catalog name) whose chat template (or built-in fallback) is used." };
        var file = new Option<FileInfo?>("--template") { Description = "A Jinja template file (rendered strictly, without fallback)." };
        var messages = new Option<FileInfo>("--messages") { Description = "JSON file with the messages array (OpenAI/Hugging Face shape).", Required = true };
        var tools = new Option<FileInfo?>("--tools") { Description = "JSON file with the tools array." };
        var addGeneration = new Option<bool>("--add-generation-prompt") { Description = "End with the assistant header so the model answers." };
        var bos = new Option<string?>("--bos") { Description = "bos_token (default: the model's BOS text)." };
        var eos = new Option<string?>("--eos") { Description = "eos_token (default: the model's EOS text)." };
        var vars = new Option<string[]>("--var") { Description = "Extra variable NAME=VALUE (VALUE parsed as JSON when it is JSON, else a string).", AllowMultipleArgumentsPerToken = false };
        var json = ModelCommands.JsonOption();
        var render = new Command("render", "Render a conversation into the prompt text a model sees.") { model, file, messages, tools, addGeneration, bos, eos, vars, json };
        render.SetAction(r => console.Guard(() =>
        {
            var modelFile = r.GetValue(model);
            var templateFile = r.GetValue(file);
            if ((modelFile is null) == (templateFile is null))
            {
                throw new CliException("give exactly one of --model or --template");
            }

            string? modelBos = null, modelEos = null, modelTemplate = null, architecture = null;
            if (modelFile is not null)
            {
                using var gguf = GgufFile.Open(ModelStoreCommands.ResolveModelPath(modelFile, console, CancellationToken.None));
                modelTemplate = gguf.Metadata.GetString(GgufKeys.Tokenizer.ChatTemplate);
                architecture = gguf.Header.Architecture;
                var vocabulary = Vocabulary.FromGguf(gguf.Metadata);
                modelBos = vocabulary.BosId >= 0 ? vocabulary.GetText(vocabulary.BosId) : null;
                modelEos = vocabulary.EosId >= 0 ? vocabulary.GetText(vocabulary.EosId) : null;
            }

            var context = new ChatTemplateContext
            {
                Messages = ReadJson(r.GetValue(messages)!) as JsonArray ?? throw new CliException("--messages must hold a JSON array"),
                Tools = r.GetValue(tools) is { } t ? ReadJson(t) as JsonArray ?? throw new CliException("--tools must hold a JSON array") : null,
                AddGenerationPrompt = r.GetValue(addGeneration),
                BosToken = r.GetValue(bos) ?? modelBos,
                EosToken = r.GetValue(eos) ?? modelEos,
                Variables = ParseVariables(r.GetValue(vars) ?? []),
            };
            try
            {
                string text;
                IReadOnlyList<string> warnings = [];
                if (templateFile is not null)
                {
                    text = ChatTemplate.Parse(ReadText(templateFile)).Render(context);
                }
                else
                {
                    var fallback = ModelArchitectures.TryParse(architecture, out var runnable)
                        ? runnable.ChatTemplateFallback
                        : ChatTemplateFamilies.ForOtherArchitecture(architecture);
                    var result = new ChatTemplateRenderer(modelTemplate, fallback).Render(context);
                    text = result.Text;
                    warnings = [.. result.Warnings];
                }

                if (r.GetValue(json))
                {
                    console.WriteJson(new TemplateOutput(text, warnings));
                    return 0;
                }

                foreach (var warning in warnings)
                {
                    console.Error.WriteLine("warning: " + warning);
                }

                console.Out.Write(text);
                return 0;
            }
            catch (TemplateException e)
            {
                throw new CliException($"the template could not be rendered: {e.Message} ({e.Code})");
            }
        }));
        template.Subcommands.Add(render);
        return template;
    }

    internal static Option<string> ModelOption() => new("--model", "-m") { Description = "Model: a GGUF file path, a store name or a catalog name (pulled when missing).", Required = true };

    internal static Tokenizer LoadTokenizer(string model, CliConsole console)
    {
        using var gguf = GgufFile.Open(ModelStoreCommands.ResolveModelPath(model, console, CancellationToken.None));
        return Tokenizer.FromGguf(gguf.Metadata);
    }

    internal static int[] ParseIds(IEnumerable<string> values, int vocabularySize)
    {
        var ids = new List<int>();
        foreach (var value in values)
        {
            foreach (var part in value.Split([',', ' ', '[', ']'], StringSplitOptions.RemoveEmptyEntries))
            {
                if (!int.TryParse(part, NumberStyles.Integer, CultureInfo.InvariantCulture, out var id) || id < 0 || id >= vocabularySize)
                {
                    throw new CliException($"token ids must be integers from 0 to {vocabularySize - 1}");
                }

                ids.Add(id);
            }
        }

        return [.. ids];
    }

    private static Dictionary<string, JsonNode?> ParseVariables(string[] assignments)
    {
        var result = new Dictionary<string, JsonNode?>(StringComparer.Ordinal);
        foreach (var assignment in assignments)
        {
            var eq = assignment.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0)
            {
                throw new CliException("--var takes NAME=VALUE");
            }

            var value = assignment[(eq + 1)..];
            JsonNode? node;
            try
            {
                node = JsonNode.Parse(value);
            }
            catch (JsonException)
            {
                node = JsonValue.Create(value);
            }

            result[assignment[..eq]] = node;
        }

        return result;
    }

    private static JsonNode? ReadJson(FileInfo file)
    {
        try
        {
            return JsonNode.Parse(ReadText(file));
        }
        catch (JsonException)
        {
            throw new CliException("a JSON input file is not valid JSON");
        }
    }

    private static string ReadText(FileInfo file)
    {
        try
        {
            return File.ReadAllText(file.FullName);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CliException("an input file could not be read");
        }
    }
}
